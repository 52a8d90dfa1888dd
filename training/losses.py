"""The multi-task loss: each part masked where an example lacks that kind of label; imbalance weighted."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from stance.labels import STANCES, TECHNIQUES
from training.config import TrainConfig


class MultiTaskLoss(nn.Module):
    def __init__(self, stance_weight: torch.Tensor, pos_weight: torch.Tensor, config: TrainConfig):
        super().__init__()
        self.stance_ce = nn.CrossEntropyLoss(weight=stance_weight, ignore_index=-100)
        self.register_buffer("pos_weight", pos_weight)  # a buffer: moves with .to(device)
        self.mix = (config.stance_loss, config.rhetoric_loss, config.span_loss)
        # distillation: the share of the stance loss given to a teacher's soft targets, and their temperature
        self.distil = (config.distil_weight if config.distil else 0.0, config.distil_temperature)

    @classmethod
    def from_records(cls, records: list[dict[str, Any]], config: TrainConfig) -> MultiTaskLoss:
        """Inverse-sqrt-frequency stance weights; rhetoric pos_weight = sqrt(neg/pos), clipped to [1, 10]."""
        counts = torch.ones(len(STANCES))
        pos = torch.ones(len(TECHNIQUES))
        n_rhet = 1
        for r in records:
            if r["stance"] is not None:
                counts[STANCES.index(r["stance"])] += 1
            if r["rhetoric"] is not None:
                n_rhet += 1
                for t in r["rhetoric"]:
                    pos[TECHNIQUES.index(t)] += 1
        if not config.class_weights:
            return cls(torch.ones(len(STANCES)), torch.ones(len(TECHNIQUES)), config)
        stance_w = counts.rsqrt()
        stance_w = stance_w / stance_w.mean()
        pos_w = ((n_rhet - pos) / pos).clamp(min=1.0).sqrt().clamp(max=10.0)
        return cls(stance_w, pos_w, config)

    def forward(
        self, out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict]:
        zero = out["stance"].sum() * 0.0
        parts = {"stance": zero, "rhetoric": zero, "spans": zero, "distil": zero}
        if (batch["stance"] != -100).any():
            parts["stance"] = self.stance_ce(out["stance"], batch["stance"])
        weight, temperature = self.distil
        soft = batch["soft_known"]
        if weight and soft.any():
            # Hinton et al.'s soft-target term: KL(teacher || student) at temperature T, scaled by T^2
            student = (out["stance"][soft] / temperature).log_softmax(-1)
            teacher = (batch["soft_stance"][soft] / temperature).log_softmax(-1)
            kl = nn.functional.kl_div(student, teacher, log_target=True, reduction="batchmean")
            parts["distil"] = kl * temperature**2
        stance = (1 - weight) * parts["stance"] + weight * parts["distil"]
        known = batch["rhetoric_known"]
        if known.any():
            bce = nn.functional.binary_cross_entropy_with_logits(
                out["rhetoric"][known], batch["rhetoric"][known], pos_weight=self.pos_weight
            )
            parts["rhetoric"] = bce
        mask = batch["tag_mask"]
        if mask.any():
            per_token = nn.functional.binary_cross_entropy_with_logits(
                out["spans"], batch["tags"], pos_weight=self.pos_weight, reduction="none"
            ).mean(-1)
            parts["spans"] = (per_token * mask).sum() / mask.sum()
        a, b, c = self.mix
        return a * stance + b * parts["rhetoric"] + c * parts["spans"], parts
