"""Soft stance targets from a stronger teacher (the accurate MPNet model), for the fast MiniLM model to learn from.

A teacher reads every training record once and its stance log-probabilities are stored stand-off: keyed by a hash of
the exact model input (no text), so `make train` can learn from them without running the teacher, and a record whose
text changed simply has no target (it still trains on its hard label).

    python -m training.distil --teacher outputs/accurate-…/model [--config configs/default.yaml]
                              [--out data/distil/accurate.jsonl]

The records are the training pools of `--config` (corpus train statements and train-fold real quotes, read in its
input format). Dev- and test-fold records are never given a target.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

from training.data.corpus import read_jsonl
from training.data.standoff import fingerprint

log = logging.getLogger("stance.distil")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = "data/distil/accurate.jsonl"


def text_key(text: str) -> str:
    """The stand-off key of a model input: 16 hex digits of its SHA-1.

    >>> text_key("We will never surrender.")
    '164b4056be2d0aa6'
    """
    return fingerprint(text, digits=16)


def _in_repo(path: str | Path) -> Path:
    """A path as given when absolute, else relative to the repository (where configs name data files from)."""
    path = Path(path)
    return path if path.is_absolute() else REPO / path


def teacher_targets(teacher: str | Path, texts: list[str], batch_size: int = 64) -> list[list[float]]:
    """The teacher's stance log-probabilities for each text (in `stance.labels.STANCES` order), through the
    shipping runtime with its prior correction removed: the student learns the teacher's own reading."""
    from stance.labels import STANCES
    from stance.predict import Predictor

    predictor = Predictor(teacher)
    # the raw model: a student's own correction is chosen on its real dev fold after training
    predictor._stance_bias = None
    out = []
    for p in predictor.predict(texts, batch_size=batch_size):
        out.append([round(math.log(max(p.stance_scores[s], 1e-6)), 3) for s in STANCES])
    return out


def load_targets(path: str | Path) -> dict[str, list[float]]:
    """key → stance log-probabilities, from a file `main` wrote; a clear error when it is missing or malformed."""
    from stance.labels import STANCES

    path = _in_repo(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"distil: {path} not found; make it with `python -m training.distil --teacher DIR` "
            "or set distil: null to train on hard labels only"
        )
    targets = {}
    for line, row in read_jsonl(path):
        logp = row.get("stance_logp")
        if not isinstance(row.get("key"), str) or not isinstance(logp, list) or len(logp) != len(STANCES):
            raise ValueError(f"{path}:{line}: expected key and {len(STANCES)} stance_logp values")
        targets[row["key"]] = logp
    return targets


def attach(records: list[dict[str, Any]], targets: dict[str, list[float]]) -> int:
    """Give each record whose input has a target its `soft_stance`; returns how many got one."""
    n = 0
    for r in records:
        soft = targets.get(text_key(r["text"]))
        if soft is not None:
            r["soft_stance"] = soft
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(prog="python -m training.distil", description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", required=True, help="the teacher's model folder (stance_config.json)")
    parser.add_argument("--config", default="configs/default.yaml", help="whose training pools to label")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)

    from stance.model import META_FILE, read_meta
    from training.config import load_config
    from training.sources import gather

    config = load_config(args.config, {"distil": None})
    if not (Path(args.teacher) / META_FILE).is_file():
        print(
            f"error: --teacher {args.teacher!r} is not a model folder (no stance_config.json); give the accurate "
            "model's, e.g. outputs/accurate-<time>/model after make train CONFIG=configs/accurate.yaml",
            file=sys.stderr,
        )
        return 2
    meta = read_meta(Path(args.teacher))
    if meta.input_format != config.input_format:
        print(
            f"error: the teacher reads {meta.input_format!r} inputs and {args.config} trains on "
            f"{config.input_format!r}: their keys would never match",
            file=sys.stderr,
        )
        return 2
    splits = gather(config)
    if not splits.real_pool:
        log.warning("no real quotes (STANCE_EXTERNAL_DIR unset?): only corpus statements get targets")
    texts = sorted({r["text"] for r in splits.train + splits.real_pool})
    t0 = time.time()
    logp = teacher_targets(args.teacher, texts, args.batch_size)
    out = _in_repo(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted(zip((text_key(t) for t in texts), logp, strict=True))
    with open(out, "w", encoding="utf-8") as f:
        for key, values in rows:
            f.write(json.dumps({"key": key, "stance_logp": values}) + "\n")
    about = {
        "teacher": meta.base_model,
        "teacher_run_id": meta.run_id,
        "input_format": meta.input_format,
        "records": len(rows),
        "corpus_train": len(splits.train),
        "real_train": len(splits.real_pool),
        "seconds": round(time.time() - t0, 1),
    }
    out.with_suffix(".about.json").write_text(json.dumps(about, indent=2) + "\n")
    log.info("wrote %d teacher targets to %s in %.0fs", len(rows), out, time.time() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
