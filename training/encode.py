"""Records → token features with masked targets (a record may lack stance, rhetoric or spans)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.nn.utils.rnn import pad_sequence

from stance.labels import STANCE_LABEL2ID, STANCES, TECHNIQUE_LABEL2ID, TECHNIQUES

IGNORE = -100
ENCODING_VERSION = 2  # part of the datasets cache key: bump when encode_batch changes what it writes
FEATURE_COLUMNS = (
    "input_ids",
    "length",
    "stance",
    "rhetoric",
    "rhetoric_known",
    "tags",
    "tags_known",
    "special",
    "soft_stance",
    "soft_known",
)


def _record_features() -> Any:
    """The part of the record schema that training reads (see training.data.corpus.load_corpus)."""
    from datasets import Features, List, Value

    span = {"start": Value("int32"), "end": Value("int32"), "technique": Value("string")}
    return Features(
        {
            "text": Value("string"),
            "stance": Value("string"),
            "rhetoric": List(Value("string")),
            "spans": List(span),
            "spans_known": Value("bool"),
            "soft_stance": List(Value("float32")),  # a teacher's log-probabilities (training.distil), or []
        }
    )


def encode(records: Any, tokenizer: Any, max_length: int) -> Any:
    """Records (a list of dicts or a `datasets.Dataset`) → a `datasets.Dataset` of features, by `Dataset.map`.

    One feature per record, truncated to max_length (training sees sentences; windows are for inference).
    A file-backed dataset (`training.data.corpus.load_corpus()`) is tokenized once and then read from the
    datasets cache; a list is tokenized in memory.
    """
    from datasets import Dataset
    from datasets.fingerprint import Hasher

    if not isinstance(records, Dataset):
        records = Dataset.from_dict(
            {
                "text": [r["text"] for r in records],
                "stance": [r["stance"] for r in records],
                "rhetoric": [r["rhetoric"] for r in records],
                "spans": [r.get("spans") or [] for r in records],
                # False where span offsets are not known for the text (a real quote read in its sentence)
                "spans_known": [r.get("spans_known", True) for r in records],
                "soft_stance": [r.get("soft_stance") or [] for r in records],
            },
            features=_record_features(),
        )
    key = [records._fingerprint, tokenizer.name_or_path, len(tokenizer), max_length, ENCODING_VERSION]
    return records.map(
        encode_batch,
        batched=True,
        fn_kwargs={"tokenizer": tokenizer, "max_length": max_length},
        remove_columns=records.column_names,
        new_fingerprint=Hasher.hash(key),
        desc="tokenize",
    )


def encode_batch(batch: dict[str, list[Any]], tokenizer: Any, max_length: int) -> dict[str, list[Any]]:
    """The `Dataset.map` function: a batch of record columns → feature columns with masked targets."""
    enc = tokenizer(batch["text"], truncation=True, max_length=max_length, return_offsets_mapping=True)
    n_tech = len(TECHNIQUES)
    out: dict[str, list[Any]] = {k: [] for k in FEATURE_COLUMNS}
    spans_known = batch.get("spans_known") or [True] * len(batch["text"])
    soft_stance = batch.get("soft_stance") or [[]] * len(batch["text"])
    for k, (stance, known, spans, can_tag, soft) in enumerate(
        zip(batch["stance"], batch["rhetoric"], batch["spans"], spans_known, soft_stance, strict=True)
    ):
        ids, offsets = enc["input_ids"][k], enc["offset_mapping"][k]
        rhetoric = [0.0] * n_tech
        for t in known or []:
            rhetoric[TECHNIQUE_LABEL2ID[t]] = 1.0
        token_tags = [[0.0] * n_tech for _ in ids]
        for s in spans or []:
            j = TECHNIQUE_LABEL2ID[s["technique"]]
            for i, (a, b) in enumerate(offsets):
                if b > a and a < s["end"] and b > s["start"]:
                    token_tags[i][j] = 1.0
        row = {
            "input_ids": ids,
            "length": len(ids),
            "stance": STANCE_LABEL2ID[stance] if stance is not None else IGNORE,
            "rhetoric": rhetoric,
            "rhetoric_known": known is not None,
            "tags": token_tags,
            "tags_known": can_tag and known is not None and (bool(spans) or not known),
            "special": [b <= a for a, b in offsets],
            "soft_stance": soft or [0.0] * len(STANCES),
            "soft_known": bool(soft),
        }
        for c in FEATURE_COLUMNS:
            out[c].append(row[c])
    return out


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
        "soft_stance": torch.tensor([f["soft_stance"] for f in batch], dtype=torch.float),
        "soft_known": torch.tensor([f["soft_known"] for f in batch], dtype=torch.bool),
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


def feature_lengths(features: Any) -> list[int]:
    """Token counts of the features (a list of dicts, or a Dataset with a `length` column), for the batchers."""
    if "length" in getattr(features, "column_names", ()):
        return list(features["length"])
    return [len(f["input_ids"]) for f in features]
