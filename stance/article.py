"""`analyze()`: every quote in an article, who said it, and its labels."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from stance.quotes import extract_quotes
from stance.types import Quote

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
    from stance.context import quote_input
    from stance.predict import _cached, _default_predictor

    found = extract_quotes(article)
    if not found:
        return []
    if model is None:
        predictor = _default_predictor()
    elif isinstance(model, (str, os.PathLike)):
        predictor = _cached(model)
    else:  # a loaded Predictor (or anything with its predict() and meta)
        predictor = model
    fmt = predictor.meta.input_format
    if fmt is None:
        contexts = [article[q.context_start : q.context_end] for q in found]
    else:
        contexts = [
            quote_input(
                article,
                q.start,
                q.end,
                fmt=fmt,
                speaker=q.speaker,
                cue=(q.cue_start, q.cue_end) if q.cue_start is not None else None,
            )
            for q in found
        ]
    predictions = predictor.predict(contexts, batch_size=batch_size)
    return [
        Quote(
            text=q.text,
            start=q.start,
            end=q.end,
            speaker=q.speaker,
            speaker_start=q.speaker_start,
            speaker_end=q.speaker_end,
            cue=q.cue,
            kind=q.kind,
            prediction=p,
        )
        for q, p in zip(found, predictions, strict=True)
    ]
