"""Model resolution as the README states it: argument > $STANCE_MODEL > the default; MLflow URIs from anywhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import stance
from stance.cli import main
from stance.resolve import mlflow_tracking_uri, resolve_model

TEXT = "We will never give up."


@pytest.fixture
def three_models(tiny_model, tmp_path, monkeypatch):
    """Copies of the tiny model as an argument, as $STANCE_MODEL, under $STANCE_HOME and under $XDG_DATA_HOME."""
    places = {
        "argument": tmp_path / "arg",
        "env": tmp_path / "env",
        "home": tmp_path / "home" / "models" / "default",
        "xdg": tmp_path / "xdg" / "stance" / "models" / "default",
    }
    for where in places.values():
        shutil.copytree(tiny_model, where)
    monkeypatch.setenv("STANCE_MODEL", str(places["env"]))
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return places


def test_order_argument_then_env_then_home_then_xdg(three_models, monkeypatch):
    assert resolve_model(three_models["argument"]) == three_models["argument"]
    assert stance.load(str(three_models["argument"])).directory == three_models["argument"]
    assert resolve_model() == three_models["env"]
    monkeypatch.delenv("STANCE_MODEL")
    assert resolve_model() == three_models["home"]
    monkeypatch.delenv("STANCE_HOME")
    assert resolve_model() == three_models["xdg"]
    monkeypatch.setenv("STANCE_MODEL", "")  # empty is unset
    assert resolve_model() == three_models["xdg"]


def test_cli_model_option_beats_the_environment(three_models, monkeypatch, capsys):
    monkeypatch.setenv("STANCE_MODEL", str(three_models["env"] / "missing"))  # would be an error if read
    assert main(["predict", "--model", str(three_models["argument"]), "--format", "json", TEXT]) == 0
    assert (
        json.loads(capsys.readouterr().out) == stance.load(three_models["argument"]).predict(TEXT).to_dict()
    )
    assert main(["predict", "--format", "json", TEXT]) == 2
    assert "$STANCE_MODEL points to" in capsys.readouterr().err


def test_tracking_uri_is_the_training_store_from_any_directory(tmp_path, monkeypatch):
    """Without $MLFLOW_TRACKING_URI, models:/ and runs:/ are looked up in the store `make train` logs to
    (the repository's mlflow.db), not in a mlflow.db in the working directory."""
    from training.tracking import tracking_uri

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    repo = Path(__file__).resolve().parents[1]
    assert mlflow_tracking_uri() == tracking_uri() == f"sqlite:///{repo / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////somewhere/else.db")
    assert mlflow_tracking_uri() == tracking_uri() == "sqlite:////somewhere/else.db"


def test_mlflow_uri_is_looked_up_in_that_store(tiny_model, tmp_path, monkeypatch):
    import mlflow

    seen = {}
    shutil.copytree(tiny_model, tmp_path / "downloaded" / "model_dir")

    def download(**kwargs):
        seen.update(kwargs)
        return str(tmp_path / "downloaded")

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(mlflow.artifacts, "download_artifacts", download)
    assert resolve_model("models:/stance@champion") == tmp_path / "downloaded" / "model_dir"
    assert seen["artifact_uri"] == "models:/stance@champion"
    assert seen["tracking_uri"] == mlflow_tracking_uri() and seen.get("registry_uri") == mlflow_tracking_uri()


@pytest.fixture(scope="module")
def registered(tiny_encoder, tmp_path_factory):
    """A tiny model trained, logged and registered as `stance` (champion) in a store outside the repo."""
    from training.config import load_config
    from training.train import run

    root = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        mp.setenv("STANCE_HOME", str(root / "home"))
        mp.setattr("training.tracking.artifact_root", lambda: (root / "artifacts").as_uri())
        config = load_config(
            Path(__file__).parents[1] / "configs" / "tiny.yaml",
            {
                "encoder": str(tiny_encoder),
                "output_dir": str(root / "out"),
                "tracking": "mlflow",
                "register": True,
                "experiment": "resolve",
            },
        )
        result = run(config)
    return root, result


@pytest.mark.parametrize("uri", ["models:/stance@champion", "models:/stance/1", "runs:/{run_id}/model"])
def test_mlflow_uris_from_outside_the_repo(registered, uri, tmp_path, monkeypatch, capsys):
    root, result = registered
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)  # a working directory with no store, outside the repository
    uri = uri.format(run_id=result["run_id"])
    expected = stance.load(result["model_dir"]).predict(TEXT).to_dict()
    assert stance.load(uri).predict(TEXT).to_dict() == expected
    assert main(["predict", "--model", uri, "--format", "json", TEXT]) == 0
    assert json.loads(capsys.readouterr().out) == expected
    monkeypatch.setenv("STANCE_MODEL", uri)
    assert stance.load().predict(TEXT).to_dict() == expected
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlruns").exists()


def test_unknown_alias_is_an_error(registered, tmp_path, monkeypatch):
    root, _ = registered
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exception, match="nope"):
        stance.load("models:/stance@nope")
