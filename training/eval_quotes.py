"""Score stance.quotes.extract_quotes on PolNeAR the way the GenderGapTracker evaluation does.

python -m training.eval_quotes --split dev --out reports/quotes_dev.json
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

from stance.quotes import ExtractedQuote, extract_quotes
from training.external.polnear import SPLITS, Article, Attribution, load_polnear

THRESHOLDS = (0.3, 0.8)
QUOTE_MARK = re.compile(r"[\"“”]")
OPEN_MARKS, CLOSE_MARKS = '"“', '"”'
_PRONOUNS = frozenset(["he", "she", "they", "i", "we", "it", "you", "who", "his", "her", "their"])
_DROP = frozenset(
    ["the", "a", "an", "mr", "mrs", "ms", "dr", "sen", "senator", "rep", "gov", "president", "former"]
)
# Which gold attributions are counted, with the kinds of prediction compared against them.
GOLD_SETS = {
    "quoted": ("attributions whose content contains a quotation mark", ("direct", "partial")),
    "all": ("all attributions (incl. indirect speech, beliefs, reports)", ("direct", "partial", "indirect")),
}
HEADLINE = "quoted"  # chosen before looking at test: the extractor's job is quotes, not every attribution


@dataclass(frozen=True)
class Item:
    """A gold or predicted attribution reduced to what the scorer compares."""

    content: frozenset[int]
    source_span: frozenset[int]
    source: str | None


def overlap_score(gold: frozenset[int], pred: frozenset[int]) -> float:
    """Share of the gold quote's characters that the prediction covers.

    GenderGapTracker, NLP/evaluation/src/eval/evaluate_quotes.py (calc_index_match_score): the score is
    asymmetric, |gold ∩ pred| / |gold|, with the human annotation as reference; a pair matches when the
    score is strictly greater than the threshold (0.3 or 0.8), and each gold quote greedily takes its
    best-scoring prediction not used yet (find_best_match_quote).
    """
    return len(gold & pred) / len(gold) if gold and pred else 0.0


def normalise(name: str) -> list[str]:
    """Lower-case words of a speaker name without possessives, titles or determiners."""
    name = name.lower().replace("’", "'").replace("'s ", " ").removesuffix("'s")
    return [w for w in re.findall(r"[a-z0-9]+", name) if w not in _DROP]


def speaker_correct(gold: Item, pred: Item, mention: frozenset[int], spans: bool = True) -> bool:
    """The speaker rule: GenderGapTracker's (the predicted speaker's words overlap the gold Source span,
    here either the words beside the cue, e.g. "he", or the named speaker they were resolved to), or
    the names agree after `normalise` with one word list contained in the other ("Trump" ~ "Donald
    Trump"). A gold attribution without a Source counts as right when no speaker is predicted."""
    if gold.source is None:
        return pred.source is None
    if pred.source is None:
        return False
    if spans and gold.source_span & (pred.source_span | mention):
        return True
    g, p = set(normalise(gold.source)), set(normalise(pred.source))
    return bool(g and p) and (g <= p or p <= g)


def gold_items(article: Article, gold_set: str) -> list[Item]:
    items = []
    for att in article.attributions():
        if gold_set == "quoted" and not QUOTE_MARK.search(att.content_text):
            continue
        items.append(_gold_item(att))
    return items


def _gold_item(att: Attribution) -> Item:
    chars = frozenset(i for span in att.content for a, b in span.fragments for i in range(a, b))
    source = att.source
    span = frozenset(i for a, b in source.fragments for i in range(a, b)) if source else frozenset()
    return Item(chars, span, source.text if source else None)


def quotation_span(text: str, q: ExtractedQuote) -> tuple[int, int]:
    """A quote as printed: its words plus the quotation marks around them and the punctuation the
    extractor trims from its end ('“It failed,”'), which PolNeAR's content spans include."""
    start, end = q.start, q.end
    if q.kind == "indirect":
        return start, end
    closing = end + len(text[end:]) - len(text[end:].lstrip(",;:—–- "))
    if text[closing : closing + 1] and text[closing] in CLOSE_MARKS:
        end = closing + 1
    if start > 0 and text[start - 1] in OPEN_MARKS:
        start -= 1
    return start, end


def content_span(text: str, q: ExtractedQuote) -> tuple[int, int]:
    """The span compared with gold content: the quotation for direct speech, the clause for indirect
    speech; for a partial quote, the reported clause that holds it (after its cue, or before it when
    the cue follows)."""
    if q.kind != "partial" or q.cue_start is None or q.cue_end is None:
        return quotation_span(text, q)
    if q.cue_end <= q.start:
        return q.cue_end, max(q.end, q.context_end)
    return min(q.start, q.context_start), max(q.end, q.cue_start)


def predicted_items(
    text: str, quotes: list[ExtractedQuote], kinds: tuple[str, ...]
) -> list[tuple[Item, frozenset[int]]]:
    """Group quotes sharing one cue (`"A," he said, "B."`) into one prediction, as PolNeAR does."""
    groups: dict[object, list[ExtractedQuote]] = {}
    for i, q in enumerate(quotes):
        if q.kind in kinds:
            groups.setdefault(q.cue_start if q.cue_start is not None else ("solo", i), []).append(q)
    items = []
    for group in groups.values():
        chars = frozenset(i for q in group for i in range(*content_span(text, q)))
        q = group[0]
        span = range(q.speaker_start, q.speaker_end) if q.speaker_start is not None else range(0)
        mention = range(q.mention_start, q.mention_end) if q.mention_start is not None else range(0)
        items.append((Item(chars, frozenset(span), q.speaker), frozenset(mention)))
    return items


def score(pairs: list[tuple[list[Item], list[tuple[Item, frozenset[int]]]]], threshold: float) -> dict:
    tp = fp = fn = speaker_ok = name_ok = 0
    for gold, preds in pairs:
        remaining = list(preds)
        for g in gold:
            best, best_score = None, threshold
            for p in remaining:
                s = overlap_score(g.content, p[0].content)
                if s > best_score:
                    best, best_score = p, s
            if best is None:
                fn += 1
                continue
            tp += 1
            remaining.remove(best)
            speaker_ok += speaker_correct(g, best[0], best[1])
            name_ok += speaker_correct(g, best[0], best[1], spans=False)
        fp += len(remaining)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision, "recall": recall, "f1": f1,
        "speaker_accuracy": speaker_ok / tp if tp else 0.0,
        "speaker_accuracy_names_only": name_ok / tp if tp else 0.0,
        "true_positive": tp, "false_positive": fp, "false_negative": fn,
    }  # fmt: skip


