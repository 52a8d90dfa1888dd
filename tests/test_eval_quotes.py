"""The PolNeAR quote scorer behind the README's quote and speaker numbers: hand-computed cases, then the table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stance.quotes import extract_quotes
from training.eval_quotes import (
    Item,
    evaluate,
    markdown,
    normalise,
    overlap_score,
    predicted_items,
    score,
    speaker_correct,
)
from training.external import available

README = Path(__file__).parents[1] / "README.md"
NO_MENTION: frozenset[int] = frozenset()


def chars(start: int, end: int) -> frozenset[int]:
    return frozenset(range(start, end))


def item(start: int, end: int, source: str | None = None, span: tuple[int, int] = (0, 0)) -> Item:
    return Item(chars(start, end), chars(*span), source)


# ---------------------------------------------------------------- overlap_score, hand-computed


def test_overlap_is_the_share_of_gold_covered():
    assert overlap_score(chars(0, 10), chars(5, 15)) == 0.5  # 5 of the 10 gold characters
    assert overlap_score(chars(0, 4), chars(0, 10)) == 1.0  # a longer prediction covers all of gold
    assert overlap_score(chars(0, 10), chars(0, 4)) == 0.4  # asymmetric: |gold ∩ pred| / |gold|
    assert overlap_score(chars(0, 10), chars(20, 30)) == 0.0
    assert overlap_score(frozenset(), chars(0, 4)) == 0.0 and overlap_score(chars(0, 4), frozenset()) == 0.0


# ---------------------------------------------------------------- speaker correctness, hand-computed


def test_normalise_drops_titles_determiners_and_possessives():
    assert normalise("Ukraine’s chief of staff") == ["ukraine", "chief", "of", "staff"]
    assert normalise("Mr. Trump's") == ["trump"]
    assert normalise("the Former President Barack Obama") == ["barack", "obama"]


@pytest.mark.parametrize(
    "gold, pred, mention, spans, expected",
    [
        # names agree when one word list holds the other, titles dropped
        (item(0, 9, "President Donald Trump", (20, 42)), item(0, 9, "Trump", (90, 95)), NO_MENTION, 1, 1),
        (item(0, 9, "Donald Trump", (20, 32)), item(0, 9, "Donald Duck", (90, 101)), NO_MENTION, True, False),
        # a gold pronoun is right through the span rule: the cue-side mention overlaps the gold Source span
        (item(0, 9, "he", (20, 22)), item(0, 9, "Joe Biden", (90, 99)), chars(20, 22), True, True),
        (item(0, 9, "he", (20, 22)), item(0, 9, "Joe Biden", (90, 99)), chars(20, 22), False, False),
        # ... or the resolved speaker's own span overlaps it
        (item(0, 9, "the senator", (20, 31)), item(0, 9, "Ms Warren", (24, 31)), NO_MENTION, True, True),
        # no gold Source: right only when no speaker is predicted
        (item(0, 9), item(0, 9), NO_MENTION, True, True),
        (item(0, 9), item(0, 9, "Mr Putin", (40, 48)), NO_MENTION, True, False),
        (item(0, 9, "Mr Putin", (40, 48)), item(0, 9), NO_MENTION, True, False),
    ],
)
def test_speaker_correct(gold, pred, mention, spans, expected):
    assert speaker_correct(gold, pred, mention, spans=bool(spans)) is bool(expected)


# ---------------------------------------------------------------- precision, recall, F1, hand-computed


def test_score_counts_strictly_above_the_threshold():
    gold = [item(0, 10, "Donald Trump", (20, 32)), item(40, 50)]
    preds = [
        (item(3, 13, "Trump", (60, 65)), NO_MENTION),  # covers 7 of gold 1's 10 characters: 0.7
        (item(40, 43), NO_MENTION),  # covers 3 of gold 2's 10: exactly 0.3, which is not > 0.3
        (item(100, 110, "Ms Lee", (120, 126)), NO_MENTION),  # no gold at all
    ]
    low = score([(gold, preds)], 0.3)
    # tp 1 (gold 1), fp 2, fn 1: P = 1/3, R = 1/2, F1 = 2PR / (P + R) = 0.4
    assert (low["true_positive"], low["false_positive"], low["false_negative"]) == (1, 2, 1)
    assert low["precision"] == pytest.approx(1 / 3) and low["recall"] == 0.5
    assert low["f1"] == pytest.approx(0.4)
    assert low["speaker_accuracy"] == 1.0 and low["speaker_accuracy_names_only"] == 1.0
    high = score([(gold, preds)], 0.8)  # 0.7 does not pass 0.8: nothing matches
    assert (high["true_positive"], high["false_positive"], high["false_negative"]) == (0, 3, 2)
    assert (high["precision"], high["recall"], high["f1"], high["speaker_accuracy"]) == (0.0, 0.0, 0.0, 0.0)


def test_score_pools_articles_and_uses_each_prediction_once():
    # article a: two gold quotes, one prediction covering both; article b: a pronoun speaker found by span
    a_gold = [item(0, 10, "Ms Lee", (30, 36)), item(10, 20, "Ms Lee", (30, 36))]
    a_pred = [(item(0, 20, "Lee", (50, 53)), NO_MENTION)]
    b_gold = [item(0, 8, "she", (10, 13))]
    b_pred = [(item(0, 8, "Ms Lee", (40, 46)), chars(10, 13)), (item(60, 70), NO_MENTION)]
    result = score([(a_gold, a_pred), (b_gold, b_pred)], 0.3)
    # a: the first gold takes the prediction (1.0), the second finds none left: tp 1, fn 1
    # b: tp 1, fp 1 -> tp 2, fp 1, fn 1: P = 2/3, R = 2/3, F1 = 2/3
    assert (result["true_positive"], result["false_positive"], result["false_negative"]) == (2, 1, 1)
    assert result["precision"] == pytest.approx(2 / 3) and result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 / 3)
    assert result["speaker_accuracy"] == 1.0  # "Lee" ~ "Ms Lee"; "she" through the mention span
    assert result["speaker_accuracy_names_only"] == 0.5  # "she" is no name


def test_score_of_nothing_is_zero_not_an_error():
    assert score([([], [])], 0.3)["f1"] == 0.0
    assert score([([item(0, 5)], [])], 0.3)["recall"] == 0.0


def test_quotes_sharing_a_cue_are_one_prediction():
    text = '"We will win," the minister said, "and they will lose."'
    quotes = extract_quotes(text)
    assert [q.text for q in quotes] == ["We will win", "and they will lose."]
    (pred, mention), *rest = predicted_items(text, quotes, ("direct", "partial"))
    assert rest == []
    # both quotations with their marks and trailing comma, as PolNeAR's content spans are drawn
    assert "".join(text[i] for i in sorted(pred.content)) == '"We will win,""and they will lose."'
    assert pred.source == "the minister" and text[min(mention) : max(mention) + 1] == "the minister"
    gold = [Item(chars(0, len(text)), chars(14, 26), "the minister")]
    result = score([(gold, [(pred, mention)])], 0.3)  # 35 of 55 characters
    assert (result["true_positive"], result["false_positive"], result["speaker_accuracy"]) == (1, 0, 1.0)


# ---------------------------------------------------------------- the README's numbers come from this scorer


def _readme_rows() -> list[list[str]]:
    text = README.read_text(encoding="utf-8").replace("**", "")
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in text.splitlines()
        if re.match(r"\| (quoted|all): ", line)
    ]


@pytest.mark.skipif(
    not available("polnear"), reason="PolNeAR not found: set STANCE_EXTERNAL_DIR to the folder holding it"
)
def test_readme_quote_table_is_what_eval_quotes_gives():
    """`make eval-quotes`: the README's PolNeAR test rows, cell for cell."""
    ours = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in markdown(evaluate("test")).splitlines()
        if re.match(r"\| (quoted|all): ", line)
    ]
    assert len(ours) == 2 and ours == _readme_rows()


@pytest.mark.skipif(
    not available("polnear"), reason="PolNeAR not found: set STANCE_EXTERNAL_DIR to the folder holding it"
)
def test_dev_numbers_quoted_in_the_readme():
    """README: 'On PolNeAR dev the same rules give F1 93.9 / 88.2 and speaker accuracy 90.5'."""
    dev = evaluate("dev")["quoted"]
    low, high = dev["0.3"], dev["0.8"]
    assert (low["true_positive"], low["false_positive"], low["false_negative"]) == (576, 27, 48)
    assert (round(100 * low["f1"], 1), round(100 * high["f1"], 1)) == (93.9, 88.2)
    assert round(100 * low["speaker_accuracy"], 1) == 90.5
