"""Where models live: the `model` argument, STANCE_MODEL, or the default that `make train` exports."""

from __future__ import annotations

import os
from pathlib import Path

from stance.model import META_FILE

MODEL_ENV = "STANCE_MODEL"
HOME_ENV = "STANCE_HOME"
TRACKING_ENV = "MLFLOW_TRACKING_URI"


def stance_home() -> Path:
    """$STANCE_HOME, else $XDG_DATA_HOME/stance, else ~/.local/share/stance."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "stance"


def default_model_dir() -> Path:
    """The directory `make train` exports the default model to."""
    return stance_home() / "models" / "default"


def mlflow_tracking_uri() -> str:
    """Where `models:/` and `runs:/` URIs are looked up, from any working directory.

    $MLFLOW_TRACKING_URI, else the store `make train` logs to: `sqlite:///<repo>/mlflow.db` beside this
    package in a source checkout (training.tracking.tracking_uri, the same rule). Not MLflow's own default,
    which is a `mlflow.db` in the working directory.
    """
    if os.environ.get(TRACKING_ENV):
        return os.environ[TRACKING_ENV]
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file():
        return f"sqlite:///{repo / 'mlflow.db'}"
    raise ValueError(
        f"an MLflow model URI needs a tracking store: set ${TRACKING_ENV} (the store `make train` logs to is "
        f"sqlite:///<repo>/mlflow.db), or pass the exported model directory instead"
    )


def _from_mlflow(uri: str) -> Path:
    try:
        import mlflow
    except ImportError:
        raise ValueError(
            f"{uri!r} is an MLflow URI: install the train extra (pip install 'stance[train]')"
        ) from None
    store = mlflow_tracking_uri()
    local = Path(
        mlflow.artifacts.download_artifacts(artifact_uri=uri, tracking_uri=store, registry_uri=store)
    )
    found = sorted(p.parent for p in local.rglob(META_FILE))
    if not found:
        raise FileNotFoundError(f"{uri} holds no stance model directory (no {META_FILE} under {local})")
    return found[0]


def resolve_model(model: str | os.PathLike | None = None) -> Path:
    """Find the model directory to load, in the documented order; the error says where it looked."""
    looked = []
    for candidate, origin in ((model, "the model argument"), (os.environ.get(MODEL_ENV), f"${MODEL_ENV}")):
        if candidate is None or candidate == "":
            continue
        text = str(candidate)
        if text.startswith(("models:/", "runs:/", "mlflow-artifacts:/")):
            return _from_mlflow(text)
        path = Path(text).expanduser()
        if (path / META_FILE).is_file():
            return path
        raise FileNotFoundError(
            f"{origin} points to {path}, which is not a stance model directory (no {META_FILE})"
        )
    default = default_model_dir()
    if (default / META_FILE).is_file():
        return default
    looked.append(f"the model argument, ${MODEL_ENV}, and the default {default}")
    raise FileNotFoundError(
        f"no stance model found (looked at {'; '.join(looked)}). Run `make train` to train and export the "
        f"default model, or pass model=<directory or models:/stance@champion>."
    )
