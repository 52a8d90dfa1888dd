"""The training entry point on tiny.yaml, determinism, MLflow logging, the pyfunc and the champion alias."""

import json
import os
from pathlib import Path

import pytest

from stance.model import META_FILE, WEIGHTS_FILE
from training.config import load_config
from training.train import main, run

CONFIGS = Path(__file__).parents[1] / "configs"


def _config(tiny_encoder, tmp_path, **over):
    return load_config(
        CONFIGS / "tiny.yaml", {"encoder": str(tiny_encoder), "output_dir": str(tmp_path), **over}
    )


def test_tiny_model_directory_is_self_describing(tiny_model):
    files = {p.name for p in tiny_model.iterdir()}
    assert {WEIGHTS_FILE, META_FILE, "config.json", "tokenizer.json"} <= files
    assert not any(f.endswith((".bin", ".pt", ".pkl", ".pickle")) for f in files)
    meta = json.loads((tiny_model / META_FILE).read_text())
    assert meta["taxonomy_version"] and len(meta["stances"]) == 9 and len(meta["thresholds"]) == 14
    assert "test/stance_macro_f1" in meta["metrics"] and meta["max_length"] == 32


def test_same_config_gives_same_metrics(tiny_encoder, tmp_path):
    a = run(_config(tiny_encoder, tmp_path / "a"))
    b = run(_config(tiny_encoder, tmp_path / "b"))
    assert a["dev"] == b["dev"] and a["test"] == b["test"]


def test_cli_reports_bad_config(capsys):
    assert main(["--config", str(CONFIGS / "tiny.yaml"), "--epochs", "zero"]) == 2
    assert "epochs: expected" in capsys.readouterr().err


def test_baseline_trains_and_scores(tmp_path):
    config = load_config(
        CONFIGS / "baseline.yaml",
        {"tracking": "none", "sources": ["corpus"], "max_examples": 300, "output_dir": str(tmp_path)},
    )
    result = run(config)
    assert 0 <= result["test"]["stance_macro_f1"] <= 1 and result["model_dir"] is None


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("training.tracking.artifact_root", lambda: (tmp_path / "artifacts").as_uri())
    return uri


def test_mlflow_run_pyfunc_and_champion(tiny_encoder, tmp_path, mlflow_store):
    import mlflow
    import pandas as pd

    config = _config(
        tiny_encoder, tmp_path, tracking="mlflow", register=True, export_default=True, experiment="test"
    )
    first = run(config)
    client = mlflow.MlflowClient(mlflow_store)
    r = client.get_run(first["run_id"])
    assert r.data.params["epochs"] == "1" and "dev/stance_macro_f1" in r.data.metrics
    assert "train/loss" in r.data.metrics and r.data.tags["git_commit"]
    names = {a.path for a in client.list_artifacts(first["run_id"])}
    assert {"config.json", "data_hashes.json", "data_sources.json", "label_map.json", "reports"} <= names
    reports = {a.path for a in client.list_artifacts(first["run_id"], "reports")}
    assert "reports/test_stance_confusion.png" in reports and "reports/dev_rhetoric_f1.png" in reports
    champ = client.get_model_version_by_alias("stance", "champion")
    assert champ.run_id == first["run_id"]
    # The pyfunc round trip: a DataFrame of texts in, stance, techniques and 9 scores out.
    model = mlflow.pyfunc.load_model("models:/stance@champion")
    out = model.predict(pd.DataFrame({"text": ["We will never give up.", "The count resumes at nine."]}))
    assert list(out["stance"]) == [
        p.stance
        for p in __import__("stance")
        .load(first["model_dir"])
        .predict(["We will never give up.", "The count resumes at nine."])
    ]
    assert out.shape == (2, 11)
    # The same config again scores the same, so it must not take the alias.
    second = run(config)
    assert client.get_model_version_by_alias("stance", "champion").run_id == first["run_id"]
    assert second["run_id"] != first["run_id"]
    # A rebuilt corpus (another test split) makes the scores incomparable: the new model takes the alias.
    client.set_tag(first["run_id"], "test_split_sha256", "an-older-split")
    client.set_tag(second["run_id"], "test_split_sha256", "an-older-split")
    third = run(config)
    assert client.get_model_version_by_alias("stance", "champion").run_id == third["run_id"]
    # make train's export is where stance.predict looks by default.
    assert (Path(os.environ["STANCE_HOME"]) / "models" / "default" / META_FILE).is_file()
