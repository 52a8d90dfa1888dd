"""Golden tests with the trained default model (`make train`) on the seed article's quotes. Slow."""

import json

import pytest

import stance
from stance.resolve import default_model_dir, resolve_model

from .conftest import FIXTURES

SEEDS = json.loads((FIXTURES / "seed_quotes.json").read_text())
ARTICLE = (FIXTURES / "kursk-article.txt").read_text(encoding="utf-8")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model():
    try:
        return resolve_model()
    except FileNotFoundError:
        pytest.fail(f"no trained model at {default_model_dir()} (or $STANCE_MODEL): run `make train` first")


@pytest.mark.parametrize("seed", SEEDS, ids=[s["quote"][:30] for s in SEEDS])
def test_seed_quote_stance(model, seed):
    text = seed.get("sentence", seed["quote"])  # partial quotes are read in their sentence
    assert stance.predict(text, model=model).stance == seed["stance"]


def test_analyze_seed_article(model):
    quotes = stance.analyze(ARTICLE, model=model)
    found = {(q.speaker, q.text.rstrip(",.")): q for q in quotes}
    expected = [
        ("Mr Putin", "The Kyiv regime’s adventure has completely failed", "triumphal"),
        ("Ukraine’s chief of staff", "Statements by the enemy leadership about the 'defeat' of the Ukrainian troops are "
         "nothing more than propaganda tricks", "dismissive"),
        ("Ukraine’s chief of staff", "difficult", "conceding"),
        ("Mr Gerasimov", "heroism", "supportive"),
        ("Mr Gerasimov", "provided significant assistance", "supportive"),
        ("the Kremlin", "resume negotiations with Ukraine without any preconditions", "conciliatory"),
    ]
    for speaker, text, label in expected:
        assert (speaker, text) in found, f"missing {speaker}: {text!r}; found {sorted(found)}"
        q = found[(speaker, text)]
        assert ARTICLE[q.start : q.end] == q.text
        assert q.prediction.stance == label, f"{speaker}: {text!r} -> {q.prediction.stance}, expected {label}"
