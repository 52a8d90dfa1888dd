"""Is the fast path as accurate? Test stance macro-F1 and rhetoric micro-F1, exact beside int8.

`python -m bench.accuracy --model DIR` prints both and whether the fast path is within 0.5 points on
each; `make bench` runs it and offers the fast path only if it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.data import TEST_FILE

TOLERANCE = 0.005  # 0.5 points of F1
PATHS = {"exact": False, "int8": True}  # name -> quantize


def score(model: str | Path, quantize: bool, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Stance macro-F1, rhetoric micro-F1 (as training reports them) and the stance labels, for one path."""
    import stance
    from training.metrics import rhetoric_metrics, stance_metrics

    preds = stance.load(model, quantize=quantize).predict([r["text"] for r in records])
    s = stance_metrics([r.get("stance") for r in records], [p.stance for p in preds])
    r = rhetoric_metrics([r.get("rhetoric") for r in records], [list(p.rhetoric) for p in preds])
    return {
        "stance_macro_f1": s.get("stance_macro_f1"),
        "rhetoric_micro_f1": r.get("rhetoric_micro_f1"),
        "stance_n": s.get("stance_n", 0),
        "rhetoric_n": r.get("rhetoric_n", 0),
        "_stances": [p.stance for p in preds],
    }


def compare(model: str | Path, test_file: Path = TEST_FILE) -> dict[str, Any]:
    """Both paths on the test split, the differences in points, and whether the fast path is offered.

    >>> compare("~/.local/share/stance/models/default")["int8"]["offered"]  # doctest: +SKIP
    True
    """
    with Path(test_file).open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    out: dict[str, Any] = {
        "test_file": str(test_file),
        "n": len(records),
        "tolerance_points": 100 * TOLERANCE,
    }
    for name, quantize in PATHS.items():
        out[name] = score(model, quantize, records)
    exact = out["exact"]
    for name in PATHS:
        if name == "exact":
            continue
        fast = out[name]
        deltas = {k: 100 * (fast[k] - exact[k]) for k in ("stance_macro_f1", "rhetoric_micro_f1")}
        fast["delta_points"] = deltas
        fast["stance_disagreements"] = sum(
            a != b for a, b in zip(fast["_stances"], exact["_stances"], strict=True)
        )
        fast["offered"] = all(abs(d) <= 100 * TOLERANCE for d in deltas.values())
    for name in PATHS:
        del out[name]["_stances"]
    return out


def table(result: dict[str, Any]) -> str:
    """The comparison as Markdown."""
    lines = [
        f"Test split ({result['n']} statements): the fast path is offered only within "
        f"{result['tolerance_points']:.1f} points of the exact path on each metric.",
        "",
        "| path | stance macro-F1 | rhetoric micro-F1 | Δ stance (pts) | Δ rhetoric (pts) | stance labels changed | offered |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in PATHS:
        r = result[name]
        d = r.get("delta_points")
        lines.append(
            f"| {name} | {r['stance_macro_f1']:.4f} | {r['rhetoric_micro_f1']:.4f} | "
            + (f"{d['stance_macro_f1']:+.2f} | {d['rhetoric_micro_f1']:+.2f} | " if d else "— | — | ")
            + f"{r.get('stance_disagreements', 0)} | {'yes' if r.get('offered', True) else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: stance's default model)")
    parser.add_argument("--test-file", type=Path, default=TEST_FILE)
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    from bench.run import resolve

    result = compare(resolve(args.model), args.test_file)
    print(table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
