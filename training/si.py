"""PTC span identification (SI) with a dedicated tagger: MiniLM, one sigmoid per token, "inside a propaganda span".

The default model's span head predicts 14 per-technique token labels as a side task of a sentence classifier.
SI asks only *where* propaganda is, whatever the technique, so this model learns that single, denser signal on
every PTC train sentence. Spans are runs of tokens whose probability passes a threshold; the best epoch and the
threshold are chosen on held-out PTC train articles (SI F1, the task's scorer). PTC dev is only scored.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from training.config import TrainConfig
from training.tc import length_batches

log = logging.getLogger("stance.si")
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


class TokenTagger:
    """Encoder + dropout + Linear(hidden, 1) over every token."""

    def __init__(self, encoder_path: Path, max_length: int, stride: int, dropout: float):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(encoder_path), local_files_only=True)
        self.encoder = AutoModel.from_pretrained(str(encoder_path), local_files_only=True)
        self.head = torch.nn.Sequential(
            torch.nn.Dropout(dropout), torch.nn.Linear(self.encoder.config.hidden_size, 1)
        )
        self.max_length, self.stride = max_length, stride

    def parameters(self) -> list[Any]:
        return list(self.encoder.parameters()) + list(self.head.parameters())

    def train(self, mode: bool = True) -> None:
        self.encoder.train(mode)
        self.head.train(mode)

    def state(self) -> tuple[dict, dict]:
        return copy.deepcopy(self.encoder.state_dict()), copy.deepcopy(self.head.state_dict())

    def load_state(self, state: tuple[dict, dict]) -> None:
        self.encoder.load_state_dict(state[0])
        self.head.load_state_dict(state[1])

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

    def logits(self, batch: list[dict[str, Any]]) -> Any:
        import torch

        width = max(len(w["input_ids"]) for w in batch)
        ids = torch.full((len(batch), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, w in enumerate(batch):
            ids[i, : len(w["input_ids"])], mask[i, : len(w["input_ids"])] = torch.tensor(w["input_ids"]), 1
        tokens = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        return self.head(tokens).squeeze(-1)

    def token_probs(self, windows: list[dict[str, Any]], batch_size: int = 64) -> list[np.ndarray]:
        import torch

        order = sorted(range(len(windows)), key=lambda i: len(windows[i]["input_ids"]))
        out: list[Any] = [None] * len(windows)
        self.train(False)
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                chunk = order[b : b + batch_size]
                probs = self.logits([windows[i] for i in chunk]).sigmoid().numpy()
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
    import torch
    from transformers import get_linear_schedule_with_warmup

    from training.modeling import base_encoder_path
    from training.ptc_scoring import score_si

    tagger = TokenTagger(
        Path(config.encoder) if config.encoder else base_encoder_path(),
        config.max_length,
        config.stride,
        config.dropout,
    )
    train_w, valid_w = tagger.windows(train), tagger.windows(valid)
    steps = config.epochs * -(-len(train_w) // config.batch_size)
    optimizer = torch.optim.AdamW(tagger.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup * steps), steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    rng, best = random.Random(config.seed), (-1.0, None, None, {})
    for epoch in range(1, config.epochs + 1):
        tagger.train()
        total, t0, batches = 0.0, time.time(), length_batches(train_w, config.batch_size, rng)
        for step, batch in enumerate(batches, 1):
            logits = tagger.logits(batch)
            labels = torch.full(logits.shape, -1.0)
            for i, w in enumerate(batch):
                labels[i, : len(w["labels"])] = torch.tensor(w["labels"], dtype=torch.float)
            keep = labels >= 0
            loss = loss_fn(logits[keep], labels[keep])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tagger.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            total += loss.item()
            if step % 100 == 0:
                log.info("SI epoch %d  step %d/%d  loss %.4f", epoch, step, len(batches), total / step)
        probs = tagger.token_probs(valid_w, config.eval_batch_size)
        by_t = {t: score_si(valid_gold, decode(valid, valid_w, probs, t)).f1 for t in THRESHOLDS}
        threshold = max(by_t, key=by_t.get)
        tracker.log_metrics(
            {
                "train/loss": total / max(1, len(batches)),
                "valid/si_f1": by_t[threshold],
                "valid/si_threshold": threshold,
            },
            step=epoch,
        )
        log.info(
            "SI epoch %d  loss %.4f  valid SI F1 %.3f at threshold %.2f  (%.0fs)",
            epoch,
            total / max(1, len(batches)),
            by_t[threshold],
            threshold,
            time.time() - t0,
        )
        if by_t[threshold] > best[0]:
            best = (
                by_t[threshold],
                tagger.state(),
                threshold,
                {"epoch": epoch, **{f"f1@{t}": f for t, f in by_t.items()}},
            )
    tagger.load_state(best[1])
    return tagger, best[2], {"valid_si_f1": best[0], **best[3]}
