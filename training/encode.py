"""Records → token features with masked targets (a record may lack stance, rhetoric or spans)."""

from __future__ import annotations

from typing import Any

import torch

from stance.labels import STANCE_LABEL2ID, TECHNIQUE_LABEL2ID, TECHNIQUES

IGNORE = -100


def encode(records: list[dict[str, Any]], tokenizer: Any, max_length: int) -> list[dict[str, Any]]:
    """One feature per record, truncated to max_length (training sees sentences; windows are for inference)."""
    enc = tokenizer(
        [r["text"] for r in records], truncation=True, max_length=max_length, return_offsets_mapping=True
    )
    n_tech = len(TECHNIQUES)
    features = []
    for k, r in enumerate(records):
        ids, offsets = enc["input_ids"][k], enc["offset_mapping"][k]
        rhetoric = [0.0] * n_tech
        for t in r["rhetoric"] or []:
            rhetoric[TECHNIQUE_LABEL2ID[t]] = 1.0
        spans_known = r.get("spans_known", True) and (
            r["rhetoric"] is not None and (bool(r.get("spans")) or not r["rhetoric"])
        )
        token_tags = [[0.0] * n_tech for _ in ids]
        for s in r.get("spans") or []:
            j = TECHNIQUE_LABEL2ID[s["technique"]]
            for i, (a, b) in enumerate(offsets):
                if b > a and a < s["end"] and b > s["start"]:
                    token_tags[i][j] = 1.0
        features.append(
            {
                "input_ids": ids,
                "stance": STANCE_LABEL2ID[r["stance"]] if r["stance"] is not None else IGNORE,
                "rhetoric": rhetoric,
                "rhetoric_known": r["rhetoric"] is not None,
                "tags": token_tags,
                "tags_known": spans_known,
                "special": [b <= a for a, b in offsets],
            }
        )
    return features


def collate(batch: list[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad to the longest feature in this batch (not to a fixed length)."""
    width = max(len(f["input_ids"]) for f in batch)
    n = len(batch)
    n_tech = len(batch[0]["rhetoric"])
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    tags = torch.zeros((n, width, n_tech))
    tag_mask = torch.zeros((n, width))
    for i, f in enumerate(batch):
        L = len(f["input_ids"])
        input_ids[i, :L] = torch.tensor(f["input_ids"])
        mask[i, :L] = 1
        tags[i, :L] = torch.tensor(f["tags"])
        if f["tags_known"]:
            tag_mask[i, :L] = torch.tensor([0.0 if s else 1.0 for s in f["special"]])
    return {
        "input_ids": input_ids,
        "attention_mask": mask,
        "stance": torch.tensor([f["stance"] for f in batch]),
        "rhetoric": torch.tensor([f["rhetoric"] for f in batch]),
        "rhetoric_known": torch.tensor([f["rhetoric_known"] for f in batch], dtype=torch.bool),
        "tags": tags,
        "tag_mask": tag_mask,
    }


def length_grouped_batches(
    features: list[dict[str, Any]], batch_size: int, generator: torch.Generator
) -> list[list[int]]:
    """Shuffled batches of similar length (like HF's group_by_length): far less padding, same randomness.

    Indices are shuffled, cut into megabatches of 50 batches, sorted by length inside each megabatch,
    split into batches, and the batch order is shuffled again.
    """
    order = torch.randperm(len(features), generator=generator).tolist()
    mega = batch_size * 50
    batches = []
    for m in range(0, len(order), mega):
        chunk = sorted(order[m : m + mega], key=lambda i: len(features[i]["input_ids"]))
        batches += [chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
