"""`predict()` and `load()`: labels for statements, with length-sorted batches and long-text windows."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, overload

from stance.labels import STANCES, TECHNIQUES
from stance.types import Prediction, Span


def check_texts(texts: Any) -> tuple[list[str], bool]:
    """Validate input; return (list of texts, whether a single string was given)."""
    if isinstance(texts, str):
        items, single = [texts], True
    elif isinstance(texts, (bytes, bytearray)):
        raise TypeError(
            "expected str or a list of str, got bytes: decode it first, e.g. data.decode('utf-8')"
        )
    elif isinstance(texts, Sequence):
        items, single = list(texts), False
    else:
        raise TypeError(f"expected str or a list of str, got {type(texts).__name__}")
    for i, t in enumerate(items):
        problem = text_problem(t, f" at index {i}")
        if problem is not None:
            raise problem
    return items, single


def text_problem(t: Any, where: str = "") -> TypeError | ValueError | None:
    """Why `t` cannot be labelled (an exception to raise or to report), or None if it is a usable text."""
    if isinstance(t, (bytes, bytearray)):
        return TypeError(f"expected str{where}, got bytes: decode it first, e.g. data.decode('utf-8')")
    if not isinstance(t, str):
        return TypeError(f"expected str{where}, got {type(t).__name__}")
    if not t.strip():
        return ValueError(f"empty or whitespace-only text{where}: remove it or give it some text")
    return None


class Predictor:
    """A model loaded once and bound to this object; safe to call from several threads.

    >>> p = stance.load("~/.local/share/stance/models/default")  # doctest: +SKIP
    >>> p.predict("We will never surrender.").stance  # doctest: +SKIP
    'defiant'
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        quantize: bool = False,
        calibration: Sequence[str] | None = None,
    ):
        from stance.model import read_meta
        from stance.resolve import resolve_model
        from stance.runtime import load_network, load_tokenizer

        self.directory: Path = resolve_model(model)
        self.meta = read_meta(self.directory)
        self.model = load_network(self.directory, len(STANCES), len(TECHNIQUES), self.meta.quote_markers)
        self.tokenizer = load_tokenizer(self.directory, self.meta.max_length, self.meta.stride)
        self._thresholds = [self.meta.thresholds[t] for t in TECHNIQUES]
        import torch

        bias = self.meta.stance_bias
        self._stance_bias = torch.tensor(bias, dtype=torch.float32) if bias else None
        self.quantized = quantize
        if quantize:
            self._quantize(calibration)
        elif calibration is not None:
            raise ValueError("calibration texts are only used with quantize=True")

    def _quantize(self, calibration: Sequence[str] | None) -> None:
        """The int8 fast path (stance/quantize.py), its outlier channels found on `calibration` texts."""
        from stance._calibration import CALIBRATION_TEXTS
        from stance.quantize import channel_peaks, quantize_network

        texts, _ = check_texts(CALIBRATION_TEXTS if calibration is None else calibration)
        if not texts:
            raise ValueError(
                "calibration is empty: give at least one statement, or None for the built-in set"
            )
        ids = self._encode(texts)["input_ids"]
        peaks = channel_peaks(self.model, lambda: self._forward(ids, 64))
        quantize_network(self.model, peaks)

    def __repr__(self) -> str:
        return f"Predictor({str(self.directory)!r}, quantized={self.quantized})"

    def _encode(self, texts: list[str]) -> dict[str, list[Any]]:
        """Windows of the texts as plain lists: `input_ids` and `offset_mapping` of every window, and
        `owner`, the index of the text each window belongs to (a long text gives several windows)."""
        ids, offsets, owner = [], [], []
        for i, encoding in enumerate(self.tokenizer.encode_batch(texts)):
            for window in (encoding, *encoding.overflowing):
                ids.append(window.ids)
                offsets.append(window.offsets)
                owner.append(i)
        return {"input_ids": ids, "offset_mapping": offsets, "owner": owner}

    def predict(
        self, texts: str | Sequence[str], *, batch_size: int = 64, span_threshold: float | None = None
    ) -> Prediction | list[Prediction]:
        """Label statements as `stance.predict` does; `span_threshold` (default: the model's tuned one) is
        the probability a token needs to be part of a technique span."""
        items, single = check_texts(texts)
        return self._labelled(items, single, batch_size, span_threshold)

    def _labelled(
        self, items: list[str], single: bool, batch_size: int, span_threshold: float | None
    ) -> Prediction | list[Prediction]:
        """Predictions for texts that `check_texts` has already validated."""
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        threshold = self.meta.span_threshold if span_threshold is None else span_threshold
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"span_threshold must be between 0 and 1, got {threshold!r}")
        results = self._predict(items, batch_size, threshold) if items else []
        return results[0] if single else results

    def _forward(self, ids: list[list[int]], batch_size: int) -> list[_Window]:
        """The network over windows in length-sorted batches; the outputs of each window, in input order."""
        import torch

        order = sorted(range(len(ids)), key=lambda k: len(ids[k]))
        out: list[_Window | None] = [None] * len(ids)
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                chunk = order[b : b + batch_size]
                width = max(len(ids[k]) for k in chunk)
                input_ids = torch.zeros((len(chunk), width), dtype=torch.long)  # padding is masked
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, k in enumerate(chunk):
                    input_ids[row, : len(ids[k])] = torch.tensor(ids[k])
                    mask[row, : len(ids[k])] = 1
                result = self.model(input_ids=input_ids, attention_mask=mask)
                logits = result["stance"].float()
                if self._stance_bias is not None:  # the real-news prior correction the model was shipped with
                    logits = logits + self._stance_bias
                stance = logits.softmax(-1)
                rhetoric = result["rhetoric"].float().sigmoid()
                tokens = result["spans"].float().sigmoid()
                for row, k in enumerate(chunk):
                    out[k] = _Window(stance[row], rhetoric[row], tokens[row, : len(ids[k])])
        return out  # type: ignore[return-value]

    def _predict(self, texts: list[str], batch_size: int, span_threshold: float) -> list[Prediction]:
        enc = self._encode(texts)
        outputs = self._forward(enc["input_ids"], batch_size)
        rows: list[list[tuple[_Window, list[tuple[int, int]]]]] = [[] for _ in texts]
        for window, offsets, owner in zip(outputs, enc["offset_mapping"], enc["owner"], strict=True):
            rows[owner].append((window, offsets))
        return [self._merge(text, windows, span_threshold) for text, windows in zip(texts, rows, strict=True)]

    def _merge(
        self, text: str, windows: list[tuple[_Window, list[tuple[int, int]]]], span_threshold: float
    ) -> Prediction:
        """The windows of one text (outputs, token offsets): stance averaged, rhetoric max-pooled, spans
        unioned in text offsets."""
        import torch

        stance = torch.stack([w.stance for w, _ in windows]).mean(0).tolist()
        rhet = torch.stack([w.rhetoric for w, _ in windows]).amax(0).tolist()
        spans: list[Span] = []
        for window, offsets in windows:
            spans += _decode_spans(text, window.tokens, offsets, span_threshold)
        best = max(range(len(STANCES)), key=stance.__getitem__)
        chosen = sorted(
            (j for j in range(len(TECHNIQUES)) if rhet[j] >= self._thresholds[j]), key=lambda j: -rhet[j]
        )
        return Prediction(
            text=text,
            stance=STANCES[best],
            stance_scores={s: round(p, 6) for s, p in zip(STANCES, stance, strict=True)},
            rhetoric=tuple(TECHNIQUES[j] for j in chosen),
            rhetoric_scores={t: round(p, 6) for t, p in zip(TECHNIQUES, rhet, strict=True)},
            spans=tuple(_union(spans, text)),
        )


