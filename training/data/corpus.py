"""Read, build and load the project's own corpus (data/statements/{train,dev,test}.jsonl)."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from training.data.schema import DATA_DIR, SPLITS, STATEMENTS_DIR, RecordError, check_record

RAW_DIR = DATA_DIR / "raw"
SPLIT_SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}
NEAR_DUPLICATE_COSINE = 0.9
CORPUS_SOURCE = "stance-corpus-v1"


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-empty line; bad JSON raises naming file and line."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as e:
                raise RecordError(f"{path}:{lineno}: invalid JSON ({e.msg} at column {e.colno})") from None


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def split_path(split: str) -> Path:
    return STATEMENTS_DIR / f"{split}.jsonl"


def load_split(split: str) -> list[dict[str, Any]]:
    """The records of one split of the project corpus, as plain dicts."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return [r for _, r in read_jsonl(split_path(split))]


def load_corpus():
    """The project corpus as a `datasets.DatasetDict` with train/dev/test.

    >>> load_corpus()["train"][0]["stance"]  # doctest: +SKIP
    'dismissive'
    """
    from datasets import Features, List, Value, load_dataset

    span = {"start": Value("int32"), "end": Value("int32"), "technique": Value("string")}
    features = Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "stance": Value("string"),
            "rhetoric": List(Value("string")),
            "spans": List(span),
            "source": Value("string"),
            "domain": Value("string"),
            "speaker_role": Value("string"),
            "quote": {"start": Value("int32"), "end": Value("int32")},
        }
    )
    files = {s: str(split_path(s)) for s in SPLITS}
    return load_dataset("json", data_files=files, features=features)


def near_duplicate_pairs(
    texts: list[str], threshold: float = NEAR_DUPLICATE_COSINE
) -> list[tuple[int, int, float]]:
    """Index pairs (i < j) whose word TF-IDF cosine is at least `threshold`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return []
    matrix = TfidfVectorizer(lowercase=True, ngram_range=(1, 1)).fit_transform(texts)
    sims = (matrix @ matrix.T).tocoo()
    return sorted(
        (int(i), int(j), float(v))
        for i, j, v in zip(sims.row, sims.col, sims.data, strict=True)
        if i < j and v >= threshold
    )


def _offsets(text: str, piece: str, where: str) -> tuple[int, int]:
    start = text.find(piece)
    if start < 0 or not piece.strip():
        raise RecordError(f"{where}: {piece!r} is not a substring of the text")
    return start, start + len(piece)


def _from_raw(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Turn an authoring record (spans given as substrings) into the schema (spans as offsets)."""
    text = re.sub(r"\s+", " ", raw["text"]).strip()
    spans = []
    for i, s in enumerate(raw.get("spans", [])):
        start, end = _offsets(text, re.sub(r"\s+", " ", s["text"]).strip(), f"{where} spans[{i}]")
        spans.append({"start": start, "end": end, "technique": s["technique"]})
    record = {
        "id": "",
        "text": text,
        "stance": raw["stance"],
        "rhetoric": None if raw.get("rhetoric", []) is None else sorted(set(raw.get("rhetoric", []))),
        "spans": sorted(spans, key=lambda s: (s["start"], s["end"], s["technique"])),
        "source": CORPUS_SOURCE,
        "domain": raw.get("domain"),
        "speaker_role": raw.get("speaker_role"),
    }
    if raw.get("quote"):
        start, end = _offsets(text, raw["quote"], f"{where} quote")
        record["quote"] = {"start": start, "end": end}
    return record


def build(seed: int = 13) -> dict[str, Any]:
    """Assemble data/raw/*.jsonl into stratified train/dev/test files, dropping near-duplicates and seed leaks."""
    from training.data.validate import seed_leaks

    records, rejected = [], defaultdict(int)
    for path in sorted(RAW_DIR.glob("*.jsonl")):
        for lineno, raw in read_jsonl(path):
            where = f"{path.name}:{lineno}"
            try:
                record = _from_raw(raw, where)
                check_record({**record, "id": "tmp"})
            except (RecordError, KeyError) as e:
                rejected["invalid"] += 1
                print(f"skip {where}: {e}")
                continue
            records.append(record)
    texts = [r["text"] for r in records]
    leaks = {i for i, _ in seed_leaks(texts)}
    rejected["seed_paraphrase"] = len(leaks)
    kept = [r for i, r in enumerate(records) if i not in leaks]
    # TF-IDF weights depend on the whole set, so dropping one near-duplicate can bring another pair over the
    # threshold: repeat until the kept set is clean, as `validate` will see it.
    while drop := {j for _, j, _ in near_duplicate_pairs([r["text"] for r in kept])}:
        rejected["near_duplicate"] += len(drop)
        kept = [r for i, r in enumerate(kept) if i not in drop]

    # A statement keeps the split (and id) it had: a new batch adds statements without redrawing the test split.
    previous = {
        r["text"]: (split, r["id"])
        for split in SPLITS
        if split_path(split).exists()
        for _, r in read_jsonl(split_path(split))
    }
    rng = random.Random(seed)
    splits: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    by_stance: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in kept:
        if r["text"] in previous:
            split, r["id"] = previous[r["text"]]
            splits[split].append(r)
        else:
            by_stance[r["stance"]].append(r)
    rejected["left_the_corpus"] = len(previous) - sum(len(v) for v in splits.values())
    new: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for stance in sorted(by_stance):
        group = by_stance[stance]
        rng.shuffle(group)
        n_dev = round(len(group) * SPLIT_SHARES["dev"])
        n_test = round(len(group) * SPLIT_SHARES["test"])
        new["dev"] += group[:n_dev]
        new["test"] += group[n_dev : n_dev + n_test]
        new["train"] += group[n_dev + n_test :]
    for split, rows in splits.items():
        rows.sort(key=lambda r: r["id"])
        rng.shuffle(new[split])
        # after the last id kept: a statement that left the corpus leaves a gap, never a reused id
        first = max((int(r["id"].rsplit("-", 1)[1]) + 1 for r in rows), default=0)
        for k, r in enumerate(new[split], start=first):
            r["id"] = f"{split}-{k:05d}"
        rows += new[split]
        write_jsonl(split_path(split), rows)
    remapped = remap_agreement({r["text"]: r["id"] for rows in splits.values() for r in rows})
    return {
        "kept": len(kept),
        "rejected": dict(rejected),
        **{s: len(v) for s, v in splits.items()},
        "added": {s: len(v) for s, v in new.items()},
        "agreement_ids_remapped": remapped,
    }


def remap_agreement(id_by_text: dict[str, str], directory: Path | None = None) -> int:
    """Point the agreement sample (data/agreement/) at the rebuilt ids: ids change when splits are redrawn,
    the statement texts do not. Returns how many ids changed; a sampled text no longer in the corpus is an error."""
    directory = directory or DATA_DIR / "agreement"
    sample_path, second_path = directory / "sample.jsonl", directory / "second_pass.jsonl"
    if not sample_path.exists():
        return 0
    sample = [r for _, r in read_jsonl(sample_path)]
    missing = [r["id"] for r in sample if r["text"] not in id_by_text]
    if missing:
        raise RecordError(
            f"{sample_path}: {len(missing)} sampled statements left the corpus, e.g. {missing[:3]}"
        )
    new_id = {r["id"]: id_by_text[r["text"]] for r in sample}
    write_jsonl(sample_path, [{**r, "id": new_id[r["id"]]} for r in sample])
    if second_path.exists():
        write_jsonl(second_path, [{**r, "id": new_id[r["id"]]} for _, r in read_jsonl(second_path)])
    return sum(old != new for old, new in new_id.items())
