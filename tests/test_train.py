"""The training entry point on tiny.yaml, determinism, MLflow logging, the pyfunc and the champion alias."""

import json
import os
from pathlib import Path

import pytest

from stance.model import META_FILE, WEIGHTS_FILE
from training.config import load_config
from training.train import main, run

CONFIGS = Path(__file__).parents[1] / "configs"
BASELINE_300 = 0.474382  # test stance macro-F1 of configs/baseline.yaml, max_examples 300, corpus v1.4


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
    assert result["model_dir"] is None
    # The scikit-learn baseline is deterministic: its score on the capped corpus splits is known. It moves when
    # the corpus changes (the 300 statements are a seeded sample): put the new value here after checking it.
    assert result["test"]["stance_macro_f1"] == pytest.approx(BASELINE_300, abs=1e-6), result["test"]


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
    assert int(client.get_model_version_by_alias("stance", "champion").version) == 1
    # A strictly better model takes it, judged on the dev score that chose its epoch, never on test: lower the
    # champion's recorded selection score (and raise its test score out of reach), then train the same config.
    score = r.data.metrics["dev/selection_score"]
    client.log_metric(first["run_id"], "dev/selection_score", score - 0.01, step=10**6)
    client.log_metric(first["run_id"], "test/stance_macro_f1", 1.0, step=10**6)
    better = run(config)
    assert client.get_run(better["run_id"]).data.metrics["dev/selection_score"] == pytest.approx(score)
    champ = client.get_model_version_by_alias("stance", "champion")
    assert (champ.run_id, int(champ.version)) == (better["run_id"], 3)
    # A champion chosen on other dev sets (another real dev fold, relabelled dev) does not compare: it stays.
    client.set_tag(better["run_id"], "selection_sets_sha256", "other-dev-sets")
    client.log_metric(better["run_id"], "dev/selection_score", -1.0, step=10**6)
    other = run(config)
    assert client.get_model_version_by_alias("stance", "champion").run_id == better["run_id"]
    # A rebuilt corpus (another test split) makes the scores incomparable: the new model takes the alias.
    for old in (first, second, better, other):
        client.set_tag(old["run_id"], "test_split_sha256", "an-older-split")
    client.log_metric(
        better["run_id"], "dev/selection_score", 99.0, step=10**6
    )  # unbeatable, but incomparable
    fourth = run(config)
    assert client.get_model_version_by_alias("stance", "champion").run_id == fourth["run_id"]
    # make train's export is where stance.predict looks by default.
    assert (Path(os.environ["STANCE_HOME"]) / "models" / "default" / META_FILE).is_file()


# ---------------------------------------------------------------- the pyfunc's columns


def _pyfunc(model_dir: Path):
    from training.pyfunc import StancePyfunc

    model = StancePyfunc()
    model.load_context(type("Context", (), {"artifacts": {"model_dir": str(model_dir)}})())
    return model


def test_pyfunc_columns_are_the_predictions(tiny_model, tmp_path):
    import shutil

    import pandas as pd

    import stance
    from stance.labels import STANCES, TECHNIQUES
    from stance.model import read_meta, write_meta

    copy = tmp_path / "model"  # thresholds of 0 put every technique in `techniques`, most likely first
    shutil.copytree(tiny_model, copy)
    meta = read_meta(copy)
    meta.thresholds = dict.fromkeys(TECHNIQUES, 0.0)
    write_meta(meta, copy)
    texts = ["We will never give up.", "The count resumes at nine.", "They are liars and thieves."]
    out = _pyfunc(copy).predict(None, pd.DataFrame({"id": [7, 8, 9], "text": texts}))
    assert list(out.columns) == ["stance", "techniques"] + [f"score_{s}" for s in STANCES]
    preds = stance.load(copy).predict(texts)
    assert list(out["stance"]) == [p.stance for p in preds]
    assert list(out["techniques"]) == [",".join(p.rhetoric) for p in preds]
    assert all(len(p.rhetoric) == len(TECHNIQUES) for p in preds)
    for s in STANCES:
        assert list(out[f"score_{s}"]) == [p.stance_scores[s] for p in preds]


