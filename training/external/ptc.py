"""Reader for PTC (SemEval-2020 Task 11): articles, gold spans, sentence records and span examples."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any, NamedTuple

from stance.labels import technique_from_ptc
from training.external import external_dir

CORPUS = "semeval2020-task11-ptc"
# Only the splits with gold labels; dev is for evaluation only and is never mixed into train here.
SPLITS: tuple[str, ...] = ("train", "dev")
_ARTICLE_NAME = re.compile(r"^article(?P<id>\d+)\.txt$")
# A sentence is a line with its surrounding whitespace removed; a few articles start with a BOM.
_EDGE = re.compile(r"^[\s\ufeff]*(?P<body>.*?)[\s\ufeff]*$", re.DOTALL)


class PtcFormatError(ValueError):
    """Raised when a PTC label file is malformed or disagrees with the article texts."""


class GoldSpan(NamedTuple):
    """One gold annotation: an article id, our technique id and end-exclusive character offsets."""

    article_id: str
    technique: str
    start: int
    end: int


class Sentence(NamedTuple):
    """One non-empty line of an article: 1-based line number and its offsets in the article."""

    line: int
    start: int
    end: int


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown PTC split {split!r}; expected one of {list(SPLITS)} (test has no gold)")
    return split


def _root() -> Path:
    return external_dir(CORPUS)


def load_articles(split: str) -> dict[str, str]:
    """Return {article_id: text} for one split.

    Texts are read as UTF-8 with newlines kept as they are and a leading BOM kept as a character: the gold
    offsets count it (with the BOM dropped, 11 train spans start or end on a space or full stop).

    >>> arts = load_articles("dev")  # doctest: +SKIP
    >>> len(arts)  # doctest: +SKIP
    75
    """
    folder = _root() / f"{_check_split(split)}-articles"
    articles: dict[str, str] = {}
    for path in sorted(folder.glob("article*.txt")):
        match = _ARTICLE_NAME.match(path.name)
        if match is None:
            raise PtcFormatError(f"{path}: expected a file name like article<digits>.txt")
        with open(path, encoding="utf-8", newline="") as handle:
            articles[match["id"]] = handle.read()
    if not articles:
        raise PtcFormatError(f"{folder} has no article<ID>.txt files")
    return articles


def _read_label_file(path: Path, articles: dict[str, str]) -> list[GoldSpan]:
    spans: list[GoldSpan] = []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            row = line.rstrip("\r\n").split("\t")
            where = f"{path.name}:{lineno}"
            if len(row) != 4:
                raise PtcFormatError(f"{where}: expected 4 tab-separated columns, got {len(row)}: {line!r}")
            article_id, name, start_s, end_s = row
            try:
                start, end = int(start_s), int(end_s)
            except ValueError:
                raise PtcFormatError(f"{where}: offsets must be integers: {start_s!r}, {end_s!r}") from None
            if article_id not in articles:
                raise PtcFormatError(f"{where}: article {article_id} is not in the split's articles")
            if not 0 <= start < end <= len(articles[article_id]):
                raise PtcFormatError(
                    f"{where}: span [{start}, {end}) is outside article {article_id} "
                    f"(length {len(articles[article_id])})"
                )
            try:
                technique = technique_from_ptc(name)
            except ValueError as err:
                raise PtcFormatError(f"{where}: {err}") from None
            spans.append(GoldSpan(article_id, technique, start, end))
    return spans


def load_spans(split: str, articles: dict[str, str] | None = None) -> list[GoldSpan]:
    """Return the split's gold TC/FLC spans, in file order, with techniques mapped to our ids.

    Reads `<split>-task-flc-tc.labels` (the concatenation of the per-article files in
    `<split>-labels-task-flc-tc/`). Spans may overlap; identical spans with different techniques are
    separate entries, as in the official file.

    >>> load_spans("dev")[0]  # doctest: +SKIP
    GoldSpan(article_id='730573740', technique='loaded_language', start=..., end=...)
    """
    articles = load_articles(split) if articles is None else articles
    return _read_label_file(_root() / f"{_check_split(split)}-task-flc-tc.labels", articles)


def sentence_offsets(text: str) -> list[Sentence]:
    """Split an article into its sentences: one per non-blank line, surrounding whitespace trimmed.

    >>> sentence_offsets("Title\\n\\n First one.\\nSecond.")
    [Sentence(line=1, start=0, end=5), Sentence(line=3, start=8, end=18), Sentence(line=4, start=19, end=26)]
    """
    sentences: list[Sentence] = []
    pos = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        match = _EDGE.match(line)
        body = match["body"] if match else ""
        if body:
            start = pos + match.start("body")
            sentences.append(Sentence(lineno, start, start + len(body)))
        pos += len(line) + 1
    return sentences


def _clip(text: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int] | None:
    """Clip [start, end) to [lo, hi) and trim whitespace at the cut; None when nothing is left."""
    start, end = max(start, lo), min(end, hi)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _by_article(spans: list[GoldSpan]) -> dict[str, list[GoldSpan]]:
    grouped: dict[str, list[GoldSpan]] = defaultdict(list)
    for span in spans:
        grouped[span.article_id].append(span)
    return grouped


def load_sentences(split: str) -> list[dict[str, Any]]:
    """Return one record per sentence of the split, in the project's record schema.

    Each record has `id` ("ptc-<split>-<article>-<line>", 1-based line), `text`, `stance` (None: PTC has
    no stance), `rhetoric` (sorted techniques of the gold spans touching the sentence; [] when none),
    `spans` ({start, end, technique} in sentence offsets), `source` ("ptc:<split>"), `doc_id` and
    `doc_start` (the sentence's offset in the article). A gold span that crosses a line break is clipped
    into every sentence it touches, and each piece is trimmed of whitespace at the cut, so one gold span
    can give several sentence spans. Identical pieces are kept once.

    >>> load_sentences("dev")[0]["id"]  # doctest: +SKIP
    'ptc-dev-730081389-1'
    """
    articles = load_articles(split)
    spans = _by_article(load_spans(split, articles))
    records: list[dict[str, Any]] = []
    for article_id, text in articles.items():
        article_spans = spans.get(article_id, [])
        for sent in sentence_offsets(text):
            pieces = set()
            for span in article_spans:
                clipped = _clip(text, span.start, span.end, sent.start, sent.end)
                if clipped is not None:
                    pieces.add((clipped[0] - sent.start, clipped[1] - sent.start, span.technique))
            records.append(
                {
                    "id": f"ptc-{split}-{article_id}-{sent.line}",
                    "text": text[sent.start : sent.end],
                    "stance": None,
                    "rhetoric": sorted({technique for _, _, technique in pieces}),
                    "spans": [{"start": s, "end": e, "technique": t} for s, e, t in sorted(pieces)],
                    "source": f"ptc:{split}",
                    "doc_id": article_id,
                    "doc_start": sent.start,
                }
            )
    return records


def _context(sentences: list[Sentence], start: int, end: int) -> tuple[int, int]:
    """Offsets of the sentences a span touches: from the first one's start to the last one's end."""
    touched = [s for s in sentences if s.start < end and start < s.end]
    if not touched:  # a span lying only on whitespace between lines cannot occur after PTC v2's trimming
        return start, end
    return min(touched[0].start, start), max(touched[-1].end, end)


def span_examples(split: str) -> list[dict[str, Any]]:
    """Return one technique-classification example per gold span of the split, in file order.

    Each example has `id` ("ptc-<split>-<article>-<start>-<end>"), `article_id`, `technique`, `start`,
    `end` (article offsets), `text` (= article[start:end]), `sentence` and `sentence_start` (the
    sentence holding the span and its article offset; for a span crossing lines, all the lines it
    touches, so that sentence[start - sentence_start : end - sentence_start] == text) and `repetitions`
    (how often the lowercased span text occurs in the lowercased article, at least 1: a cue for
    Repetition).

    >>> span_examples("dev")[0]["repetitions"] >= 1  # doctest: +SKIP
    True
    """
    articles = load_articles(split)
    lowered = {article_id: text.lower() for article_id, text in articles.items()}
    sentences = {article_id: sentence_offsets(text) for article_id, text in articles.items()}
    examples: list[dict[str, Any]] = []
    for span in load_spans(split, articles):
        text = articles[span.article_id]
        fragment = text[span.start : span.end]
        ctx_start, ctx_end = _context(sentences[span.article_id], span.start, span.end)
        examples.append(
            {
                "id": f"ptc-{split}-{span.article_id}-{span.start}-{span.end}",
                "article_id": span.article_id,
                "technique": span.technique,
                "start": span.start,
                "end": span.end,
                "text": fragment,
                "sentence": text[ctx_start:ctx_end],
                "sentence_start": ctx_start,
                "repetitions": lowered[span.article_id].count(fragment.lower()),
            }
        )
    return examples


def hold_out_articles(
    items: list[dict[str, Any]], key: str, share: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split items (sentences by `doc_id`, span examples by `article_id`) into kept and held-out whole articles.

    The one rule for PTC validation articles: sorted ids shuffled by `seed`, the first `round(n * share)` held,
    so sentence records and span examples hold out the same articles.

    >>> items = [{"doc_id": str(a), "k": k} for a in range(10) for k in range(2)]
    >>> kept, held = hold_out_articles(items, "doc_id", 0.2, 13)
    >>> len(kept), len(held), {i["doc_id"] for i in held} & {i["doc_id"] for i in kept}
    (16, 4, set())
    """
    import random

    docs = sorted({i[key] for i in items})
    random.Random(seed).shuffle(docs)
    held = set(docs[: round(len(docs) * share)]) if share > 0 else set()
    return [i for i in items if i[key] not in held], [i for i in items if i[key] in held]