def evaluate(split: str) -> dict:
    articles = load_polnear(split)
    predictions = [extract_quotes(a.text) for a in articles]
    results: dict = {"split": split, "articles": len(articles), "annotator": "first in sorted order"}
    for name, (description, kinds) in GOLD_SETS.items():
        pairs = [
            (gold_items(a, name), predicted_items(a.text, p, kinds))
            for a, p in zip(articles, predictions, strict=True)
        ]
        results[name] = {
            "description": description,
            "gold": sum(len(g) for g, _ in pairs),
            "predicted": sum(len(p) for _, p in pairs),
            **{str(t): score(pairs, t) for t in THRESHOLDS},
        }
    return results


def markdown(results: dict) -> str:
    lines = [
        f"PolNeAR {results['split']} ({results['articles']} articles, first annotator in sorted order). "
        "Match: |gold ∩ pred| / |gold| > threshold (GenderGapTracker). Speaker accuracy over matches at 0.3: "
        "'speaker' = predicted speaker or cue-side mention overlaps the gold Source span, or names agree; "
        "'names only' = names agree after normalising (a gold pronoun Source then never matches). "
        "A partial quote is scored by its reported clause (after its cue to the sentence end, or before a "
        "later cue), not by the quoted words alone; quotes sharing a cue count as one prediction. "
        f"Headline row: {HEADLINE}.",
        "",
        "| gold counted | gold | pred | P@0.3 | R@0.3 | F1@0.3 | P@0.8 | R@0.8 | F1@0.8 | speaker | names only |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in GOLD_SETS:
        row, lo, hi = results[name], results[name]["0.3"], results[name]["0.8"]
        cells = [lo["precision"], lo["recall"], lo["f1"], hi["precision"], hi["recall"], hi["f1"]]
        cells += [lo["speaker_accuracy"], lo["speaker_accuracy_names_only"]]
        pct = " | ".join(f"{100 * c:.1f}" for c in cells)
        lines.append(f"| {name}: {row['description']} | {row['gold']} | {row['predicted']} | {pct} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    results = evaluate(args.split)
    print(markdown(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