def test_pyfunc_needs_a_text_column(tiny_model):
    import pandas as pd

    with pytest.raises(
        ValueError, match=r"expected a DataFrame with a 'text' column, got columns \['body'\]"
    ):
        _pyfunc(tiny_model).predict(None, pd.DataFrame({"body": ["We will win."]}))


def test_a_model_without_real_quotes_is_corrected_toward_the_real_news_prior(
    tiny_model, tmp_path, monkeypatch
):
    """The corpus-only path: no real dev fold to choose the strength on, so prior_alpha fixes it, and the real
    prior comes from the committed stand-off labels (no external text needed)."""
    import shutil

    import numpy as np

    import training.data.standoff
    from stance.labels import STANCES
    from stance.model import read_meta
    from stance.predict import Predictor
    from training.eval_real import natural_real_prior
    from training.eval_real import run as measure_prior
    from training.external import ExternalDataMissing

    def no_corpora(
        *args, **kwargs
    ):  # documents read earlier in the session are cached: unsetting is not enough
        raise ExternalDataMissing("STANCE_EXTERNAL_DIR is unset")

    monkeypatch.delenv("STANCE_EXTERNAL_DIR", raising=False)
    monkeypatch.setattr(training.data.standoff, "load_standoff", no_corpora)
    prior = natural_real_prior()
    assert sum(prior.values()) > 5000 and prior.most_common(1)[0][0] == "neutral"
    model = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    with pytest.raises(ValueError, match="no real dev fold"):
        measure_prior(str(model), apply=True)
    result = measure_prior(str(model), apply=True, alpha=1.0)
    assert result["applied"] and result["fixed_alpha"] == 1.0 and "polnear_dev" not in result["n"]
    offsets = read_meta(model).stance_bias
    ratio = np.array([result["ratio"][s] for s in STANCES])
    assert np.allclose(offsets, np.log(ratio), atol=1e-2)
    assert max(range(len(STANCES)), key=offsets.__getitem__) == STANCES.index("neutral")
    texts = [
        "The committee meets on Tuesday.",
        "They lied to every voter in this state.",
        "We won big tonight.",
    ]
    before = [p.stance_scores["neutral"] for p in Predictor(tiny_model).predict(texts)]
    after = [p.stance_scores["neutral"] for p in Predictor(model).predict(texts)]
    assert all(a > b for a, b in zip(after, before, strict=True))


def test_a_run_on_an_mpnet_encoder_trains_scores_and_loads_in_the_runtime(tiny_mpnet_encoder, tmp_path):
    """`--encoder` with an MPNet encoder (the accurate model's all-mpnet-base-v2, here tiny and random): the run
    trains, its thresholds and scores go through the plain-torch runtime (MPNet's relative-position bias), and
    `stance.load` gives what the transformers training model gives."""
    import torch

    from stance.predict import Predictor
    from training.modeling import load_model

    result = run(_config(tiny_mpnet_encoder, tmp_path / "run"))
    model_dir = Path(result["model_dir"])
    assert json.loads((model_dir / "config.json").read_text())["model_type"] == "mpnet"
    assert 0.0 <= result["test"]["stance_macro_f1"] <= 1.0
    texts = ["We will never surrender.", "The talks resume on Monday in Geneva, officials said."]
    model, tokenizer, _ = load_model(model_dir)
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        expected = model(batch["input_ids"], batch["attention_mask"])["stance"].softmax(-1)
    predictor = Predictor(model_dir)
    got = torch.tensor(
        [[p.stance_scores[s] for s in predictor.meta.stances] for p in predictor.predict(texts)]
    )
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


def test_a_missing_encoder_folder_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="make encoder-mpnet"):
        run(
            load_config(
                CONFIGS / "tiny.yaml", {"encoder": str(tmp_path / "nope"), "output_dir": str(tmp_path)}
            )
        )
