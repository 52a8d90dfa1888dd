"""`python -m training.data validate`: schema, labels, offsets, duplicates and leakage across every data file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from training.data.corpus import near_duplicate_pairs, read_jsonl, split_path
from training.data.schema import DATA_DIR, SPLITS, RecordError, check_record

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
SEED_ARTICLE = FIXTURES / "kursk-article.txt"
SEED_COSINE = 0.5
# Names that only the held-out seed article should bring into the data.
SEED_MARKERS = re.compile(r"\b(Kursk|Gerasimov|Kyiv regime|propaganda tricks|Gornal)\b", re.IGNORECASE)


def seed_sentences() -> list[str]:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    return [s for s in re.split(r"(?<=[.!?])\s+|(?<=[.!?][\"”’])\s+|\n", text) if len(s.split()) >= 4]


def seed_leaks(texts: list[str]) -> list[tuple[int, str]]:
    """(index, reason) for texts that name the seed article's events or paraphrase one of its sentences."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    seeds = seed_sentences()
    leaks = [(i, f"mentions {m.group(0)!r}") for i, t in enumerate(texts) if (m := SEED_MARKERS.search(t))]
    vec = TfidfVectorizer(stop_words="english").fit(texts + seeds)
    sims = vec.transform(texts) @ vec.transform(seeds).T
    for i, j in zip(*sims.nonzero(), strict=True):
        if sims[i, j] >= SEED_COSINE:
            leaks.append((int(i), f"paraphrases seed sentence {seeds[j][:60]!r} (cosine {sims[i, j]:.2f})"))
    return leaks


def _check_standoff(record: Any) -> None:
    from stance.labels import STANCES, TECHNIQUES
    from training.data.candidates import fold_of

    need = {"corpus", "split", "doc_id", "start", "end", "stance", "rhetoric", "sha1"}
    optional = {"fold", "pool", "speaker", "cue"}
    if not isinstance(record, dict) or not need <= set(record) <= need | optional:
        raise RecordError(f"expected the fields {sorted(need)} and optionally {sorted(optional)}")
    if record["corpus"] not in ("polnear", "ptc", "liar"):
        raise RecordError(f"corpus: unknown {record['corpus']!r}")
    if "fold" in record and record["fold"] != fold_of(record["corpus"], str(record["doc_id"])):
        raise RecordError(f"fold: {record['fold']!r} is not the fold of document {record['doc_id']!r}")
    pool = record.get("pool", "legacy")
    if pool not in ("natural", "legacy") and not (pool.startswith("enriched:") and pool[9:] in STANCES):
        raise RecordError(f"pool: unknown {pool!r} (natural, legacy or enriched:<stance>)")
    for key in ("speaker", "cue"):
        value = record.get(key)
        if value is not None and not (
            isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
        ):
            raise RecordError(f"{key}: expected null or [start, end], got {value!r}")
    if not (
        isinstance(record["start"], int)
        and isinstance(record["end"], int)
        and record["start"] < record["end"]
    ):
        raise RecordError(f"start/end: bad offsets {record['start']!r}, {record['end']!r}")
    if record["stance"] not in STANCES:
        raise RecordError(f"stance: unknown label {record['stance']!r}")
    if record["rhetoric"] is not None and any(t not in TECHNIQUES for t in record["rhetoric"]):
        raise RecordError(f"rhetoric: unknown technique in {record['rhetoric']}")


def validate(data_dir: Path = DATA_DIR) -> list[str]:
    """Return every problem found, each naming file, line and field; [] means the data is clean."""
    problems: list[str] = []
    texts: list[str] = []
    where: list[tuple[str, str, int]] = []
    ids: dict[str, str] = {}
    held_out: list[dict[str, Any]] = []  # corpus dev and test records: never a teacher's target
    for split in SPLITS:
        path = split_path(split) if data_dir == DATA_DIR else data_dir / "statements" / f"{split}.jsonl"
        if not path.exists():
            problems.append(f"{path}: missing (run `make data-build`)")
            continue
        try:
            for lineno, record in read_jsonl(path):
                try:
                    check_record(record)
                except RecordError as e:
                    problems.append(f"{path.name}:{lineno}: {e}")
                    continue
                if record["id"] in ids:
                    problems.append(f"{path.name}:{lineno}: id {record['id']!r} also at {ids[record['id']]}")
                ids[record["id"]] = f"{path.name}:{lineno}"
                texts.append(record["text"])
                where.append((path.name, split, lineno))
                if split != "train":
                    held_out.append(record)
        except RecordError as e:
            problems.append(str(e))
    seen: dict[str, int] = {}
    for k, text in enumerate(texts):
        key = text.casefold()
        if key in seen:
            a, b = where[seen[key]], where[k]
            problems.append(f"{b[0]}:{b[2]}: exact duplicate of {a[0]}:{a[2]}")
        seen.setdefault(key, k)
    for i, j, cos in near_duplicate_pairs(texts):
        a, b = where[i], where[j]
        kind = "leakage across splits" if a[1] != b[1] else "near duplicate"
        problems.append(f"{b[0]}:{b[2]}: {kind} of {a[0]}:{a[2]} (TF-IDF cosine {cos:.2f})")
    for k, reason in seed_leaks(texts):
        problems.append(f"{where[k][0]}:{where[k][2]}: seed fixture leak: {reason}")
    for path in sorted((data_dir / "standoff").glob("*.jsonl")):
        for lineno, record in read_jsonl(path):
            try:
                _check_standoff(record)
            except RecordError as e:
                problems.append(f"{path.name}:{lineno}: {e}")
    problems += _check_standoff_text(data_dir)
    problems += _check_distil(data_dir, held_out)
    return problems


