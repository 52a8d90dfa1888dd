"""Golden tests on the seed article's quotes. Slow.

With the trained default model (`make train`, marker `default_model`): every stance. With the short model CI
trains (`short_model`, `make test-ci`): the quotes and speakers, and the stances a 2-epoch model gets right.
"""

import pytest

import stance
from stance.resolve import default_model_dir, resolve_model
from training.seed_check import analyze_misses, seeds, top

SEEDS = seeds()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model():
    try:
        return resolve_model()
    except FileNotFoundError:
        pytest.fail(f"no trained model at {default_model_dir()} (or $STANCE_MODEL): run `make train` first")


# Known misses of the current default model, kept visible: strict xfail fails the run as soon as they pass.
# (v2 of 2026-11-30 reads "full and unconditional ceasefire" as conciliatory: none left.)
KNOWN_MISSES: dict[str, str] = {}


def _param(seed):
    miss = KNOWN_MISSES.get(seed["quote"])
    marks = [pytest.mark.xfail(strict=True, reason=miss)] if miss else []
    return pytest.param(seed, marks=marks, id=seed["quote"][:30])


@pytest.mark.default_model
@pytest.mark.parametrize("seed", [_param(s) for s in SEEDS])
def test_seed_quote_stance(model, seed):
    text = seed.get("sentence", seed["quote"])  # partial quotes are read in their sentence
    assert stance.predict(text, model=model).stance == seed["stance"]


def _check_seed_analyze(model) -> None:
    # the quotes and speakers are rule-based; the stances are what a 2-epoch model on the corpus alone gives with a
    # margin (measured on a CPU run: top probability 0.80-0.99, lead over the runner-up 0.62-0.99)
    assert analyze_misses(model) == []


@pytest.mark.default_model
def test_analyze_seed_article(model):
    _check_seed_analyze(model)


# ---------------------------------------------------------------- CI: the short model `make test-ci` trains


def test_short_model_finds_the_seed_quotes_speakers_and_stances(short_model):
    _check_seed_analyze(short_model["model_dir"])


# All seven seed quotes, read alone or in their sentence (top probability 0.72-0.99, lead 0.56-0.98).
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: s["quote"][:30])
def test_short_model_seed_stances(short_model, seed):
    p = stance.predict(seed.get("sentence", seed["quote"]), model=short_model["model_dir"])
    assert p.stance == seed["stance"], top(p)


def test_short_model_int8_stays_close(short_model):
    """The int8 fast path on a real encoder, beside the exact path on the test split (`bench/accuracy.py`).

    The 0.5-point gate that decides whether `make bench` offers the path is for the default model; this short
    model measured +0.58 / +0.06 points (stance macro-F1 / rhetoric micro-F1) and 9 of 889 stance labels
    changed, so CI holds it to 1 point and 2% of the labels, and checks the gate's arithmetic."""
    from bench.accuracy import TOLERANCE, compare

    result = compare(short_model["model_dir"])
    fast = result["int8"]
    assert all(abs(d) <= 1.0 for d in fast["delta_points"].values()), fast["delta_points"]
    assert fast["stance_disagreements"] <= 0.02 * result["n"], fast["stance_disagreements"]
    assert fast["offered"] == all(abs(d) <= 100 * TOLERANCE for d in fast["delta_points"].values())
