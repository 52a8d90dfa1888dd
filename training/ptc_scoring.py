"""Scorers for SemEval-2020 Task 11 (PTC): span identification, technique classification, sentence level.

Reimplemented from the organisers' `task-SI_scorer.py` and `task-TC_scorer.py` (Da San Martino et al.,
SemEval 2020; tools/ of the task's data release). Spans are (article_id, start, end) with end exclusive;
technique spans are (article_id, technique, start, end) with our technique ids (GoldSpan from
training.external.ptc fits both).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from stance.labels import TECHNIQUES

Span = tuple[int, int]


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1."""

    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class TCScore:
    """Technique classification: micro P/R/F1 (all three equal accuracy) and P/R/F1 per technique."""

    precision: float
    recall: float
    f1: float
    per_technique: dict[str, PRF]
    n_spans: int
    n_correct: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "n_spans": self.n_spans,
            "n_correct": self.n_correct,
            "per_technique": {t: prf.to_dict() for t, prf in self.per_technique.items()},
        }


def _prf(p_num: float, p_den: float, r_num: float, r_den: float) -> PRF:
    """The official compute_prec_rec_f1: F1 is 1 when both sides are empty, 0 when P or R is 0."""
    p = p_num / p_den if p_den > 0 else 0.0
    r = r_num / r_den if r_den > 0 else 0.0
    if p_den == 0 and r_den == 0:
        f1 = 1.0
    elif p > 0 and r > 0:
        f1 = 2 * p * r / (p + r)
    else:
        f1 = 0.0
    return PRF(p, r, f1)


def _offsets(span: Sequence[Any], where: str) -> tuple[str, int, int]:
    if not isinstance(span, Sequence) or isinstance(span, str) or len(span) not in (3, 4):
        raise TypeError(
            f"{where}: expected (article_id, start, end) or (article_id, technique, start, end), got {span!r}"
        )
    article_id, start, end = span[0], span[-2], span[-1]
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end:
        raise ValueError(f"{where}: offsets must be integers with 0 <= start < end, got [{start!r}, {end!r})")
    return str(article_id), start, end


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge spans sharing a character, as the official SI scorer does; touching spans stay apart.

    >>> merge_spans([(0, 5), (3, 8), (8, 10), (20, 30)])
    [(0, 8), (8, 10), (20, 30)]
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _si_by_article(spans: Iterable[Sequence[Any]], name: str, merge: bool) -> dict[str, list[Span]]:
    grouped: dict[str, list[Span]] = defaultdict(list)
    for i, span in enumerate(spans):
        article_id, start, end = _offsets(span, f"{name}[{i}]")
        grouped[article_id].append((start, end))
    out: dict[str, list[Span]] = {}
    for article_id, article_spans in grouped.items():
        merged = merge_spans(article_spans)
        if not merge and len(merged) != len(article_spans):
            raise ValueError(
                f"{name}: article {article_id} has overlapping spans; the official scorer rejects them "
                f"unless merged (pass merge_pred=True, its -m option)"
            )
        out[article_id] = merged
    return out


