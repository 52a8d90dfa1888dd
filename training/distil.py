"""Soft stance targets from a stronger teacher (the accurate MPNet model), for the fast MiniLM model to learn from.

A teacher reads every training record once and its stance log-probabilities are stored stand-off: keyed by a hash of
the exact model input (no text), so `make train` can learn from them without running the teacher, and a record whose
text changed simply has no target (it still trains on its hard label).

    python -m training.distil --teacher outputs/accurate-…/model [--config configs/default.yaml]
                              [--out data/distil/accurate.jsonl]

The records are the training pools of `--config` (corpus train statements and train-fold real quotes, read in its
input format). Dev- and test-fold records are never given a target.

The transfer set: the quotes of train-fold documents that nobody labelled (PolNeAR train attributions, the quotes
`analyze()` finds in PTC train articles, LIAR train statements) are stored stand-off in `data/distil/transfer_quotes.jsonl`
(positions and fingerprints, no labels, no text). A run whose `sources` name `transfer` learns from the teacher's
reading of them alone (the KL term; no hard label).

    python -m training.distil --write-transfer                    # (re)write the transfer set's positions
    python -m training.distil --teacher DIR --only-missing        # label only inputs the targets file lacks
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
TRANSFER_FILE = "data/distil/transfer_quotes.jsonl"


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


def write_transfer(path: str | Path = TRANSFER_FILE) -> dict[str, int]:
    """Write the transfer set: every quote of a train-fold document that no stand-off file labels, read the way
    the annotators' candidates are (`training.data.candidates`), minus any whose model input is evaluated (a
    republished story can put it in a dev/test document too). Returns how many of each corpus."""
    from training.data.candidates import liar_quotes, polnear_quotes, ptc_quotes
    from training.data.corpus import write_jsonl
    from training.data.standoff import document, existing_spans
    from training.data.validate import held_out_keys

    existing, rows = existing_spans(), []
    for quotes in (polnear_quotes, ptc_quotes, liar_quotes):
        for c in quotes(existing):
            if c.fold != "train":
                continue
            quote = document(c.corpus, c.split, c.doc_id)[c.start : c.end]
            rows.append(
                {
                    "corpus": c.corpus,
                    "split": c.split,
                    "doc_id": c.doc_id,
                    "start": c.start,
                    "end": c.end,
                    "stance": None,
                    "rhetoric": None,
                    "fold": "train",
                    "pool": "transfer",
                    "speaker": c.speaker,
                    "cue": c.cue,
                    "sha1": fingerprint(quote),
                }
            )
    path = _in_repo(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(path, rows)
    # drop the rows whose input (in any shipped format) is evaluated somewhere
    from training.data.standoff import load_standoff

    held = held_out_keys([])
    keep = [
        row
        for row, *inputs in zip(rows, *(load_standoff(path, fmt) for fmt in ("span", "marked")), strict=True)
        if not any(text_key(r["text"]) in held for r in inputs)
    ]
    write_jsonl(path, keep)
    counts: dict[str, int] = {"dropped_as_evaluated": len(rows) - len(keep)}
    for row in keep:
        counts[row["corpus"]] = counts.get(row["corpus"], 0) + 1
    return counts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training.distil", description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", help="the teacher's model folder (stance_config.json)")
    parser.add_argument("--config", default="configs/default.yaml", help="whose training pools to label")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--only-missing", action="store_true", help="keep --out's targets; the teacher reads only new inputs"
    )
    parser.add_argument(
        "--write-transfer",
        action="store_true",
        help=f"write {TRANSFER_FILE} (unlabelled train-fold quotes) first",
    )
    return parser


def read_teacher(teacher: str | Path, input_format: str, config_name: str) -> Any:
    """The teacher's model JSON; ValueError saying why when `teacher` cannot label a config that reads
    `input_format` inputs."""
    from stance.model import META_FILE, read_meta

    if not (Path(teacher) / META_FILE).is_file():
        raise ValueError(
            f"--teacher {str(teacher)!r} is not a model folder (no stance_config.json); give the accurate "
            "model's, e.g. outputs/accurate-<time>/model after make train CONFIG=configs/accurate.yaml"
        )
    meta = read_meta(Path(teacher))
    if meta.input_format != input_format:
        raise ValueError(
            f"the teacher reads {meta.input_format!r} inputs and {config_name} trains on {input_format!r}: "
            "their keys would never match"
        )
    return meta


def training_inputs(config: Any, transfer: bool) -> tuple[list[str], dict[str, int]]:
    """Every distinct model input of a config's training pools (corpus train statements, train-fold real quotes
    and, with `transfer`, the transfer set), sorted; and how many records each pool holds."""
    from training.sources import gather, transfer_records

    splits = gather(config)
    if transfer:
        splits.transfer_pool = transfer_records(config.input_format)
    if not splits.real_pool:
        log.warning("no real quotes (STANCE_EXTERNAL_DIR unset?): only corpus statements get targets")
    texts = sorted({r["text"] for r in splits.train + splits.real_pool + splits.transfer_pool})
    sizes = {"corpus_train": len(splits.train), "real_train": len(splits.real_pool)}
    return texts, {**sizes, "transfer": len(splits.transfer_pool)}


def write_targets(out: Path, rows: list[tuple[str, list[float]]], about: dict[str, Any]) -> None:
    """The targets file (a key and nine log-probabilities per line) and its `.about.json` beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for key, values in rows:
            f.write(json.dumps({"key": key, "stance_logp": values}) + "\n")
    out.with_suffix(".about.json").write_text(json.dumps(about, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = _parser()
    args = parser.parse_args(argv)
    if args.write_transfer:
        log.info("transfer set: %s", write_transfer())
        if not args.teacher:
            return 0
    if not args.teacher:
        parser.error("--teacher is required (or --write-transfer alone)")

    from training.config import load_config

    sources = load_config(args.config).sources
    # the transfer set is read here, without the targets file the config names (it may not exist yet)
    config = load_config(args.config, {"distil": None, "sources": [s for s in sources if s != "transfer"]})
    try:
        meta = read_teacher(args.teacher, config.input_format, args.config)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    texts, sizes = training_inputs(config, transfer="transfer" in sources)
    out = _in_repo(args.out)
    kept = load_targets(out) if args.only_missing and out.exists() else {}
    new = [t for t in texts if text_key(t) not in kept]
    log.info(
        "%d inputs, %d with a target already: the teacher reads %d",
        len(texts),
        len(texts) - len(new),
        len(new),
    )
    t0 = time.time()
    logp = teacher_targets(args.teacher, new, args.batch_size) if new else []
    seconds = round(time.time() - t0, 1)
    rows = sorted({**kept, **dict(zip((text_key(t) for t in new), logp, strict=True))}.items())
    about = {
        "teacher": meta.base_model,
        "teacher_run_id": meta.run_id,
        "input_format": meta.input_format,
        "records": len(rows),
        **sizes,
        "seconds": seconds,
    }
    if kept:  # an incremental run: keep what the earlier run read and took, and say what this one added
        previous = json.loads(out.with_suffix(".about.json").read_text())
        about = {
            **previous,
            **about,
            "seconds": previous.get("seconds"),
            "added": len(new),
            "added_seconds": seconds,
        }
    write_targets(out, rows, about)
    log.info("wrote %d teacher targets to %s in %.0fs", len(rows), out, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
