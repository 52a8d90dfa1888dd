"""Sentence and quotation segmentation of an article: sentence spans and the text inside quote marks."""

from __future__ import annotations

import re

OPEN_MARKS = '"“'


# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) and white space, unless
# the dot closes an abbreviation or an initial; a line break always ends a sentence.
_SENT_END = re.compile(r"[.!?][\"”’)]*\s+|\n+")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Col|Lt|St|Jr|Sr|Prof|No|U\.S|U\.K|Inc|Corp|Co|vs|[A-Z])\.)$"
)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of text, end exclusive and without trailing space."""
    spans, start = [], 0
    for match in _SENT_END.finditer(text):
        if "\n" not in match.group() and _ABBREV.search(text, max(0, match.start() - 6), match.start() + 1):
            continue
        end = match.end() - (len(match.group()) - len(match.group().rstrip()))
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def has_break(text: str, start: int, end: int) -> bool:
    """True when text[start:end] ends a sentence or opens another quote (abbreviation dots do not)."""
    for match in re.finditer(r"[.!?\n\"“”]", text[start:end]):
        pos = start + match.start()
        if match.group() != ".":
            return True
        if _ABBREV.search(text, max(0, pos - 6), pos + 1) or text[pos + 1 : pos + 2] in (")", ","):
            continue
        return True
    return False


def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text inside double quotes, joining quotes that run over several paragraphs.

    A quote left open at a line or paragraph break continues when the next paragraph opens with a quote
    mark (the newspaper convention) or when the next line's first quote mark closes it (articles written
    one sentence per line); otherwise it is closed at the end of its paragraph.
    """
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    for match in re.finditer(r"[\"“”]|\n", text):
        char, pos = match.group(), match.start()
        if open_at is None:
            if char in OPEN_MARKS or char == "”" and not _closes(text, pos):
                open_at = pos  # '”We will win,” he said': a closing mark typed as the opening one
            continue
        if char == "\n":
            rest = text[pos:].lstrip()
            if rest[:1] in OPEN_MARKS and rest[:1]:
                continue  # the next paragraph's opening mark continues this quote
            if _closed_on_next_line(text, pos):
                continue  # one sentence per line: '"We held on.\nWe will hold on," she said'
            spans.append((open_at + 1, pos))
            open_at = None
            continue
        paragraph_start = text[:pos].rstrip(" \t").endswith("\n")
        if paragraph_start and "\n" in text[open_at:pos]:
            continue  # continuation mark of a multi-paragraph quote
        if char == "“" and not _closes(text, pos):
            open_at = pos  # an unclosed curly quote: start again here
            continue
        spans.append((open_at + 1, pos))
        open_at = None
    if open_at is not None:
        spans.append((open_at + 1, len(text)))
    trimmed = []
    for start, end in spans:
        inner = text[start:end]
        left = len(inner) - len(inner.lstrip())
        right = len(inner.rstrip())
        if right > left:
            trimmed.append((start + left, start + right))
    return trimmed


def _closes(text: str, pos: int) -> bool:
    """A quote mark at pos after a word and before a space or punctuation closes a quote ('not,“ he')."""
    after = text[pos + 1 : pos + 2]
    return pos > 0 and not text[pos - 1].isspace() and (not after or after.isspace() or after in ",.;:!?)")


def _closed_on_next_line(text: str, pos: int) -> bool:
    """The first quote mark on the next non-blank line after the break at pos closes a quote."""
    start = pos + len(text[pos:]) - len(text[pos:].lstrip())
    end = text.find("\n", start)
    match = re.search(r"[\"“”]", text[start : len(text) if end < 0 else end])
    return bool(match) and match.group() != "“" and _closes(text, start + match.start())
