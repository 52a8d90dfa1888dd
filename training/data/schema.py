"""One record schema for every statement, and the checks that enforce it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stance.labels import STANCES, TECHNIQUES

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
STATEMENTS_DIR = DATA_DIR / "statements"
SPLITS: tuple[str, ...] = ("train", "dev", "test")

REQUIRED = ("id", "text", "stance", "rhetoric", "source")
OPTIONAL = (
    "spans",
    "context",
    "domain",
    "speaker_role",
    "quote",
    "doc_id",
    "doc_start",
    "corpus",
    "fold",
    "pool",
    "spans_known",  # real quotes (training/data/standoff.py)
)


class RecordError(ValueError):
    """A record that breaks the schema; the message names the field."""


def _check_span(span: Any, text: str, where: str) -> None:
    if not isinstance(span, dict) or set(span) != {"start", "end", "technique"}:
        raise RecordError(f"{where}: expected {{start, end, technique}}, got {span!r}")
    start, end = span["start"], span["end"]
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= len(text):
        raise RecordError(f"{where}: offsets [{start}, {end}) are not inside the text (length {len(text)})")
    if span["technique"] not in TECHNIQUES:
        raise RecordError(f"{where}.technique: unknown technique {span['technique']!r}")
    if text[start:end] != text[start:end].strip():
        raise RecordError(f"{where}: span {text[start:end]!r} starts or ends with whitespace")


def check_record(record: Any) -> None:
    """Raise RecordError naming the first field that breaks the schema.

    `stance` and `rhetoric` may be null (unknown), which is not the same as "none" (`rhetoric: []`).
    """
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise RecordError(f"missing field(s) {missing}")
    unknown = sorted(set(record) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise RecordError(f"unknown field(s) {unknown}; allowed: {list(REQUIRED + OPTIONAL)}")
    if not isinstance(record["id"], str) or not record["id"]:
        raise RecordError(f"id: expected a non-empty string, got {record['id']!r}")
    text = record["text"]
    if not isinstance(text, str) or not text.strip():
        raise RecordError("text: expected a non-empty string")
    if record["stance"] is not None and record["stance"] not in STANCES:
        raise RecordError(
            f"stance: unknown label {record['stance']!r}; expected one of {list(STANCES)} or null"
        )
    rhetoric = record["rhetoric"]
    if rhetoric is not None:
        if not isinstance(rhetoric, list):
            raise RecordError(f"rhetoric: expected a list or null, got {type(rhetoric).__name__}")
        bad = [t for t in rhetoric if t not in TECHNIQUES]
        if bad:
            raise RecordError(f"rhetoric: unknown technique(s) {bad}")
        if len(set(rhetoric)) != len(rhetoric):
            raise RecordError(f"rhetoric: repeated technique in {rhetoric}")
    spans = record.get("spans") or []
    if not isinstance(spans, list):
        raise RecordError("spans: expected a list")
    for i, span in enumerate(spans):
        _check_span(span, text, f"spans[{i}]")
        if rhetoric is not None and span["technique"] not in rhetoric:
            raise RecordError(
                f"spans[{i}].technique: {span['technique']!r} is not listed in rhetoric {rhetoric}"
            )
    quote = record.get("quote")
    if quote is not None:
        if not isinstance(quote, dict) or set(quote) != {"start", "end"}:
            raise RecordError(f"quote: expected {{start, end}}, got {quote!r}")
        if not 0 <= quote["start"] < quote["end"] <= len(text):
            raise RecordError(f"quote: offsets {quote} are not inside the text")
    for key in ("context", "domain", "speaker_role"):
        if key in record and record[key] is not None and not isinstance(record[key], str):
            raise RecordError(f"{key}: expected a string or null")