def held_out_keys(held_out: list[dict[str, Any]], data_dir: Path = DATA_DIR) -> dict[str, str]:
    """`training.distil.text_key` of every evaluated model input → what it is: the corpus dev/test statements given,
    and (when STANCE_EXTERNAL_DIR is set) each real dev/test quote (`training.sources.real_eval_sets`) and PolNeAR
    dev quote, read bare or marked in its sentence (the formats models ship with)."""
    from training.data.standoff import load_standoff
    from training.distil import text_key
    from training.external import ExternalDataMissing
    from training.sources import marked, real_eval_sets

    formats = ("span", "marked")
    # a corpus statement is read as it is or, with a quote, marked; a real quote is loaded in each format
    keys = {text_key(marked(r, fmt)["text"]): f"corpus {r['id']}" for r in held_out for fmt in formats}
    try:
        for fmt in formats:
            dev, test = real_eval_sets(fmt) if data_dir == DATA_DIR else ([], [])
            polnear_dev = data_dir / "standoff" / "polnear_dev.jsonl"
            extra = load_standoff(polnear_dev, fmt=fmt) if polnear_dev.exists() else []
            keys |= {text_key(r["text"]): f"real quote {r['id']} ({fmt})" for r in dev + test + extra}
    except ExternalDataMissing:
        print("note: teacher targets checked against the corpus only (STANCE_EXTERNAL_DIR unset)")
    return keys


def _check_distil(data_dir: Path, held_out: list[dict[str, Any]]) -> list[str]:
    """Teacher targets (data/distil/, training.distil) must parse, and none may be the target of an evaluated
    input (`held_out_keys`); nor may the transfer set hold an evaluated quote or a quote of a dev/test document."""
    from training.distil import TRANSFER_FILE, load_targets, text_key

    transfer = data_dir / "distil" / Path(TRANSFER_FILE).name
    paths = sorted(p for p in (data_dir / "distil").glob("*.jsonl") if p != transfer)
    if not paths and not transfer.exists():
        return []
    keys = held_out_keys(held_out, data_dir)
    problems = []
    for path in paths:
        try:
            targets = load_targets(path)
        except ValueError as e:
            problems.append(str(e))
            continue
        problems += [f"{path.name}: a target for held-out {keys[k]}" for k in targets.keys() & keys.keys()]
    if transfer.exists():
        from training.data.candidates import fold_of
        from training.data.standoff import load_standoff
        from training.external import ExternalDataMissing

        for lineno, row in read_jsonl(transfer):
            if row.get("stance") is not None or fold_of(row["corpus"], str(row["doc_id"])) != "train":
                problems.append(
                    f"{transfer.name}:{lineno}: the transfer set holds unlabelled train-fold quotes only"
                )
        if data_dir == DATA_DIR:  # its quotes are rebuilt from the external corpora, as held_out_keys's are
            try:
                for fmt in ("span", "marked"):
                    problems += [
                        f"{transfer.name}: {r['id']} is held-out {keys[text_key(r['text'])]}"
                        for r in load_standoff(transfer, fmt=fmt)
                        if text_key(r["text"]) in keys
                    ]
            except ExternalDataMissing:
                pass
    return problems


def _check_standoff_text(data_dir: Path) -> list[str]:
    """Rebuild stand-off quotes from STANCE_EXTERNAL_DIR when it is set (offsets must match)."""
    from training.data.standoff import load_standoff, standoff_files
    from training.external import ExternalDataMissing

    problems = []
    for path in standoff_files(data_dir):
        try:
            load_standoff(path)
        except ExternalDataMissing as e:
            print(f"note: stand-off text not checked ({e})")
            break
        except RecordError as e:
            problems.append(str(e))
    return problems


def summary(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    counts = {}
    for split in SPLITS:
        path = data_dir / "statements" / f"{split}.jsonl"
        counts[split] = sum(1 for _ in read_jsonl(path)) if path.exists() else 0
    return counts


def main() -> int:
    problems = validate()
    for p in problems:
        print(p)
    counts = json.dumps(summary())
    if problems:
        print(f"FAILED: {len(problems)} problem(s); statements per split {counts}")
        return 1
    print(f"OK: data is valid; statements per split {counts}")
    return 0
