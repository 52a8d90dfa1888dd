"""`analyze()`: every quote in an article, who said it, and its labels."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from stance.quotes import ExtractedQuote, extract_quotes
from stance.types import QUOTE_FIELDS, Quote

if TYPE_CHECKING:
    from stance.predict import Predictor


def analyze(
    article: str, *, model: str | os.PathLike | Predictor | None = None, batch_size: int = 64
) -> list[Quote]:
    """Find the quotes in `article`, resolve their speakers and label each one.

    Each quote is read the way the model was trained to read real quotes (`stance.context.quote_input`, the
    model's `input_format`): its reporting sentence with the quote marked, so "remained 'difficult'" is read as
    an admission and "accused [Q]the GOP of stoking the issue[/Q]" as an accusation. Models trained before
    that read the extractor's context span as it is. `model` may also be a loaded `stance.Predictor`.

    >>> [q.speaker for q in stance.analyze(open("article.txt").read())]  # doctest: +SKIP
    ['Mr Putin', "Ukraine's chief of staff", ...]
    """
    if not isinstance(article, str):
        raise TypeError(f"expected the article as str, got {type(article).__name__}")
    if not article.strip():
        raise ValueError("empty or whitespace-only article: there is nothing to analyze")
    return analyze_many([article], model=model, batch_size=batch_size)[0]


def analyze_many(
    articles: list[str], *, model: str | os.PathLike | Predictor | None = None, batch_size: int = 64
) -> list[list[Quote]]:
    """`analyze()` over several articles (already checked to be non-empty str), with one model call for all
    their quotes, so short articles still fill the batches (stance.spark uses it per Arrow batch)."""
    from stance.predict import cached_predictor

    found = [extract_quotes(article) for article in articles]
    if not any(found):
        return [[] for _ in articles]
    # a loaded Predictor (stance serve shares one) or what cached_predictor resolves: None, a path, a URI
    predictor = model if hasattr(model, "meta") and hasattr(model, "predict") else cached_predictor(model)
    fmt = predictor.meta.input_format
    contexts = [
        _context(article, q, fmt) for article, quotes in zip(articles, found, strict=True) for q in quotes
    ]
    predictions = iter(predictor.predict(contexts, batch_size=batch_size))
    return [
        [
            Quote(**{name: getattr(q, name) for name in QUOTE_FIELDS}, prediction=next(predictions))
            for q in quotes
        ]
        for quotes in found
    ]


def _context(article: str, q: ExtractedQuote, fmt: str | None) -> str:
    """The text the model reads for quote `q`: its reporting sentence with the quote marked (`fmt`), or
    the extractor's context span for models trained before input formats."""
    from stance.context import quote_input

    if fmt is None:
        return article[q.context_start : q.context_end]
    return quote_input(
        article,
        q.start,
        q.end,
        fmt=fmt,
        speaker=q.speaker,
        cue=(q.cue_start, q.cue_end) if q.cue_start is not None else None,
    )
