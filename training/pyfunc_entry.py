"""MLflow models-from-code entry: defines the pyfunc by code, so nothing is pickled."""

import mlflow

from training.pyfunc import StancePyfunc

mlflow.models.set_model(StancePyfunc())
