"""What the model reads for a quote found in an article: its reporting sentence, the quote marked inside it.

One function, `quote_input`, builds that text for training, `analyze()`, the stand-off evaluation and the CLI,
so that the model always reads a quote the way it was trained to. A plain statement (no article) is read as
it is: `predict("We will never give up")` does not go through here.

>>> art = 'Democrats accused the GOP of stoking the issue. "We will win," she said.'
>>> quote_input(art, 22, 47, fmt="marked")
'Democrats accused [Q]the GOP of stoking the issue[/Q].'
>>> quote_input(art, 22, 47, fmt="span")
'the GOP of stoking the issue'
"""

from __future__ import annotations

import bisect

from stance._segment import sentences

FORMATS = ("span", "sentence", "marked", "marked_speaker")
QUOTE_OPEN, QUOTE_CLOSE = "[Q]", "[/Q]"
# characters of context kept on each side of the quote: the cue and the clause around it, not the whole paragraph
# (long inputs cost training time: PolNeAR sentences run to 60+ words)
MAX_CONTEXT_CHARS = 150


def sentence_bounds(article: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) of the sentence(s) that hold article[start:end]."""
    spans = sentences(article)
    if not spans:
        return start, end
    starts = [s for s, _ in spans]
    first = spans[max(0, bisect.bisect_right(starts, start) - 1)]
    last = spans[max(0, bisect.bisect_right(starts, max(start, end - 1)) - 1)]
    return min(first[0], start), max(last[1], end)


def _clip_left(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return cut[cut.find(" ") + 1 :] if " " in cut else cut


def _clip_right(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def quote_input(
    article: str,
    start: int,
    end: int,
    *,
    fmt: str = "marked",
    speaker: str | None = None,
    cue: tuple[int, int] | None = None,
    bounds: tuple[int, int] | None = None,
) -> str:
    """The model input for the quote article[start:end].

    `fmt` is one of FORMATS: the bare span, its sentence, the sentence with the quote inside `[Q]…[/Q]`, or that
    with the speaker's name in front ("Speaker: … | …"). `bounds` overrides the sentence found by the
    segmenter (for example the context an extractor already chose); a `cue` (its offsets) in a neighbouring
    sentence ('"…," he said.') widens the window to hold it. Line breaks become spaces.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if not 0 <= start < end <= len(article):
        raise ValueError(f"quote offsets [{start}, {end}) are outside the article (length {len(article)})")
    quote = article[start:end]
    if fmt == "span":
        return " ".join(quote.split())
    lo, hi = bounds if bounds else sentence_bounds(article, start, end)
    if cue is not None:
        c_lo, c_hi = sentence_bounds(article, cue[0], cue[1])
        lo, hi = min(lo, c_lo), max(hi, c_hi)
    lo, hi = min(lo, start), max(hi, end)
    left = _clip_left(article[lo:start], MAX_CONTEXT_CHARS)
    right = _clip_right(article[end:hi], MAX_CONTEXT_CHARS)
    marked = QUOTE_OPEN + quote + QUOTE_CLOSE if fmt != "sentence" else quote
    text = left + marked + right
    text = " ".join(text.split())
    if fmt == "marked_speaker" and speaker:
        text = f"{' '.join(speaker.split())} | {text}"
    return text
