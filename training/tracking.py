"""All MLflow calls: a local SQLite store in the repo, params, metrics, artifacts, pyfunc, registry, UI."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from training.config import TrainConfig
from training.data.schema import DATA_DIR

log = logging.getLogger("stance.tracking")
REPO = Path(__file__).resolve().parents[1]
MODEL_NAME = "stance"
CHAMPION = "champion"
TEST_SPLIT = "data/statements/test.jsonl"
TEST_SPLIT_TAG = "test_split_sha256"  # champions are compared only on the same test split


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI, else the embedded store `sqlite:///<repo>/mlflow.db`."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{REPO / 'mlflow.db'}"


def artifact_root() -> str:
    return (REPO / "mlartifacts").as_uri()


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True
        ).stdout
        return out.stdout.strip() + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def data_hashes() -> dict[str, str]:
    """sha256 (first 16 hex) of every data file a run can read."""
    files = sorted(DATA_DIR.glob("statements/*.jsonl")) + sorted(DATA_DIR.glob("standoff/*.jsonl"))
    return {f"data/{p.relative_to(DATA_DIR)}": hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}


class Tracker:
    """A run in MLflow, or a no-op when `tracking: none`."""

    def __init__(self, config: TrainConfig):
        self.config = config
        self.enabled = config.tracking == "mlflow"
        self.run_id: str | None = None
        self._mlflow: Any = None
        self._test_split: str | None = None

    def __enter__(self) -> Tracker:
        if not self.enabled:
            return self
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        import mlflow

        self._mlflow = mlflow
        mlflow.set_tracking_uri(tracking_uri())
        if mlflow.get_experiment_by_name(self.config.experiment) is None:
            mlflow.create_experiment(self.config.experiment, artifact_location=artifact_root())
        mlflow.set_experiment(self.config.experiment)
        run = mlflow.start_run(run_name=self.config.name)
        self.run_id = run.info.run_id
        mlflow.log_params(
            {k: json.dumps(v) if isinstance(v, list) else v for k, v in self.config.to_dict().items()}
        )
        hashes = data_hashes()
        self._test_split = hashes.get(TEST_SPLIT, "none")
        mlflow.set_tags(
            {"git_commit": git_commit(), "model_kind": self.config.model, TEST_SPLIT_TAG: self._test_split}
        )
        mlflow.log_dict(self.config.to_dict(), "config.json")
        mlflow.log_dict(hashes, "data_hashes.json")
        from stance.labels import STANCE_ID2LABEL, TAXONOMY_VERSION, TECHNIQUE_ID2LABEL

        mlflow.log_dict(
            {
                "taxonomy_version": TAXONOMY_VERSION,
                "stances": STANCE_ID2LABEL,
                "techniques": TECHNIQUE_ID2LABEL,
            },
            "label_map.json",
        )
        return self

    def __exit__(self, exc_type, *_: Any) -> None:
        if self._mlflow is not None:
            self._mlflow.end_run(status="FAILED" if exc_type else "FINISHED")

    def log_sources(self, used: dict[str, int], skipped: dict[str, str]) -> None:
        if self.enabled:
            self._mlflow.set_tag("data_sources", ",".join(sorted(used)))
            self._mlflow.log_dict({"used": used, "skipped": skipped}, "data_sources.json")

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        if self.enabled:
            self._mlflow.log_metrics({k.replace("@", "_"): float(v) for k, v in metrics.items()}, step=step)

    def log_artifact(self, path: Path, folder: str | None = None) -> None:
        if self.enabled:
            self._mlflow.log_artifact(str(path), folder)

    def log_dict(self, data: dict[str, Any], name: str) -> None:
        if self.enabled:
            self._mlflow.log_dict(data, name)

    def log_model(self, model_dir: Path, *, register: bool, test_macro_f1: float | None) -> None:
        """Log the model as a pyfunc; register it and move `champion` only when it beats the current one."""
        if not self.enabled:
            return
        from training.pyfunc import log_pyfunc

        info = log_pyfunc(model_dir)
        if not register:
            return
        mv = self._mlflow.register_model(info.model_uri, MODEL_NAME)
        client = self._mlflow.MlflowClient()
        try:
            champ = client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
            champ_run = client.get_run(champ.run_id).data
        except Exception:  # no champion yet
            champ, champ_run = None, None
        if champ_run is None:
            promote, why = True, "there was none"
        elif champ_run.tags.get(TEST_SPLIT_TAG) != self._test_split:
            # Scores on different test splits are not comparable, and the old model may have trained on
            # statements that are in the new test split: the model of the current corpus takes the alias.
            promote, why = True, f"the test split changed since v{champ.version} (corpus rebuilt)"
        else:
            current = champ_run.metrics.get("test/stance_macro_f1")
            promote = test_macro_f1 is not None and (current is None or test_macro_f1 > current)
            sign = ">" if promote else "<="
            why = f"test macro-F1 {test_macro_f1 or 0.0:.3f} {sign} v{champ.version}'s {current or 0.0:.3f}"
        if promote:
            client.set_registered_model_alias(MODEL_NAME, CHAMPION, mv.version)
            log.info("registered %s v%s and made it %s: %s", MODEL_NAME, mv.version, CHAMPION, why)
        else:
            log.info(
                "registered %s v%s; %s stays v%s: %s", MODEL_NAME, mv.version, CHAMPION, champ.version, why
            )


def add_to_run(
    run_id: str, metrics: dict[str, float], files: dict[str, dict[str, Any]] | None = None
) -> None:
    """Add metrics and JSON artifacts to a finished run (e.g. external benchmarks of the model it trained)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({k.replace("@", "_"): float(v) for k, v in metrics.items()})
        for name, data in (files or {}).items():
            mlflow.log_dict(data, name)


def log_summary_run(
    name: str,
    experiment: str,
    *,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    texts: dict[str, str],
) -> str:
    """One run that gathers an evaluation's results (e.g. the external-benchmark table); returns its id."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    if mlflow.get_experiment_by_name(experiment) is None:
        mlflow.create_experiment(experiment, artifact_location=artifact_root())
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_params({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in params.items()})
        mlflow.set_tags({"git_commit": git_commit(), **tags})
        mlflow.log_metrics({k.replace("@", "_"): float(v) for k, v in metrics.items()})
        for file_name, text in texts.items():
            mlflow.log_text(text, file_name)
        mlflow.log_dict(data_hashes(), "data_hashes.json")
        return run.info.run_id


def serve_ui(port: int = 5000) -> int:
    """`make ui`: the MLflow UI on 127.0.0.1 over the same store."""
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        tracking_uri(),
        "--default-artifact-root",
        artifact_root(),
        "--workers",
        "1",
    ]
    print(f"MLflow UI on http://127.0.0.1:{port} (store {tracking_uri()})")
    return subprocess.call(cmd)


if __name__ == "__main__":
    port = int(sys.argv[2]) if len(sys.argv) > 2 else int(os.environ.get("PORT", 5000))
    if len(sys.argv) < 2 or sys.argv[1] != "ui":
        sys.exit("usage: python -m training.tracking ui [PORT]")
    sys.exit(serve_ui(port))
