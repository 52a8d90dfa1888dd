"""The predict() contract on a tiny model: shapes, order, errors, threads, windows, model resolution."""

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import stance
from stance.labels import STANCES, TECHNIQUES
from stance.model import META_FILE


@pytest.fixture(scope="module")
def predictor(tiny_model):
    return stance.load(tiny_model)


def test_str_list_and_empty(predictor):
    one = predictor.predict("We will never surrender.")
    assert isinstance(one, stance.Prediction)
    assert set(one.stance_scores) == set(STANCES) and set(one.rhetoric_scores) == set(TECHNIQUES)
    assert one.stance == max(STANCES, key=one.stance_scores.__getitem__)
    assert abs(sum(one.stance_scores.values()) - 1) < 1e-4
    over = [t for t in TECHNIQUES if one.rhetoric_scores[t] >= predictor.meta.thresholds[t]]
    assert one.rhetoric == tuple(sorted(over, key=lambda t: -one.rhetoric_scores[t]))
    assert predictor.predict([]) == []
    texts = [
        "Short.",
        "A much longer statement about the budget vote that happened on Tuesday night.",
        "Mid length one.",
    ]
    many = predictor.predict(texts, batch_size=2)
    assert [p.text for p in many] == texts
    alone = predictor.predict(texts[1])  # batching and sorting change nothing beyond float noise
    assert many[1].stance == alone.stance
    assert list(many[1].stance_scores.values()) == pytest.approx(list(alone.stance_scores.values()), abs=1e-5)


def test_to_dict_is_json(predictor):
    d = predictor.predict("They lied to us.").to_dict()
    assert json.loads(json.dumps(d))["text"] == "They lied to us."
    assert set(d) == {"text", "stance", "stance_scores", "rhetoric", "rhetoric_scores", "spans"}


def test_prediction_is_frozen(predictor):
    p = predictor.predict("Hello.")
    with pytest.raises(AttributeError):
        p.stance = "neutral"


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (None, TypeError, "expected str or a list of str, got NoneType"),
        (b"bytes", TypeError, "got bytes: decode it first"),
        (["ok", 3], TypeError, "expected str at index 1, got int"),
        (["ok", b"x"], TypeError, "at index 1, got bytes"),
        (["ok", "   "], ValueError, "empty or whitespace-only text at index 1"),
        ("", ValueError, "at index 0"),
        ({"text": "x"}, TypeError, "got dict"),
    ],
)
def test_bad_input(predictor, bad, error, message):
    with pytest.raises(error, match=message):
        predictor.predict(bad)


def test_bad_batch_size(predictor):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        predictor.predict(["x"], batch_size=0)


def test_odd_text_gives_a_result(predictor):
    odd = ["Ceasefire now! 🕊️🔥", "Нет войне.", "停火", "tab\tand\x00control\x07chars", "word " * 3000]
    preds = predictor.predict(odd)
    assert [p.text for p in preds] == odd
    for p in preds:
        for s in p.spans:
            assert p.text[s.start : s.end] == s.text


def test_long_text_is_windowed_not_cut(predictor):
    # the exact merge rules are checked on a stub network in test_contracts.py
    long_text = "They are criminals and liars who destroyed our country. " * 60
    p = predictor.predict(long_text)
    assert p.text == long_text and abs(sum(p.stance_scores.values()) - 1) < 1e-4
    assert all(
        0 <= s.start < s.end <= len(long_text) and long_text[s.start : s.end] == s.text for s in p.spans
    )
    assert [s.start for s in p.spans] == sorted(s.start for s in p.spans)


def test_threads_match_serial(predictor):
    texts = [f"Statement number {i} about the vote and the {'very ' * (i % 7)}long count." for i in range(40)]
    chunks = [texts[i : i + 5] for i in range(0, len(texts), 5)]
    serial = [predictor.predict(c) for c in chunks]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(predictor.predict, chunks))
    assert parallel == serial


def test_module_predict_uses_the_model_argument(tiny_model):
    assert stance.predict("Fine.", model=tiny_model) == stance.load(tiny_model).predict("Fine.")
    assert stance.predict([], model=tiny_model) == []


def test_analyze_can_be_called_again(tiny_model):
    # stance.analyze is a function; a submodule of the same name used to replace it after the first call.
    article = 'The minister said: "We will never accept these terms." He added that talks were over.'
    first = stance.analyze(article, model=tiny_model)
    assert callable(stance.analyze)
    assert [q.text for q in stance.analyze(article, model=tiny_model)] == [q.text for q in first]
    assert first and first[0].text == "We will never accept these terms."


def test_resolution_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STANCE_MODEL", raising=False)
    with pytest.raises(FileNotFoundError, match="no stance model found.*Run `make train`"):
        stance.load()
    monkeypatch.setenv("STANCE_MODEL", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=r"\$STANCE_MODEL points to .*nowhere"):
        stance.load()


def test_env_model_is_used(tiny_model, monkeypatch):
    monkeypatch.setenv("STANCE_MODEL", str(tiny_model))
    assert stance.load().directory == tiny_model


@pytest.mark.parametrize(
    "change, message",
    [({"taxonomy_version": "0.1"}, "trained on taxonomy '0.1'"), ({"stances": ["a", "b"]}, "label lists")],
)
def test_mismatched_model_directory(tiny_model, tmp_path, change, message):
    copy = tmp_path / "model"
    shutil.copytree(tiny_model, copy)
    meta = json.loads((copy / META_FILE).read_text())
    meta.update(change)
    (copy / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=message):
        stance.load(copy)


def test_import_is_light():
    # stance.spark too: pyspark, pandas and torch load only when a UDF or session is made.
    heavy = "('torch', 'transformers', 'mlflow', 'training', 'pyspark', 'pandas')"
    code = f"import sys, stance, stance.spark; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_quantized_path_gives_results(tiny_model):
    fast = stance.load(tiny_model, quantize=True).predict(["We will win."])[0]
    assert fast == stance.load(tiny_model, quantize=True).predict(["We will win."])[0]  # the same calibration
    assert fast.stance == stance.load(tiny_model).predict("We will win.").stance
