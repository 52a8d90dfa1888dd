"""`stance.analyze()` end to end on PolNeAR dev: labelled quotes found with the right speaker and stance.

python -m training.eval_analyze [--model DIR] [--out reports/analyze_dev.json]

Recall is over the project's stand-off stance labels on PolNeAR dev quotes (data/standoff/polnear_dev.jsonl):
a labelled quote counts when `analyze()` returns a quote covering more than 0.3 of it (|gold ∩ pred| / |gold|,
each returned quote used once, as `training.eval_quotes` scores), then when that quote's speaker is right
(`eval_quotes.speaker_correct`), then when its stance is right too. Precision is over everything `analyze()`
returns: a returned quote is right when more than 0.3 of it lies inside one PolNeAR attribution whose source
it names (PolNeAR annotates every attribution; the stand-off labels are a sample, so they cannot judge
precision, and stance is not judged there). PolNeAR test stays reserved.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.quotes import KINDS, ExtractedQuote
from stance.types import Quote
from training.eval_quotes import Item, content_span, overlap_score, speaker_correct

LABELS = Path("data") / "standoff" / "polnear_dev.jsonl"
THRESHOLD = 0.3
_MARK = re.compile(r"[\"“”]|''")


@dataclass(frozen=True)
class Labelled:
    """A stand-off labelled quote: its span, speaker and stance."""

    item: Item
    stance: str
    kind: str


def gold_kind(quote: str) -> str:
    """`direct` when the labelled span opens with a quotation mark, `partial` when it holds one, else
    `indirect` (PolNeAR content spans keep their quotation marks)."""
    if _MARK.match(quote.lstrip()):
        return "direct"
    return "partial" if _MARK.search(quote) else "indirect"


def labelled(text: str, row: dict[str, Any]) -> Labelled:
    """A stand-off row of this article as a scorer item."""
    speaker = row.get("speaker")
    span = frozenset(range(*speaker)) if speaker else frozenset()
    item = Item(frozenset(range(row["start"], row["end"])), span, text[slice(*speaker)] if speaker else None)
    return Labelled(item, row["stance"], gold_kind(text[row["start"] : row["end"]]))


def predicted(text: str, found: ExtractedQuote, quote: Quote) -> tuple[Item, frozenset[int]]:
    """A returned quote as a scorer item (the reported clause for a partial quote) and its cue-side mention."""
    span = range(quote.speaker_start, quote.speaker_end) if quote.speaker_start is not None else range(0)
    mention = range(found.mention_start, found.mention_end) if found.mention_start is not None else range(0)
    chars = frozenset(range(*content_span(text, found)))
    return Item(chars, frozenset(span), quote.speaker), frozenset(mention)


def score_article(
    text: str,
    gold: Sequence[Labelled],
    attributions: Sequence[Item],
    found: Sequence[ExtractedQuote],
    quotes: Sequence[Quote],
) -> dict[str, Any]:
    """Counts for one article: per gold kind found / speaker / stance, per returned kind right / returned."""
    if [(f.start, f.end) for f in found] != [(q.start, q.end) for q in quotes]:
        raise ValueError("analyze() and extract_quotes() disagree on the quotes of an article")
    preds = [predicted(text, f, q) for f, q in zip(found, quotes, strict=True)]
    counts: dict[str, Any] = {"recall": {}, "precision": {}}
    remaining = list(range(len(preds)))
    for g in gold:
        row = counts["recall"].setdefault(g.kind, {"gold": 0, "found": 0, "speaker": 0, "stance": 0})
        row["gold"] += 1
        scores = [(overlap_score(g.item.content, preds[i][0].content), i) for i in remaining]
        best_score, best = max(scores, default=(0.0, -1))
        if best_score <= THRESHOLD:
            continue
        remaining.remove(best)
        row["found"] += 1
        if speaker_correct(g.item, *preds[best]):
            row["speaker"] += 1
            row["stance"] += quotes[best].prediction.stance == g.stance
    for (item, mention), q in zip(preds, quotes, strict=True):
        row = counts["precision"].setdefault(q.kind, {"returned": 0, "right": 0})
        row["returned"] += 1
        row["right"] += any(
            overlap_score(item.content, a.content) > THRESHOLD and speaker_correct(a, item, mention)
            for a in attributions
        )
    return counts


def add(total: dict[str, Any], counts: dict[str, Any]) -> None:
    for part, rows in counts.items():
        for kind, row in rows.items():
            into = total[part].setdefault(kind, dict.fromkeys(row, 0))
            for k, v in row.items():
                into[k] += v


def summary(total: dict[str, Any]) -> dict[str, Any]:
    """Rates per kind and over all kinds, from the summed counts."""
    out: dict[str, Any] = {}
    for kind in (*KINDS, "all"):
        rec = _sum(total["recall"], kind)
        pre = _sum(total["precision"], kind)
        gold, returned = rec.get("gold", 0), pre.get("returned", 0)
        out[kind] = {
            **rec,
            **pre,
            "found_rate": rec.get("found", 0) / gold if gold else None,
            "speaker_rate": rec.get("speaker", 0) / gold if gold else None,
            "end_to_end": rec.get("stance", 0) / gold if gold else None,
            "stance_given_speaker": rec.get("stance", 0) / rec["speaker"] if rec.get("speaker") else None,
            "precision": pre.get("right", 0) / returned if returned else None,
        }
    return out


def _sum(rows: dict[str, dict[str, int]], kind: str) -> dict[str, int]:
    chosen = list(rows.values()) if kind == "all" else [rows[kind]] if kind in rows else []
    keys = {k for r in chosen for k in r}
    return {k: sum(r.get(k, 0) for r in chosen) for k in sorted(keys)}


def evaluate(model: str | None = None, *, limit: int | None = None, batch_size: int = 64) -> dict[str, Any]:
    """Run analyze() over the PolNeAR dev articles that have stand-off labels and score it."""
    from stance.article import analyze
    from stance.predict import cached_predictor
    from stance.quotes import extract_quotes
    from training.data.corpus import read_jsonl
    from training.data.schema import DATA_DIR
    from training.eval_quotes import gold_items
    from training.external.polnear import load_polnear

    rows_by_doc: dict[str, list[dict[str, Any]]] = {}
    for _, row in read_jsonl(DATA_DIR / "standoff" / LABELS.name):
        rows_by_doc.setdefault(str(row["doc_id"]), []).append(row)
    articles = [a for a in load_polnear("dev") if a.id in rows_by_doc][:limit]
    predictor = cached_predictor(model)
    total: dict[str, Any] = {"recall": {}, "precision": {}}
    for article in articles:
        gold = [labelled(article.text, r) for r in rows_by_doc[article.id]]
        quotes = analyze(article.text, model=model, batch_size=batch_size)
        add(
            total,
            score_article(
                article.text, gold, gold_items(article, "all"), extract_quotes(article.text), quotes
            ),
        )
    return {
        "split": "dev",
        "articles": len(articles),
        "labelled": sum(len(rows_by_doc[a.id]) for a in articles),
        "model": predictor.directory.name,
        "input_format": predictor.meta.input_format,
        "threshold": THRESHOLD,
        "counts": total,
        "rates": summary(total),
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"`analyze()` on PolNeAR {results['split']} ({results['articles']} articles, {results['labelled']} "
        f"labelled quotes; model `{results['model']}`, input format {results['input_format']}). "
        f"Found: a returned quote covers > {results['threshold']} of the labelled one.",
        "",
        "| kind | labelled | found | + right speaker | + right stance (end to end) | returned | precision |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, r in results["rates"].items():
        cells = [r["found_rate"], r["speaker_rate"], r["end_to_end"]]
        pct = " | ".join("—" if c is None else f"{100 * c:.1f}" for c in cells)
        precision = "—" if r["precision"] is None else f"{100 * r['precision']:.1f}"
        name = f"**{kind}**" if kind == "all" else kind
        lines.append(f"| {name} | {r.get('gold', 0)} | {pct} | {r.get('returned', 0)} | {precision} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory or MLflow URI (default: the exported default model)")
    parser.add_argument("--limit", type=int, help="score only the first N labelled articles (a smoke run)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    results = evaluate(args.model, limit=args.limit, batch_size=args.batch_size)
    print(markdown(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
