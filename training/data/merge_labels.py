"""Merge annotators' labels (`cid<TAB>label` files) on real-quote candidates into the stand-off files.

`python -m training.data merge-labels --candidates C.jsonl [C2.jsonl …] --labels L.tsv … [--override R.tsv]` adds every
labelled candidate (not `skip`) to `data/standoff/<corpus>_train.jsonl` with its fold, pool, speaker and cue
offsets and a text fingerprint, and gives the earlier rows of those files their fold, pool (`legacy`), speaker
and cue. Only offsets and labels are written: the text stays in the external corpora.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from stance.labels import STANCES
from training.data.candidates import fold_of
from training.data.corpus import read_jsonl, write_jsonl
from training.data.schema import DATA_DIR
from training.data.standoff import document, fingerprint

ORDER = (
    "corpus",
    "split",
    "doc_id",
    "start",
    "end",
    "stance",
    "rhetoric",
    "fold",
    "pool",
    "speaker",
    "cue",
    "sha1",
)


def read_labels(paths: list[Path]) -> dict[str, str]:
    """cid → label; a cid labelled twice with different labels is an error that names both files' lines."""
    labels: dict[str, tuple[str, str]] = {}
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parts = line.strip().split("\t")
            if len(parts) != 2 or parts[1] not in (*STANCES, "skip"):
                raise ValueError(f"{path}:{n}: expected 'cid<TAB>label' with a stance or skip, got {line!r}")
            cid, label = parts
            if cid in labels and labels[cid][0] != label:
                raise ValueError(f"{path}:{n}: {cid} already labelled {labels[cid][0]!r} at {labels[cid][1]}")
            labels[cid] = (label, f"{path.name}:{n}")
    return {cid: label for cid, (label, _) in labels.items()}


def _polnear_parts(split: str) -> dict[tuple[str, int, int], tuple[list[int] | None, list[int] | None]]:
    """(doc_id, start, end) of each contiguous content span, whitespace-trimmed → (speaker, cue) offsets."""
    from training.external.polnear import load_polnear

    parts = {}
    for article in load_polnear(split):
        for att in article.attributions():
            for span in att.content:
                for s, e in span.fragments:
                    text = article.text[s:e]
                    s2, e2 = s + len(text) - len(text.lstrip()), e - (len(text) - len(text.rstrip()))
                    who = [att.source.start, att.source.end] if att.source else None
                    cue = [att.cue.start, att.cue.end] if att.cue else None
                    parts.setdefault((article.id, s2, e2), (who, cue))
    return parts


def _ptc_parts(doc_id: str) -> list[tuple[int, int, list[int] | None, list[int] | None]]:
    from stance.quotes import extract_quotes

    doc = document("ptc", "train", doc_id)
    out = []
    for q in extract_quotes(doc):
        who = [q.speaker_start, q.speaker_end] if q.speaker_start is not None else None
        cue = [q.cue_start, q.cue_end] if q.cue_start is not None else None
        out.append((q.start, q.end, who, cue))
    return out


def complete_row(row: dict[str, Any], polnear: dict[str, dict]) -> dict[str, Any]:
    """Give an earlier row its fold, pool, speaker and cue (found again from the corpus or the extractor)."""
    row = dict(row)
    row.setdefault("fold", fold_of(row["corpus"], str(row["doc_id"])))
    row.setdefault("pool", "legacy")
    if "speaker" not in row:
        who = cue = None
        if row["corpus"] == "polnear":
            who, cue = polnear[row["split"]].get((row["doc_id"], row["start"], row["end"]), (None, None))
        elif row["corpus"] == "ptc":
            for s, e, w, c in _ptc_parts(str(row["doc_id"])):
                if s < row["end"] and row["start"] < e:
                    who, cue = w, c
                    break
        row["speaker"], row["cue"] = who, cue
    return {k: row[k] for k in ORDER if k in row}


def merge(
    candidates: Path, label_files: list[Path], data_dir: Path = DATA_DIR, overrides: list[Path] = ()
) -> dict[str, Any]:
    """`overrides`: label files of a relabelling pass (after a guideline fix); their labels win."""
    labels = read_labels(label_files) | read_labels(list(overrides))
    cands = {c["cid"]: c for _, c in read_jsonl(candidates)}
    unknown = sorted(set(labels) - set(cands))
    if unknown:
        raise ValueError(f"{len(unknown)} labelled ids are not in {candidates}: {unknown[:5]}")
    polnear = {split: _polnear_parts(split) for split in ("train", "dev")}
    by_file: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((data_dir / "standoff").glob("*.jsonl")):
        by_file[path.name] = [complete_row(row, polnear) for _, row in read_jsonl(path)]
    counts: Counter = Counter()
    for cid, label in sorted(labels.items()):
        c = cands[cid]
        counts[(c["corpus"], c["pool"], label)] += 1
        if label == "skip":
            continue
        doc = document(c["corpus"], c["split"], c["doc_id"])
        row = {
            "corpus": c["corpus"],
            "split": c["split"],
            "doc_id": c["doc_id"],
            "start": c["start"],
            "end": c["end"],
            "stance": label,
            "rhetoric": None,  # PTC's come from its gold spans at load time; the others are not labelled
            "fold": c["fold"],
            "pool": c["pool"],
            "speaker": c["speaker"],
            "cue": c["cue"],
            "sha1": fingerprint(doc[c["start"] : c["end"]]),
        }
        by_file.setdefault(f"{c['corpus']}_{c['split']}.jsonl", []).append(row)
    for name, rows in by_file.items():
        seen, unique = set(), []
        for row in sorted(rows, key=lambda r: (str(r["doc_id"]), r["start"], r["end"])):
            key = (str(row["doc_id"]), row["start"], row["end"])
            if key not in seen:
                seen.add(key)
                unique.append(row)
        write_jsonl(data_dir / "standoff" / name, unique)
    return {
        "labelled": len(labels),
        "skipped": sum(v for (_, _, lab), v in counts.items() if lab == "skip"),
        "files": {name: len(rows) for name, rows in by_file.items()},
    }


def main(candidates: list[str], label_files: list[str], overrides: list[str]) -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # several rounds of candidates, read as one file
        joined = Path(tmp) / "candidates.jsonl"
        joined.write_text("".join(Path(p).read_text(encoding="utf-8") for p in candidates), encoding="utf-8")
        result = merge(joined, [Path(p) for p in label_files], overrides=[Path(p) for p in overrides])
    print(json.dumps(result, indent=2))
    return 0
