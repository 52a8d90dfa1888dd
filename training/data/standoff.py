"""Stand-off labels on external quotes: (corpus, document, offsets, labels), text rebuilt from STANCE_EXTERNAL_DIR."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from training.data.corpus import read_jsonl, write_jsonl
from training.data.schema import DATA_DIR, RecordError
from training.external import external_dir


def standoff_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted((data_dir / "standoff").glob("*.jsonl"))


def existing_spans(data_dir: Path = DATA_DIR) -> set[tuple[str, int, int]]:
    """(doc_id, start, end) of every labelled stand-off record, so that candidates skip them."""
    return {
        (str(row["doc_id"]), row["start"], row["end"])
        for p in standoff_files(data_dir)
        for _, row in read_jsonl(p)
    }


def fingerprint(text: str, digits: int = 12) -> str:
    """A short hash of the quote text (the first `digits` hex digits of its SHA-1), stored so a shifted offset fails
    loudly instead of mislabelling; `training.distil` keys model inputs by its 16-digit form."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:digits]


@cache
def _liar_statements(split: str) -> dict[str, str]:
    from training.data.candidates import liar_rows

    return {row[0]: row[2] for row in liar_rows(split)}


@cache
def document(corpus: str, split: str, doc_id: str) -> str:
    """The text a stand-off record's offsets index: an article, or for LIAR the statement itself."""
    if corpus == "liar":
        statements = _liar_statements(split)
        if doc_id not in statements:
            raise RecordError(f"LIAR {split} has no statement {doc_id!r}")
        return statements[doc_id]
    if corpus == "polnear":
        path = external_dir("polnear") / "data" / split / "text" / f"{doc_id}.txt"
    elif corpus == "ptc":
        path = external_dir("semeval2020-task11-ptc") / f"{split}-articles" / f"article{doc_id}.txt"
    else:
        raise RecordError(f"unknown corpus {corpus!r}")
    if not path.exists():
        raise RecordError(f"{path} not found for stand-off document {corpus}/{split}/{doc_id}")
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


@cache
def _ptc_spans(split: str) -> dict[str, list[tuple[int, int, str]]]:
    from training.external.ptc import load_spans

    by_doc: dict[str, list[tuple[int, int, str]]] = {}
    for s in load_spans(split):
        by_doc.setdefault(str(s.article_id), []).append((s.start, s.end, s.technique))
    return by_doc


def _ptc_rhetoric(split: str, doc_id: str, start: int, end: int) -> tuple[list[str], list[dict[str, Any]]]:
    """Techniques of the gold PTC spans overlapping [start, end), with spans clipped to the quote."""
    spans = []
    for s, e, technique in _ptc_spans(split).get(doc_id, []):
        lo, hi = max(s, start), min(e, end)
        if lo < hi:
            spans.append({"start": lo - start, "end": hi - start, "technique": technique})
    spans.sort(key=lambda x: (x["start"], x["end"], x["technique"]))
    return sorted({x["technique"] for x in spans}), spans


def squeeze_spans(raw: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Move spans that index `raw` onto `" ".join(raw.split())` (the bare-span model input): runs of whitespace
    become one space and the ends are trimmed, so offsets after a collapsed run shift left."""
    pos, n, gap = [], 0, True  # gap: the last character kept was whitespace (or nothing yet)
    for ch in raw:
        pos.append(n)
        if not ch.isspace():
            n, gap = n + 1, False
        elif not gap:
            n, gap = n + 1, True
    length = n - 1 if gap and n else n  # a trailing space is trimmed
    pos.append(n)
    out = []
    for span in spans:
        lo, hi = min(pos[span["start"]], length), min(pos[span["end"]], length)
        if lo < hi:
            out.append({**span, "start": lo, "end": hi})
    return out


def load_standoff(path: Path, fmt: str = "span") -> list[dict[str, Any]]:
    """Records in the project schema, text rebuilt from the external corpus; raises on any offset mismatch.

    `fmt` is what the model reads (`stance.context.FORMATS`): the bare quote, or its sentence with the quote
    marked (the speaker in front for `marked_speaker`). Each record keeps its `fold` (the real-quote split of its
    document) and `pool` (`natural`, `enriched:<class>` or `legacy`, the hand-picked first labels).
    """
    from stance.context import quote_input
    from training.data.candidates import fold_of

    records = []
    for lineno, row in read_jsonl(path):
        doc = document(row["corpus"], row["split"], str(row["doc_id"]))
        quote = doc[row["start"] : row["end"]]
        if (
            row["end"] > len(doc)
            or not quote.strip()
            or fingerprint(quote) != row.get("sha1", fingerprint(quote))
        ):
            raise RecordError(
                f"{path.name}:{lineno}: offsets [{row['start']}, {row['end']}) do not match "
                f"{row['corpus']}/{row['doc_id']} (text {quote[:40]!r}, fingerprint {row.get('sha1')!r})"
            )
        rhetoric, spans = row["rhetoric"], []
        if row["corpus"] == "ptc" and rhetoric is None:
            rhetoric, spans = _ptc_rhetoric(row["split"], str(row["doc_id"]), row["start"], row["end"])
            spans = squeeze_spans(quote, spans)
        speaker = row.get("speaker")
        text = quote_input(
            doc,
            row["start"],
            row["end"],
            fmt=fmt,
            speaker=doc[speaker[0] : speaker[1]] if speaker else None,
            cue=tuple(row["cue"]) if row.get("cue") else None,
        )
        records.append(
            {
                "id": f"{row['corpus']}-{row['split']}-{row['doc_id']}-{row['start']}",
                "text": text,
                "stance": row["stance"],
                "rhetoric": rhetoric,
                # span offsets index the bare quote; in a sentence they would point elsewhere
                "spans": spans if fmt == "span" else [],
                "spans_known": fmt == "span",
                "source": f"{row['corpus']}:{row['split']}",
                "corpus": row["corpus"],
                "fold": row.get("fold") or fold_of(row["corpus"], str(row["doc_id"])),
                "pool": row.get("pool", "legacy"),
            }
        )
    return records


def add_fingerprints(path: Path) -> int:
    """Store the text fingerprint in each row of a stand-off file (run once after labelling)."""
    rows = []
    for _, row in read_jsonl(path):
        doc = document(row["corpus"], row["split"], str(row["doc_id"]))
        rows.append({**row, "sha1": fingerprint(doc[row["start"] : row["end"]])})
    write_jsonl(path, rows)
    return len(rows)
