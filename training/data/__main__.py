"""Command line for the data tooling: validate, build, card."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", help="check every data file; exit 1 on any problem")
    sub.add_parser("build", help="assemble data/raw/*.jsonl into data/statements/{train,dev,test}.jsonl")
    sub.add_parser("card", help="print the statistics tables for data/README.md")
    sub.add_parser("fingerprint", help="store text fingerprints in data/standoff/*.jsonl (after labelling)")
    cand = sub.add_parser(
        "candidates", help="write real-quote candidates for labelling (corpus text: never commit)"
    )
    cand.add_argument("--out", default=".annotation", help="folder for candidates.jsonl (git-ignored)")
    cand.add_argument("--polnear", type=int, default=2400, help="natural PolNeAR train quotes")
    cand.add_argument(
        "--ptc", type=int, default=1000, help="natural PTC train quotes (found by analyze's extractor)"
    )
    cand.add_argument("--liar", type=int, default=1000, help="natural LIAR train statements")
    cand.add_argument("--enrich", type=int, default=130, help="enrichment candidates per rare class")
    cand.add_argument("--seed", type=int, default=7)
    cand.add_argument("--enrich-classes", nargs="*", default=None, help="enrich only these classes")
    cand.add_argument("--round4-rules", action="store_true", help="use ENRICH_RULES_ROUND4")
    cand.add_argument("--prefix", default="c", help="candidate id prefix (a new round needs a new one)")
    cand.add_argument("--exclude", nargs="*", default=[], help="earlier candidates.jsonl files to leave out")
    cand.add_argument(
        "--folds",
        nargs="+",
        default=["train", "dev", "test"],
        help="draw natural quotes from these folds only",
    )
    cand.add_argument("--per-doc", type=int, default=None, help="natural quotes per document (PolNeAR, PTC)")
    merge = sub.add_parser("merge-labels", help="add annotators' cid<TAB>label files to data/standoff/")
    merge.add_argument("--candidates", nargs="+", required=True, help="the candidates.jsonl files labelled")
    merge.add_argument("--labels", nargs="+", required=True, help="label files (cid<TAB>stance or skip)")
    merge.add_argument("--override", nargs="*", default=[], help="relabelling passes whose labels win")
    args = parser.parse_args(argv)
    if args.command == "merge-labels":
        from training.data.merge_labels import main as merge_main

        return merge_main(args.candidates, args.labels, args.override)
    if args.command == "candidates":
        from pathlib import Path

        from training.data.candidates import ENRICH_RULES, ENRICH_RULES_ROUND4, build_candidates
        from training.data.standoff import existing_spans

        natural = {"polnear": args.polnear, "ptc": args.ptc, "liar": args.liar}
        existing = existing_spans()
        for path in args.exclude:
            rows = (json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines())
            existing |= {(str(r["doc_id"]), r["start"], r["end"]) for r in rows}
        counts = build_candidates(
            Path(args.out),
            natural,
            args.enrich,
            existing,
            args.seed,
            args.prefix,
            tuple(args.enrich_classes or ENRICH_RULES),
            ENRICH_RULES_ROUND4 if args.round4_rules else None,
            tuple(args.folds),
            args.per_doc,
        )
        print(json.dumps(counts, indent=2))
        return 0
    if args.command == "validate":
        from training.data.validate import main as validate_main

        return validate_main()
    if args.command == "build":
        from training.data.corpus import build

        print(json.dumps(build(), indent=2))
        return 0
    if args.command == "fingerprint":
        from training.data.standoff import add_fingerprints, standoff_files

        for path in standoff_files():
            print(f"{path.name}: {add_fingerprints(path)} rows")
        return 0
    from training.data.card import card

    print(card())
    return 0


if __name__ == "__main__":
    sys.exit(main())
