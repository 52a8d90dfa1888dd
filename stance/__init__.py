"""stance: stance and propaganda-technique labels for quoted statements in the news.

>>> import stance
>>> stance.predict("We will never surrender.").stance  # doctest: +SKIP
'defiant'
"""

from __future__ import annotations

from stance.labels import STANCES, TAXONOMY_VERSION, TECHNIQUES
from stance.predict import Predictor, load, predict
from stance.types import Prediction, Quote, Span

__version__ = "0.1.0"

__all__ = [
    "STANCES",
    "TAXONOMY_VERSION",
    "TECHNIQUES",
    "Prediction",
    "Predictor",
    "Quote",
    "Span",
    "__version__",
    "analyze",
    "load",
    "predict",
]


def analyze(article: str, *, model=None, batch_size: int = 64) -> list[Quote]:
    """Find every quote in an article, who said it, and label it (see stance.article)."""
    from stance.article import analyze as _analyze

    return _analyze(article, model=model, batch_size=batch_size)
