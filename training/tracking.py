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
# the dev score that chose the run's epoch: the champion is chosen on it too
SELECTION = "dev/selection_score"
SELECTION_TAG = "selection_sets_sha256"  # ...and only between runs scored on the same dev sets and labels
# MLflow 3 opens an experiment on its GenAI overview unless told it holds model training.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
CORPUS_VERSION = "1.4"


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
    files = [p for d in ("statements", "standoff", "distil") for p in sorted(DATA_DIR.glob(f"{d}/*.jsonl"))]
    return {f"data/{p.relative_to(DATA_DIR)}": hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}


def connect(experiment: str) -> Any:
    """The MLflow module, pointed at the project store and `experiment` (created as a model-training one)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    found = mlflow.get_experiment_by_name(experiment)
    if found is None:
        mlflow.create_experiment(experiment, artifact_location=artifact_root(), tags=EXPERIMENT_KIND)
    elif found.tags.get("mlflow.experimentKind") != EXPERIMENT_KIND["mlflow.experimentKind"]:
        mlflow.MlflowClient().set_experiment_tag(found.experiment_id, *next(iter(EXPERIMENT_KIND.items())))
    mlflow.set_experiment(experiment)
    return mlflow


def run_name(config: TrainConfig, sources: list[str] | None = None) -> str:
    """What a run trained, as the runs table shows it: `default · minilm · corpus+ptc+polnear+ptc-q+liar`."""
    short = {"polnear_standoff": "polnear", "ptc_standoff": "ptc-q", "liar_standoff": "liar"}
    used = "+".join(short.get(s, s) for s in (sources if sources is not None else config.sources))
    return f"{config.name} · {config.model} · {used}"


def _datasets(used: dict[str, int]) -> list[tuple[Any, str]]:
    """(MLflow dataset, context) for every data source a run read, with the digest of its files."""
    import warnings

    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    def LocalArtifactDatasetSource(uri: str) -> Any:  # noqa: N802 - a local path as MLflow's source type for it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return resolve_dataset_source(uri)

    hashes = data_hashes()
    out = []
    if "corpus" in used:
        digest = hashlib.sha256(
            "".join(v for k, v in hashes.items() if "statements" in k).encode()
        ).hexdigest()
        source = LocalArtifactDatasetSource("data/statements")
        out.append(
            (MetaDataset(source, name=f"stance-corpus-v{CORPUS_VERSION}", digest=digest[:16]), "training")
        )
    from training.sources import STANDOFF_FILES

    for name, file in STANDOFF_FILES.items():
        if name in used:
            key = f"data/standoff/{file}"
            out.append(
                (
                    MetaDataset(
                        LocalArtifactDatasetSource(key), name=f"real-quotes/{file[:-6]}", digest=hashes[key]
                    ),
                    "training",
                )
            )
    if "ptc" in used:
        digest = hashlib.sha256(f"ptc-train-sentences-{used['ptc']}".encode()).hexdigest()[:16]
        source = LocalArtifactDatasetSource("STANCE_EXTERNAL_DIR/semeval2020-task11-ptc/train-articles")
        out.append((MetaDataset(source, name="ptc-train-sentences", digest=digest), "training"))
    key = "data/standoff/polnear_dev.jsonl"
    if key in hashes and len(used) > 1:
        out.append(
            (
                MetaDataset(LocalArtifactDatasetSource(key), name="polnear-dev-quotes", digest=hashes[key]),
                "evaluation",
            )
        )
    return out


class Tracker:
    """A run in MLflow, or a no-op when `tracking: none`."""

    def __init__(self, config: TrainConfig):
        self.config = config
        self.enabled = config.tracking == "mlflow"
        self.run_id: str | None = None
        self._mlflow: Any = None
        self._test_split: str | None = None
        self._selection: tuple[float, str] | None = None

    def __enter__(self) -> Tracker:
        if not self.enabled:
            return self
        mlflow = self._mlflow = connect(self.config.experiment)
        run = mlflow.start_run(run_name=run_name(self.config))
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
        """Tag and name the run by the sources it really read, and log each as an MLflow dataset input."""
        if self.enabled:
            self._mlflow.set_tags(
                {"data_sources": ",".join(sorted(used)), "mlflow.runName": run_name(self.config, list(used))}
            )
            self._mlflow.log_dict({"used": used, "skipped": skipped}, "data_sources.json")
            for dataset, context in _datasets(used):
                self._mlflow.log_input(dataset, context=context)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        if self.enabled:
            self._mlflow.log_metrics({k.replace("@", "_"): float(v) for k, v in metrics.items()}, step=step)

    def log_artifact(self, path: Path, folder: str | None = None) -> None:
        if self.enabled:
            self._mlflow.log_artifact(str(path), folder)

    def log_dict(self, data: dict[str, Any], name: str) -> None:
        if self.enabled:
            self._mlflow.log_dict(data, name)

    def log_selection(self, score: float, records: list[dict[str, Any]]) -> None:
        """The dev score that chose this run's epoch, and a fingerprint of the dev records (ids and stance labels)
        it was computed on: the champion alias compares runs by it, never by a test score."""
        rows = sorted(f"{r['id']}\t{r.get('stance')}" for r in records)
        self._selection = (score, hashlib.sha256("\n".join(rows).encode()).hexdigest())
        if self.enabled:
            self._mlflow.log_metric(SELECTION, score)
            self._mlflow.set_tag(SELECTION_TAG, self._selection[1])

    def log_model(self, model_dir: Path, *, register: bool) -> None:
        """Log the model as a pyfunc; register it and move `champion` only when it beats the current one on the
        dev score that chose its epoch (`log_selection`), compared on the same dev sets."""
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
        elif self._selection is None or champ_run.tags.get(SELECTION_TAG) != self._selection[1]:
            # another dev fold, other labels, or a run without real quotes: the scores do not compare
            promote = False
            why = (
                f"v{champ.version} was chosen on other dev sets, so the two do not compare "
                f"(move the alias by hand if you mean to: MlflowClient().set_registered_model_alias)"
            )
        else:
            score, current = self._selection[0], champ_run.metrics.get(SELECTION)
            promote = current is None or score > current
            sign = ">" if promote else "<="
            why = f"dev selection score {score:.4f} {sign} v{champ.version}'s {current or 0.0:.4f}"
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

    mlflow.set_tracking_uri(tracking_uri())  # the run already has its experiment
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
    mlflow = connect(experiment)
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
    # MLflow 3.17's UI starts in its GenAI mode; this address opens the model-training view (the browser keeps it)
    print(f"training runs: http://127.0.0.1:{port}/#/experiments?workflowType=machine_learning")
    # the GenAI job runner (five consumer processes, ~1.9 GB) is not needed for training runs
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    return subprocess.call(cmd, env=env)


if __name__ == "__main__":
    port = int(sys.argv[2]) if len(sys.argv) > 2 else int(os.environ.get("PORT", 5000))
    if len(sys.argv) < 2 or sys.argv[1] != "ui":
        sys.exit("usage: python -m training.tracking ui [PORT]")
    sys.exit(serve_ui(port))
