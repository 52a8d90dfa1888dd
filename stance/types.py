"""Result types: frozen dataclasses that always carry their scores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Span:
    """A technique found in the text; `start`/`end` are character offsets into the input."""

    start: int
    end: int
    text: str
    technique: str
    score: float


@dataclass(frozen=True)
class Prediction:
    """Labels for one statement.

    `stance_scores` has all 9 stances (summing to 1); `rhetoric_scores` all 14 techniques (independent
    probabilities); `rhetoric` the techniques above their tuned thresholds, most likely first.
    """

    text: str
    stance: str
    stance_scores: dict[str, float]
    rhetoric: tuple[str, ...]
    rhetoric_scores: dict[str, float]
    spans: tuple[Span, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rhetoric"] = list(self.rhetoric)
        d["spans"] = [asdict(s) for s in self.spans]
        return d


@dataclass(frozen=True)
class Quote:
    """A quote found in an article, who said it, and its labels.

    `start`/`end` locate the quote in the article; `prediction` labels the quote, or its whole sentence
    for a partial quote (a few quoted words inside a reporting sentence).
    """

    text: str
    start: int
    end: int
    speaker: str | None
    speaker_start: int | None
    speaker_end: int | None
    cue: str | None
    kind: str
    prediction: Prediction

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "prediction"}
        d["prediction"] = self.prediction.to_dict()
        return d


# The fields of a Quote besides its prediction, in order: analyze() copies them from the extractor's quote, the
# CLI and the Spark UDF write them as columns.
QUOTE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Quote) if f.name != "prediction")
