"""`predict()` and `load()`: labels for statements, with length-sorted batches and long-text windows."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from stance.labels import STANCES, TECHNIQUES
from stance.types import Prediction, Span

_default: Predictor | None = None
_default_lock = threading.Lock()


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
        self.model = load_network(self.directory, len(STANCES), len(TECHNIQUES))
        self.tokenizer = load_tokenizer(self.directory, self.meta.max_length, self.meta.stride)
        self._thresholds = [self.meta.thresholds[t] for t in TECHNIQUES]
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
        peaks = channel_peaks(self.model, self._forward(ids, 64))
        quantize_network(self.model, peaks)

    def __repr__(self) -> str:
        return f"Predictor({str(self.directory)!r}, quantized={self.quantized})"

    def _encode(self, texts: list[str]) -> dict[str, Any]:
        """Token ids and character offsets of every window, and the text each window belongs to."""
        ids, offsets, owner = [], [], []
        for i, encoding in enumerate(self.tokenizer.encode_batch(texts)):
            for window in (encoding, *encoding.overflowing):
                ids.append(window.ids)
                offsets.append(window.offsets)
                owner.append(i)
        return {"input_ids": ids, "offset_mapping": offsets, "overflow_to_sample_mapping": owner}

    def predict(self, texts: str | Sequence[str], *, batch_size: int = 64) -> Prediction | list[Prediction]:
        items, single = check_texts(texts)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        results = self._predict(items, batch_size) if items else []
        return results[0] if single else results

    def _forward(self, ids: list[list[int]], batch_size: int) -> Iterator[tuple[list[int], dict[str, Any]]]:
        """The network over windows in length-sorted batches: (window indices, outputs) per batch."""
        import torch

        order = sorted(range(len(ids)), key=lambda k: len(ids[k]))
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                chunk = order[b : b + batch_size]
                width = max(len(ids[k]) for k in chunk)
                input_ids = torch.zeros((len(chunk), width), dtype=torch.long)  # padding is masked
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, k in enumerate(chunk):
                    input_ids[row, : len(ids[k])] = torch.tensor(ids[k])
                    mask[row, : len(ids[k])] = 1
                yield chunk, self.model(input_ids=input_ids, attention_mask=mask)

    def _predict(self, texts: list[str], batch_size: int) -> list[Prediction]:
        enc = self._encode(texts)
        ids, offsets, owner = enc["input_ids"], enc["offset_mapping"], enc["overflow_to_sample_mapping"]
        stance_p: list[Any] = [None] * len(ids)
        rhet_p: list[Any] = [None] * len(ids)
        token_p: list[Any] = [None] * len(ids)
        for chunk, out in self._forward(ids, batch_size):
            s = out["stance"].float().softmax(-1)
            r = out["rhetoric"].float().sigmoid()
            t = out["spans"].float().sigmoid()
            for row, k in enumerate(chunk):
                stance_p[k], rhet_p[k] = s[row], r[row]
                token_p[k] = t[row, : len(ids[k])]
        windows: list[list[int]] = [[] for _ in texts]
        for k, sample in enumerate(owner):
            windows[sample].append(k)
        return [self._merge(texts[i], ks, stance_p, rhet_p, token_p, offsets) for i, ks in enumerate(windows)]

    def _merge(self, text: str, ks: list[int], stance_p, rhet_p, token_p, offsets) -> Prediction:
        """Windows of one text: stance averaged, rhetoric max-pooled, spans unioned in text offsets."""
        import torch

        stance = torch.stack([stance_p[k] for k in ks]).mean(0).tolist()
        rhet = torch.stack([rhet_p[k] for k in ks]).amax(0).tolist()
        spans: list[Span] = []
        for k in ks:
            spans += self._decode_spans(text, token_p[k], offsets[k])
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

    def _decode_spans(self, text: str, probs, offsets) -> list[Span]:
        """Runs of tokens whose probability for a technique passes the threshold become character spans."""
        hits = (probs >= self.meta.span_threshold).nonzero().tolist()
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


def _default_predictor() -> Predictor:
    global _default
    with _default_lock:
        if _default is None:
            _default = Predictor()
        return _default


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
    check_texts(texts)
    predictor = _default_predictor() if model is None else _cached(model)
    return predictor.predict(texts, batch_size=batch_size)


_by_model: dict[str, Predictor] = {}


def _cached(model: str | os.PathLike) -> Predictor:
    key = str(model)
    with _default_lock:
        if key not in _by_model:
            _by_model[key] = Predictor(model)
        return _by_model[key]
