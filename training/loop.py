"""The one training loop: AdamW on encoder and head groups, linear warmup, clipping, early stopping on dev."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from training.config import TrainConfig
from training.encode import feature_lengths, length_grouped_batches

log = logging.getLogger("stance.train")
Batch = dict[str, torch.Tensor]


@dataclass
class Score:
    """One epoch's evaluation. `value` picks the best epoch (higher is better); `metrics` go to the tracker,
    `summary` into the epoch's log line; `keep` is handed back with the best epoch (SI: its threshold)."""

    value: float
    metrics: dict[str, float] = field(default_factory=dict)
    summary: str = ""
    keep: Any = None


@dataclass
class Fitted:
    """What `fit` returns: the best epoch (whose weights the model now holds) and how many epochs ran."""

    best_epoch: int
    best: Score
    epochs_run: int


def pick_device() -> torch.device:
    """The one device switch of training: CUDA when a GPU is there, the CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def to_device(batch: Batch, device: torch.device) -> Batch:
    return {k: v.to(device) for k, v in batch.items()}


def param_groups(model: nn.Module, config: TrainConfig) -> list[dict[str, Any]]:
    """The pretrained encoder at `lr`, the fresh heads (every other parameter) at `head_lr` (default `lr`);
    frozen parameters (requires_grad False) are left out."""
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.") and p.requires_grad]
    return [
        {"params": [p for p in model.encoder.parameters() if p.requires_grad], "lr": config.lr},
        {"params": heads, "lr": config.head_lr or config.lr},
    ]


def fit(
    model: nn.Module,
    train: Sequence[dict[str, Any]] | Callable[[int], Sequence[dict[str, Any]]],
    collate: Callable[[list[dict[str, Any]]], Batch],
    loss: Callable[[nn.Module, Batch], torch.Tensor],
    evaluate: Callable[[nn.Module], Score],
    config: TrainConfig,
    tracker: Any,
    *,
    name: str = "",
    device: torch.device | None = None,
) -> Fitted:
    """Train `model` (with an `.encoder`) for up to `config.epochs`, keep the best-scoring epoch's weights.

    `train` holds the features (each with `input_ids`), or is a function of the epoch (1, 2, …) that returns
    that epoch's features (the resampled PTC pool); every epoch must have as many as the first. Batches are
    length-grouped with the generator `config.seed + epoch`, so a seed gives the same batches everywhere.
    Training stops early after `config.patience` epochs without a better `evaluate(model).value`.

    >>> fitted = fit(model, feats, collate, lambda m, b: m(**b).mean(), evaluate, config, tracker)  # doctest: +SKIP
    >>> fitted.best_epoch, fitted.best.value  # doctest: +SKIP
    (2, 0.61)
    """
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    device = device or pick_device()
    model.to(device)
    groups = param_groups(model, config)
    trainable = [p for g in groups for p in g["params"]]
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    scheduler = None
    best: Score | None = None
    best_state: dict[str, torch.Tensor] = {}
    best_epoch, bad_epochs, step, epoch = 0, 0, 0, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        features = train(epoch) if callable(train) else train
        generator = torch.Generator().manual_seed(config.seed + epoch)
        batches = length_grouped_batches(feature_lengths(features), config.batch_size, generator)
        if scheduler is None:  # every epoch has the first one's number of batches
            steps = config.epochs * len(batches)
            scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup * steps), steps)
        loader = torch.utils.data.DataLoader(features, batch_sampler=batches, collate_fn=collate)
        total, seen, t0 = 0.0, 0, time.time()
        bar = tqdm(loader, desc=f"{name}epoch {epoch}/{config.epochs}", leave=False, disable=None)
        for i, batch in enumerate(bar):
            value = loss(model, to_device(batch, device))
            value.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            item = value.item()
            total, seen, step = total + item, seen + len(batches[i]), step + 1
            bar.set_postfix(loss=f"{item:.3f}")
            if bar.disable and step % 100 == 0:  # no progress bar (not a terminal): a log line instead
                log.info(
                    "%sepoch %d  step %d/%d  loss %.4f  (%.0f examples/s)",
                    name,
                    epoch,
                    i + 1,
                    len(batches),
                    item,
                    seen / (time.time() - t0),
                )
        train_loss = total / max(1, len(batches))
        score = evaluate(model)
        tracker.log_metrics({"train/loss": train_loss, **score.metrics}, step=epoch)
        log.info(
            "%sepoch %d  loss %.4f  %s  (%.0fs)", name, epoch, train_loss, score.summary, time.time() - t0
        )
        if best is None or score.value > best.value:
            best, best_epoch, bad_epochs = score, epoch, 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            bad_epochs += 1
            if bad_epochs >= config.patience:
                log.info(
                    "%searly stopping after epoch %d (no improvement for %d epochs)", name, epoch, bad_epochs
                )
                break
    if best is None:
        raise ValueError("fit: config.epochs must be at least 1")
    model.load_state_dict(best_state)
    model.eval()
    return Fitted(best_epoch, best, epoch)