class _Window(NamedTuple):
    """The network's probabilities for one window: stance (9), rhetoric (14), tokens × techniques."""

    stance: Any
    rhetoric: Any
    tokens: Any


def _decode_spans(text: str, probs: Any, offsets: list[tuple[int, int]], threshold: float) -> list[Span]:
    """Runs of tokens whose probability for a technique passes the threshold become character spans."""
    hits = (probs >= threshold).nonzero().tolist()
    by_tech: dict[int, list[int]] = {}
    for tok, tech in hits:
        if offsets[tok][1] > offsets[tok][0]:  # skip [CLS]/[SEP]
            by_tech.setdefault(tech, []).append(tok)
    spans = []
    for tech, toks in by_tech.items():
        run = [toks[0]]
        for tok in toks[1:] + [None]:
            if tok is not None and tok == run[-1] + 1:
                run.append(tok)
                continue
            start, end = offsets[run[0]][0], offsets[run[-1]][1]
            score = float(probs[run[0] : run[-1] + 1, tech].mean())
            spans.append(Span(start, end, text[start:end], TECHNIQUES[tech], round(score, 6)))
            run = [tok]
    return spans


def _union(spans: list[Span], text: str) -> list[Span]:
    """Merge overlapping spans of the same technique (windows overlap), keeping the higher score."""
    merged: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.technique, s.start, s.end)):
        last = merged[-1] if merged else None
        if last and last.technique == s.technique and s.start <= last.end:
            end = max(last.end, s.end)
            merged[-1] = Span(last.start, end, text[last.start : end], s.technique, max(last.score, s.score))
        else:
            merged.append(s)
    return sorted(merged, key=lambda s: (s.start, s.end, s.technique))


def load(
    model: str | os.PathLike | None = None,
    *,
    quantize: bool = False,
    calibration: Sequence[str] | None = None,
) -> Predictor:
    """A predictor bound to one model (a directory or an MLflow URI such as models:/stance@champion).

    `quantize=True` gives the int8 fast path (stance/quantize.py); `calibration` replaces the built-in
    statements it uses to find outlier channels.
    """
    return Predictor(model, quantize=quantize, calibration=calibration)


_predictors: dict[str | None, Predictor] = {}
_predictors_lock = threading.Lock()


def cached_predictor(model: str | os.PathLike | None = None) -> Predictor:
    """The process-wide predictor for `model` (None: the default model), loaded on first use."""
    key = None if model is None else str(model)
    with _predictors_lock:
        if key not in _predictors:
            _predictors[key] = Predictor(model)
        return _predictors[key]


@overload
def predict(texts: str, *, batch_size: int = 64, model: str | os.PathLike | None = None) -> Prediction: ...
@overload
def predict(
    texts: Sequence[str], *, batch_size: int = 64, model: str | os.PathLike | None = None
) -> list[Prediction]: ...
def predict(texts, *, batch_size=64, model=None):
    """Label statements: a str gives one Prediction, a list gives a list in the same order.

    >>> stance.predict("Nothing more than a desperate lie.").stance  # doctest: +SKIP
    'dismissive'
    """
    items, single = check_texts(texts)  # before a model is loaded: bad input fails even without one
    return cached_predictor(model)._labelled(items, single, batch_size, None)