def score_si(gold: Iterable[Sequence[Any]], pred: Iterable[Sequence[Any]], *, merge_pred: bool = True) -> PRF:
    """Span identification P/R/F1 with partial-overlap credit (SemEval-2020 Task 11, subtask SI).

    The measure defined by Da San Martino et al. (EMNLP 2019) and used for SemEval-2020 Task 11, subtask SI.
    Techniques are ignored; within each article, gold spans that share a character are merged (always,
    as the official scorer does) and so are predicted ones (its -m option; with merge_pred=False
    overlapping predictions raise ValueError, its default). With S the predicted and T the gold spans:

        C(s, t, h) = |s ∩ t| / h
        P(S, T) = 1/|S| · Σ_{s∈S, t∈T} C(s, t, |s|)
        R(S, T) = 1/|T| · Σ_{s∈S, t∈T} C(s, t, |t|)
        F1 = 2·P·R / (P + R)

    where the sums pair spans of the same article, |S| and |T| count spans over all articles (after
    merging), predictions in articles without gold spans count in |S| only, and F1 is 1 when both S and
    T are empty.

    >>> score_si([("1", 0, 10)], [("1", 5, 15)])
    PRF(precision=0.5, recall=0.5, f1=0.5)
    """
    gold_spans = _si_by_article(gold, "gold", merge=True)
    pred_spans = _si_by_article(pred, "pred", merge=merge_pred)
    p_num = r_num = 0.0
    for article_id, predicted in pred_spans.items():
        for s_start, s_end in predicted:
            for t_start, t_end in gold_spans.get(article_id, []):
                overlap = min(s_end, t_end) - max(s_start, t_start)
                if overlap > 0:
                    p_num += overlap / (s_end - s_start)
                    r_num += overlap / (t_end - t_start)
    n_pred = sum(len(v) for v in pred_spans.values())
    n_gold = sum(len(v) for v in gold_spans.values())
    return _prf(p_num, n_pred, r_num, n_gold)


def _tc_by_article(spans: Iterable[Sequence[Any]], name: str) -> dict[str, list[tuple[int, int, str]]]:
    grouped: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for i, span in enumerate(spans):
        if not isinstance(span, Sequence) or isinstance(span, str) or len(span) != 4:
            raise TypeError(f"{name}[{i}]: expected (article_id, technique, start, end), got {span!r}")
        article_id, start, end = _offsets(span, f"{name}[{i}]")
        technique = span[1]
        if technique not in TECHNIQUES:
            raise ValueError(
                f"{name}[{i}]: unknown technique {technique!r}; expected one of {list(TECHNIQUES)}"
            )
        grouped[article_id].append((start, end, technique))
    return grouped


