"""The seed article's quotes, speakers and stances: the check every default model must pass.

`make train` runs it on the model it trained and reports each miss (and logs their count to MLflow as
`seed_article/misses`); the golden tests (`tests/test_seed_article.py`) assert it. The article is the one this project
started from (`tests/fixtures/kursk-article.txt`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
ARTICLE_FILE = FIXTURES / "kursk-article.txt"
# each seed quote with its speaker and stance; a partial quote also carries its sentence, which is what is read
SEEDS_FILE = FIXTURES / "seed_quotes.json"

# (speaker, quote, the stance analyze() must give it): the quotes and speakers come from the rules in stance/quotes.py
SEED_ANALYZE = [
    ("Mr Putin", "The Kyiv regime’s adventure has completely failed", "triumphal"),
    (
        "Ukraine’s chief of staff",
        "Statements by the enemy leadership about the 'defeat' of the Ukrainian troops are "
        "nothing more than propaganda tricks",
        "dismissive",
    ),
    ("Ukraine’s chief of staff", "difficult", "conceding"),
    ("Mr Gerasimov", "heroism", "supportive"),
    ("Mr Gerasimov", "provided significant assistance", "supportive"),
    ("the Kremlin", "resume negotiations with Ukraine without any preconditions", "conciliatory"),
]


def article() -> str:
    return ARTICLE_FILE.read_text(encoding="utf-8")


def seeds() -> list[dict[str, Any]]:
    return json.loads(SEEDS_FILE.read_text(encoding="utf-8"))


def top(prediction: Any, k: int = 3) -> list[tuple[str, float]]:
    """The k most likely stances with their scores, most likely first."""
    return sorted(prediction.stance_scores.items(), key=lambda kv: -kv[1])[:k]


def _predictor(model: Any) -> Any:
    """`model` as a loaded predictor: a directory is loaded here, not into `stance.predict`'s process-wide cache (a
    training process checks each model it trains once and need not keep it)."""
    from stance.predict import Predictor

    return model if isinstance(model, Predictor) else Predictor(model)


def analyze_misses(model: Any) -> list[str]:
    """What `stance.analyze` gets wrong on the seed article: a line per missing quote, wrong speaker or offset, or
    wrong stance (with the top three stances); empty when every check passes."""
    import stance

    text = article()
    found = {(q.speaker, q.text.rstrip(",.")): q for q in stance.analyze(text, model=_predictor(model))}
    misses = []
    for speaker, quote, label in SEED_ANALYZE:
        q = found.get((speaker, quote))
        if q is None:
            misses.append(f"analyze: missing {speaker}: {quote!r}")
        elif text[q.start : q.end] != q.text or text[q.speaker_start : q.speaker_end] != speaker:
            misses.append(f"analyze: wrong offsets for {speaker}: {quote!r}")
        elif q.prediction.stance != label:
            misses.append(f"analyze: {quote[:40]!r} is {label}, read {top(q.prediction)}")
    return misses


def predict_misses(model: Any) -> list[str]:
    """What `stance.predict` gets wrong on the seed quotes, each read alone (partial quotes in their sentence)."""
    all_seeds = seeds()
    predictions = _predictor(model).predict([s.get("sentence", s["quote"]) for s in all_seeds])
    return [
        f"predict: {s['quote'][:40]!r} is {s['stance']}, read {top(p)}"
        for s, p in zip(all_seeds, predictions, strict=True)
        if p.stance != s["stance"]
    ]


def seed_misses(model: Any) -> list[str]:
    """Every miss of `model` (a model directory or a loaded predictor) on the seed article; empty when it passes.

    >>> seed_misses("outputs/…/model")  # doctest: +SKIP
    []
    """
    predictor = _predictor(model)  # loaded once for both checks
    return analyze_misses(predictor) + predict_misses(predictor)
