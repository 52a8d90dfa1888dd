"""PTC span identification (SI) with a dedicated tagger: MiniLM, one sigmoid per token, "inside a propaganda span".

The default model's span head predicts 14 per-technique token labels as a side task of a sentence classifier.
SI asks only *where* propaganda is, whatever the technique, so this model learns that single, denser signal on
every PTC train sentence. Spans are runs of tokens whose probability passes a threshold; the best epoch and the
threshold are chosen on held-out PTC train articles (SI F1, the task's scorer). PTC dev is only scored.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from training.config import TrainConfig
from training.encode import attention_mask, feature_lengths, length_sorted_batches, pad
from training.loop import Score, fit, model_device, to_device

log = logging.getLogger("stance.si")
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


class TokenTagger(nn.Module):
    """Encoder + dropout + Linear(hidden, 1) over every token."""

    def __init__(self, encoder_path: Path, max_length: int, stride: int, dropout: float):
        from transformers import AutoModel, AutoTokenizer

        super().__init__()
        self.tokenizer = AutoTokenizer.from_pretrained(str(encoder_path), local_files_only=True)
        self.encoder = AutoModel.from_pretrained(str(encoder_path), local_files_only=True)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.encoder.config.hidden_size, 1))
        self.max_length, self.stride = max_length, stride

    def windows(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Token windows (overlapping for long sentences) with 0/1 labels from the gold spans; -1 on special tokens."""
        enc = self.tokenizer(
            [r["text"] for r in records],
            truncation=True,
            max_length=self.max_length,
            stride=self.stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        out = []
        for k, owner in enumerate(enc["overflow_to_sample_mapping"]):
            spans = [(s["start"], s["end"]) for s in records[owner]["spans"]]
            offsets = enc["offset_mapping"][k]
            labels = [-1 if b <= a else int(any(a < e and b > s for s, e in spans)) for a, b in offsets]
            out.append(
                {"input_ids": enc["input_ids"][k], "offsets": offsets, "labels": labels, "owner": owner}
            )
        return out

    def collate(self, batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Padded ids and mask; labels padded with -1 (not scored), like the special tokens."""
        ids = [w["input_ids"] for w in batch]
        return {
            "input_ids": pad(ids, self.tokenizer.pad_token_id, torch.long),
            "attention_mask": attention_mask(ids),
            "labels": pad([w["labels"] for w in batch], -1.0, torch.float),
        }

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(tokens).squeeze(-1)

    def token_probs(self, windows: list[dict[str, Any]], batch_size: int = 64) -> list[np.ndarray]:
        out: list[Any] = [None] * len(windows)
        self.eval()
        device = model_device(self)
        with torch.inference_mode():
            for chunk in length_sorted_batches(feature_lengths(windows), batch_size):
                batch = to_device(self.collate([windows[i] for i in chunk]), device)
                probs = self(batch["input_ids"], batch["attention_mask"]).sigmoid().cpu().numpy()
                for row, i in enumerate(chunk):
                    out[i] = probs[row, : len(windows[i]["input_ids"])]
        return out


def decode(
    records: list[dict[str, Any]], windows: list[dict[str, Any]], probs: list[np.ndarray], threshold: float
):
    """Runs of tokens at or above `threshold` as (article, start, end) in article offsets (windows may overlap:
    the scorer merges overlapping predictions of one article)."""
    spans = []
    for w, p in zip(windows, probs, strict=True):
        r, run = records[w["owner"]], []
        for t, (a, b) in enumerate(w["offsets"]):
            inside = b > a and p[t] >= threshold
            if inside:
                run.append((a, b))
            if run and (not inside or t == len(w["offsets"]) - 1):
                spans.append((r["doc_id"], r["doc_start"] + run[0][0], r["doc_start"] + run[-1][1]))
                run = []
    return spans


def fit_si(
    config: TrainConfig,
    train: list[dict[str, Any]],
    valid: list[dict[str, Any]],
    valid_gold: list[Any],
    tracker: Any,
) -> tuple[TokenTagger, float, dict[str, float]]:
    """Train on `train` sentences; keep the epoch and threshold with the best SI F1 on `valid` (held-out articles).

    >>> tagger, threshold, scores = fit_si(config, train, valid, valid_gold, tracker)  # doctest: +SKIP
    """
    from training.modeling import base_encoder_path
    from training.ptc_scoring import score_si

    tagger = TokenTagger(
        Path(config.encoder) if config.encoder else base_encoder_path(),
        config.max_length,
        config.stride,
        config.dropout,
    )
    train_w, valid_w = tagger.windows(train), tagger.windows(valid)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def loss(tagger: TokenTagger, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = tagger(batch["input_ids"], batch["attention_mask"])
        keep = batch["labels"] >= 0
        return loss_fn(logits[keep], batch["labels"][keep])

    def evaluate(tagger: TokenTagger) -> Score:
        probs = tagger.token_probs(valid_w, config.eval_batch_size)
        by_t = {t: score_si(valid_gold, decode(valid, valid_w, probs, t)).f1 for t in THRESHOLDS}
        threshold = max(by_t, key=by_t.get)
        return Score(
            by_t[threshold],
            {"valid/si_f1": by_t[threshold], "valid/si_threshold": threshold},
            f"valid SI F1 {by_t[threshold]:.3f} at threshold {threshold:.2f}",
            keep=(threshold, {f"f1@{t}": f for t, f in by_t.items()}),
        )

    fitted = fit(tagger, train_w, tagger.collate, loss, evaluate, config, tracker, name="SI ")
    threshold, by_t = fitted.best.keep
    return tagger, threshold, {"valid_si_f1": fitted.best.value, "epoch": fitted.best_epoch, **by_t}