def _in_gold_order(
    article_id: str, gold: list[tuple[int, int, str]], pred: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Order pred like gold (stably sorted by start); entries of one span keep the order they came in."""
    queues: dict[tuple[int, int], list[str]] = defaultdict(list)
    for start, end, technique in pred:
        queues[(start, end)].append(technique)
    wanted = Counter((start, end) for start, end, _ in gold)
    for key in sorted(set(wanted) | set(queues)):
        if wanted[key] != len(queues[key]):
            raise ValueError(
                f"pred must label exactly the gold spans: article {article_id} span [{key[0]}, {key[1]}) has "
                f"{wanted[key]} gold and {len(queues[key])} predicted entries"
            )
    for queue in queues.values():
        queue.reverse()  # pop() from the end gives them back in input order
    return [(start, end, queues[(start, end)].pop()) for start, end, _ in gold]


def _align(pred: list[tuple[int, int, str]], gold: list[tuple[int, int, str]]) -> None:
    """The official align_annotations, in place: swap equal labels of one span to the same position.

    At position i it looks for an equal (span, label) pair among the following entries whose span equals
    the one at i. After a position without a match it skips ahead to the last entry of the run of equal
    spans that starts at the next position, so a misclassified span just before a multi-label span can
    hide matches there; this quirk is kept so that scores agree with the published ones.
    """
    i = 0
    while i < len(pred):
        match = None
        j2 = i
        while match is None and j2 < len(gold) and gold[j2][:2] == gold[i][:2]:
            j1 = i
            while j1 < len(pred) and pred[j1][:2] == pred[i][:2]:
                if pred[j1] == gold[j2]:
                    match = (j1, j2)
                    break
                j1 += 1
            j2 += 1
        if match is not None:
            j1, j2 = match
            pred[i], pred[j1] = pred[j1], pred[i]
            gold[i], gold[j2] = gold[j2], gold[i]
        i += 1
        if match is None:
            while i + 1 < len(pred) and pred[i][:2] == pred[i + 1][:2]:
                i += 1


def score_tc(gold: Iterable[Sequence[Any]], pred: Iterable[Sequence[Any]]) -> TCScore:
    """Technique classification scores as the official TC scorer computes them (SemEval-2020 Task 11, TC).

    `pred` must label exactly the gold spans, keyed by (article_id, start, end), with as many entries per
    span as gold has (ValueError otherwise, the official format check). Per article, gold is sorted by
    start (stable, so file order breaks ties) and pred is put in the same order, its entries for one span
    kept in the order given. Entries of a span with several gold techniques are then aligned as the
    official align_annotations does (see `_align`: any order matches, except after a misclassified span
    just before). Micro P, R and F1 over the aligned label pairs all equal the share of correctly
    labelled entries (sklearn average='micro'); per technique c, P = correct c / predicted c and
    R = correct c / gold c, with 0 where undefined, as sklearn reports them.

    >>> score_tc([("1", "doubt", 0, 5), ("1", "slogans", 7, 9)],
    ...          [("1", "doubt", 0, 5), ("1", "doubt", 7, 9)]).f1
    0.5
    """
    gold_spans = _tc_by_article(gold, "gold")
    pred_spans = _tc_by_article(pred, "pred")
    if not gold_spans:
        raise ValueError("gold has no spans to score")
    extra = sorted(set(pred_spans) - set(gold_spans))
    if extra:
        raise ValueError(f"pred must label exactly the gold spans: articles {extra[:5]} have no gold spans")
    correct: Counter[str] = Counter()
    gold_count: Counter[str] = Counter()
    pred_count: Counter[str] = Counter()
    for article_id, article_gold in gold_spans.items():
        ordered_gold = sorted(article_gold, key=lambda span: span[0])
        ordered_pred = _in_gold_order(article_id, ordered_gold, pred_spans.get(article_id, []))
        _align(ordered_pred, ordered_gold)
        for (_, _, p), (_, _, g) in zip(ordered_pred, ordered_gold, strict=True):
            pred_count[p] += 1
            gold_count[g] += 1
            correct[g] += p == g
    n_spans = sum(gold_count.values())
    n_correct = sum(correct.values())
    per_technique = {}
    for technique in TECHNIQUES:
        tp, n_p, n_g = correct[technique], pred_count[technique], gold_count[technique]
        p = tp / n_p if n_p else 0.0
        r = tp / n_g if n_g else 0.0
        per_technique[technique] = PRF(p, r, 2 * p * r / (p + r) if p + r > 0 else 0.0)
    accuracy = n_correct / n_spans
    return TCScore(accuracy, accuracy, accuracy, per_technique, n_spans, n_correct)


def _positive(value: Any, where: str) -> bool:
    if isinstance(value, bool | int):
        return bool(value)
    if isinstance(value, Iterable) and not isinstance(value, str):
        return len(list(value)) > 0
    raise TypeError(f"{where}: expected a bool or a collection of techniques, got {value!r}")


def sentence_prf(gold_sets: Sequence[Any], pred_sets: Sequence[Any]) -> PRF:
    """Sentence-level binary P/R/F1 for "the sentence contains a technique" (positive = non-empty / True).

    Each item is a bool or a collection of techniques (e.g. a record's `rhetoric`). P or R is 0 when its
    denominator is 0, and so is F1.

    >>> sentence_prf([["doubt"], [], ["slogans"]], [["doubt"], ["doubt"], []])
    PRF(precision=0.5, recall=0.5, f1=0.5)
    """
    if len(gold_sets) != len(pred_sets):
        raise ValueError(f"gold has {len(gold_sets)} sentences but pred has {len(pred_sets)}")
    tp = fp = fn = 0
    for i, (g, p) in enumerate(zip(gold_sets, pred_sets, strict=True)):
        g_pos, p_pos = _positive(g, f"gold_sets[{i}]"), _positive(p, f"pred_sets[{i}]")
        tp += g_pos and p_pos
        fp += p_pos and not g_pos
        fn += g_pos and not p_pos
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return PRF(p, r, 2 * p * r / (p + r) if p + r > 0 else 0.0)
