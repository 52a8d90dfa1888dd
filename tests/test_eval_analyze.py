"""`make eval-analyze`: analyze() scored end to end (found, right speaker, right stance; precision)."""

from __future__ import annotations

import pytest

from stance.article import analyze
from stance.quotes import extract_quotes
from training.eval_analyze import Labelled, evaluate, gold_kind, markdown, score_article, summary
from training.eval_quotes import Item

ARTICLE = (
    '"We will rebuild every bridge," Mayor Ruth Kim said on Monday.\n\n'
    'Her rival Tom Bell called the plan "a fantasy" at a rally.\n\n'
    "The council said it would vote on the budget next week."
)


def _span(text: str, fragment: str) -> frozenset[int]:
    start = text.index(fragment)
    return frozenset(range(start, start + len(fragment)))


def test_gold_kind() -> None:
    assert gold_kind('"We will rebuild," she said') == "direct"
    assert gold_kind('called the plan "a fantasy"') == "partial"
    assert gold_kind("Not paying taxes ''makes me smart,''") == "partial"
    assert gold_kind("it would vote on the budget") == "indirect"


def test_scores_found_speaker_and_stance(tiny_model) -> None:
    quotes = analyze(ARTICLE, model=str(tiny_model))
    by_text = {q.text: q for q in quotes}
    rebuild = by_text["We will rebuild every bridge"]
    wrong_stance = next(s for s in ("neutral", "defiant") if s != rebuild.prediction.stance)
    gold = [
        # found, right speaker, right stance
        Labelled(Item(_span(ARTICLE, '"We will rebuild every bridge,"'), _span(ARTICLE, "Mayor Ruth Kim"), "Mayor Ruth Kim"),
                 rebuild.prediction.stance, "direct"),
        # found, wrong speaker
        Labelled(Item(_span(ARTICLE, 'called the plan "a fantasy"'), _span(ARTICLE, "Her rival"), "Her rival"),
                 wrong_stance, "partial"),
        # not returned at all
        Labelled(Item(_span(ARTICLE, "Her rival Tom Bell"), frozenset(), None), "neutral", "indirect"),
    ]  # fmt: skip
    attributions = [gold[0].item]  # PolNeAR's attributions: only the first quote is one
    counts = score_article(ARTICLE, gold, attributions, extract_quotes(ARTICLE), quotes)
    assert counts["recall"] == {
        "direct": {"gold": 1, "found": 1, "speaker": 1, "stance": 1},
        "partial": {"gold": 1, "found": 1, "speaker": 0, "stance": 0},
        "indirect": {"gold": 1, "found": 0, "speaker": 0, "stance": 0},
    }
    returned = {k: v["returned"] for k, v in counts["precision"].items()}
    assert returned == {"direct": 1, "partial": 1, "indirect": 1}
    assert sum(v["right"] for v in counts["precision"].values()) == 1
    rates = summary(counts)
    assert rates["all"]["end_to_end"] == pytest.approx(1 / 3)
    assert rates["all"]["found_rate"] == pytest.approx(2 / 3)
    assert rates["all"]["precision"] == pytest.approx(1 / 3)


def test_analyze_and_extraction_must_agree(tiny_model) -> None:
    quotes = analyze(ARTICLE, model=str(tiny_model))
    with pytest.raises(ValueError, match="disagree"):
        score_article(ARTICLE, [], [], extract_quotes(ARTICLE)[1:], quotes)


def test_evaluate_on_polnear_dev(tiny_model) -> None:
    from training.external import ExternalDataMissing, external_dir

    try:
        external_dir("polnear")
    except ExternalDataMissing as exc:
        pytest.skip(str(exc))
    results = evaluate(str(tiny_model), limit=2)
    assert results["articles"] == 2 and results["labelled"] > 0
    assert results["rates"]["all"]["gold"] == results["labelled"]
    assert "/" not in results["model"]  # no machine path in the results
    table = markdown(results)
    assert "| **all** |" in table and "| direct |" in table
