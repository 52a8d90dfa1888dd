"""The model as an MLflow pyfunc: a DataFrame of texts in, stance, stance scores and techniques out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import pandas as pd

from stance.labels import STANCES

INPUT_EXAMPLE = pd.DataFrame({"text": ["We will never surrender.", "The vote is scheduled for Tuesday."]})


class StancePyfunc(mlflow.pyfunc.PythonModel):
    """Wraps stance.Predictor; the model directory travels as an artifact (safetensors + JSON)."""

    def load_context(self, context: Any) -> None:
        from stance.predict import Predictor

        self.predictor = Predictor(context.artifacts["model_dir"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        if "text" not in model_input.columns:
            raise ValueError(
                f"expected a DataFrame with a 'text' column, got columns {list(model_input.columns)}"
            )
        preds = self.predictor.predict([str(t) for t in model_input["text"]])
        rows = []
        for p in preds:
            row = {"stance": p.stance, "techniques": ",".join(p.rhetoric)}
            row.update({f"score_{s}": p.stance_scores[s] for s in STANCES})
            rows.append(row)
        return pd.DataFrame(rows, columns=["stance", "techniques"] + [f"score_{s}" for s in STANCES])


def _requirements() -> list[str]:
    # Written by hand: inferred requirements drop torch's +cpu and would pull the CUDA build.
    import tokenizers
    import torch

    return [
        f"torch=={torch.__version__.split('+')[0]}",
        f"tokenizers=={tokenizers.__version__}",
        "safetensors",
        "pandas",
        f"mlflow=={mlflow.__version__}",
    ]


def log_pyfunc(model_dir: Path) -> Any:
    """Log the model directory as a pyfunc with a signature and an input example."""
    from mlflow.models import infer_signature

    probe = StancePyfunc()
    probe.load_context(type("Ctx", (), {"artifacts": {"model_dir": str(model_dir)}})())
    signature = infer_signature(INPUT_EXAMPLE, probe.predict(None, INPUT_EXAMPLE))
    repo = Path(__file__).resolve().parents[1]
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=str(repo / "training" / "pyfunc_entry.py"),  # models-from-code: nothing pickled
        artifacts={"model_dir": str(model_dir)},
        code_paths=[str(repo / "stance"), str(repo / "training")],
        signature=signature,
        input_example=INPUT_EXAMPLE,
        pip_requirements=_requirements(),
    )
