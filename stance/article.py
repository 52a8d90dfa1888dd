"""`analyze()`: every quote in an article, who said it, and its labels."""

from __future__ import annotations

import os

from stance.quotes import extract_quotes
from stance.types import Quote


def analyze(article: str, *, model: str | os.PathLike | None = None, batch_size: int = 64) -> list[Quote]:
    """Find the quotes in `article`, resolve their speakers and label each one.

    A partial quote (a few quoted words inside a reporting sentence) is labelled from its whole
    sentence, so "remained 'difficult'" is read as an admission, not as the adjective alone.

    >>> [q.speaker for q in stance.analyze(open("article.txt").read())]  # doctest: +SKIP
    ['Mr Putin', "Ukraine's chief of staff", ...]
    """
    if not isinstance(article, str):
        raise TypeError(f"expected the article as str, got {type(article).__name__}")
    if not article.strip():
        raise ValueError("empty or whitespace-only article: there is nothing to analyze")
    from stance.predict import predict

    found = extract_quotes(article)
    if not found:
        return []
    contexts = [article[q.context_start : q.context_end] for q in found]
    predictions = predict(contexts, batch_size=batch_size, model=model)
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
