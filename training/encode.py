"""Records → token features with masked targets (a record may lack stance, rhetoric or spans)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.nn.utils.rnn import pad_sequence

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
        spans_known = r["rhetoric"] is not None and (bool(r.get("spans")) or not r["rhetoric"])
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


def pad(
    rows: Sequence[Sequence[Any]], value: float | int = 0, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """Rows of different lengths as one tensor, right-padded with `value` to the longest row.

    >>> pad([[1, 2, 3], [4]], value=-1).tolist()
    [[1, 2, 3], [4, -1, -1]]
    """
    return pad_sequence([torch.tensor(r, dtype=dtype) for r in rows], batch_first=True, padding_value=value)


def attention_mask(rows: Sequence[Sequence[Any]]) -> torch.Tensor:
    """1 on each row's tokens, 0 on the padding that `pad` adds."""
    return pad([[1] * len(r) for r in rows], 0, torch.long)


def collate(batch: list[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """The multi-task batch, padded to the longest feature in this batch (not to a fixed length)."""
    ids = [f["input_ids"] for f in batch]
    tag_mask = [
        [0.0 if s else 1.0 for s in f["special"]] if f["tags_known"] else [0.0] * len(f["special"])
        for f in batch
    ]
    return {
        "input_ids": pad(ids, pad_id, torch.long),
        "attention_mask": attention_mask(ids),
        "stance": torch.tensor([f["stance"] for f in batch]),
        "rhetoric": torch.tensor([f["rhetoric"] for f in batch], dtype=torch.float),
        "rhetoric_known": torch.tensor([f["rhetoric_known"] for f in batch], dtype=torch.bool),
        "tags": pad([f["tags"] for f in batch], 0.0, torch.float),
        "tag_mask": pad(tag_mask, 0.0, torch.float),
    }


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator
) -> list[list[int]]:
    """Shuffled batches of similar length (like HF's group_by_length): far less padding, same randomness.

    Indices are shuffled, cut into megabatches of 50 batches, sorted by length inside each megabatch,
    split into batches, and the batch order is shuffled again. Every training loop batches with this.

    >>> batches = length_grouped_batches([5, 1, 4, 2, 3], 2, torch.Generator().manual_seed(0))
    >>> sorted(i for b in batches for i in b), max(len(b) for b in batches)
    ([0, 1, 2, 3, 4], 2)
    """
    order = torch.randperm(len(lengths), generator=generator).tolist()
    mega = batch_size * 50
    batches = []
    for m in range(0, len(order), mega):
        chunk = sorted(order[m : m + mega], key=lambda i: lengths[i])
        batches += [chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Batches of indices in length order, for prediction (no shuffling; the caller puts results back)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[b : b + batch_size] for b in range(0, len(order), batch_size)]


def feature_lengths(features: Sequence[dict[str, Any]]) -> list[int]:
    """Token counts of the features, for the batchers."""
    return [len(f["input_ids"]) for f in features]
