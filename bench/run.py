"""`make bench` / `python -m bench.run`: stance against transformers.pipeline on the same weights.

Each path runs in its own fresh process (cold start, throughput, latency, peak RSS); the labels are
compared; the fast path's accuracy is checked; the CLI is timed at growing sizes. Writes
bench/results/bench.json and bench.md and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.data import REPO, length_stats, machine, make_statements

RESULTS = REPO / "bench" / "results"
FULL = {"n": 2000, "single": 100, "batches": 20, "tune_n": 500, "tune": [8, 16, 32, 64, 128], "repeats": 3}
QUICK = {"n": 200, "single": 10, "batches": 3, "tune_n": 100, "tune": [8, 32], "repeats": 1}
FULL_SIZES, QUICK_SIZES = [1_000, 10_000, 100_000], [100, 300]
TARGETS = {"vs_default": 4.0, "vs_tuned": 1.5, "import_s": 0.3, "first_prediction_s": 4.0, "rss_mib": 1024}


def resolve(model: str | None) -> Path:
    """The model directory to benchmark, or SystemExit with what to do."""
    from stance.resolve import resolve_model

    try:
        return resolve_model(model)
    except FileNotFoundError as e:
        raise SystemExit(
            f"bench: {e}\nbench: pass --model DIR (a stance model directory) or run `make train`."
        ) from None


def worker(path: str, model: Path, spec: Path, tmp: Path, timeout: float) -> dict[str, Any]:
    """Run bench.worker in a fresh process and return its result."""
    out = tmp / f"result-{path}-{time.monotonic_ns()}.json"
    log = out.with_suffix(".log")
    argv = [sys.executable, "-m", "bench.worker", path, str(model), str(spec), str(out)]
    with log.open("wb") as f:
        code = subprocess.run(argv, cwd=REPO, stdout=f, stderr=subprocess.STDOUT, timeout=timeout).returncode
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({code}):\n{log.read_text(errors='replace')[-3000:]}")
    return json.loads(out.read_text())


def write_spec(path: Path, **spec: Any) -> Path:
    path.write_text(json.dumps(spec))
    return path


def disagreements(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Statements whose argmax stance differs, and how far the winning probabilities are apart elsewhere."""
    diff = [i for i, (a, b) in enumerate(zip(ours["labels"], theirs["labels"], strict=True)) if a != b]
    differ = set(diff)
    same = [i for i in range(len(ours["labels"])) if i not in differ]
    gap = max((abs(ours["scores"][i] - theirs["scores"][i]) for i in same), default=0.0)
    return {"count": len(diff), "indices": diff[:20], "max_top_probability_diff": gap}


def measure(model: Path, sizes: dict[str, Any], seed: int, tmp: Path, timeout: float) -> dict[str, Any]:
    """All paths on the same statements; labels compared against the exact path."""
    from transformers import AutoTokenizer

    import bench.hf
    from stance.model import read_meta

    tokenizer = AutoTokenizer.from_pretrained(str(model), local_files_only=True)
    max_tokens = read_meta(model).max_length
    texts = make_statements(sizes["n"], seed, tokenizer, max_tokens)
    single = make_statements(sizes["single"], seed + 2, tokenizer, max_tokens)
    batch = make_statements(64 * sizes["batches"], seed + 3, tokenizer, max_tokens)
    hf_dir = bench.hf.export(model, tmp / "pipeline-model")
    common = {"texts": texts, "single_texts": single, "batch_texts": batch, "repeats": sizes["repeats"]}

    paths: dict[str, Any] = {}
    for name, kind, directory, bs in (
        ("stance", "stance", model, 64),
        ("stance-int8", "stance-int8", model, 64),
    ):
        spec = write_spec(tmp / f"spec-{name}.json", batch_size=bs, **common)
        paths[name] = worker(kind, directory, spec, tmp, timeout)
    spec = write_spec(tmp / "spec-pipeline.json", batch_size=None, **common)
    paths["pipeline"] = worker("pipeline", hf_dir, spec, tmp, timeout)
    spec = write_spec(tmp / "spec-tune.json", tune=sizes["tune"], tune_n=sizes["tune_n"], **common)
    tune = worker("pipeline", hf_dir, spec, tmp, timeout)["tune"]
    best = int(max(tune, key=tune.get))
    spec = write_spec(tmp / "spec-pipeline-tuned.json", batch_size=best, **common)
    paths["pipeline-tuned"] = worker("pipeline", hf_dir, spec, tmp, timeout)
    paths["pipeline-tuned"]["tuning"] = {"n": min(sizes["tune_n"], len(texts)), "statements_per_s": tune}

    exact = paths["stance"]
    for name, r in paths.items():
        if name != "stance":
            r["vs_exact"] = disagreements(exact, r)
    for r in paths.values():
        del r["labels"], r["scores"]
    return {
        "inputs": {"seed": seed, **length_stats(texts, tokenizer), "max_length": max_tokens},
        "paths": paths,
    }


def check_targets(result: dict[str, Any]) -> dict[str, Any]:
    """Each target, the figure it is judged on, and whether it is met (for exact and the offered fast path)."""
    p = result["paths"]
    default = p["pipeline"]["throughput"]["statements_per_s"]
    tuned = p["pipeline-tuned"]["throughput"]["statements_per_s"]
    fast_ok = result.get("accuracy", {}).get("int8", {}).get("offered", False)
    out: dict[str, Any] = {}
    for name in ["stance"] + (["stance-int8"] if fast_ok else []):
        r = p[name]
        rate = r["throughput"]["statements_per_s"]
        figures = {
            "vs_default": (rate / default, rate / default >= TARGETS["vs_default"]),
            "vs_tuned": (rate / tuned, rate / tuned >= TARGETS["vs_tuned"]),
            "import_s": (r["import_s"], r["import_s"] < TARGETS["import_s"]),
            "first_prediction_s": (
                r["since_process_start_s"],
                r["since_process_start_s"] < TARGETS["first_prediction_s"],
            ),
            "rss_mib": (r["peak_rss_mib"], r["peak_rss_mib"] < TARGETS["rss_mib"]),
        }
        out[name] = {k: {"value": v, "target": TARGETS[k], "met": ok} for k, (v, ok) in figures.items()}
    out["exact_labels_agree"] = all(p[n]["vs_exact"]["count"] == 0 for n in ("pipeline", "pipeline-tuned"))
    scale = result.get("scale", {})
    if scale.get("rows"):
        out["scale_memory_flat"] = scale["memory_flat"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: stance's default model)")
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds to a minute), for tests")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where bench.json and bench.md go")
    parser.add_argument(
        "--sizes", default=None, help="scale sizes, comma-separated (default 1000,10000,100000)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-scale", action="store_true", help="leave out the CLI scale runs")
    parser.add_argument(
        "--skip-accuracy", action="store_true", help="leave out the test-split accuracy check"
    )
    parser.add_argument(
        "--cli", default=None, help="command for the scale runs (default: python -m stance predict)"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per subprocess")
    args = parser.parse_args(argv)

    for key, value in (
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("TOKENIZERS_PARALLELISM", "false"),
    ):
        os.environ.setdefault(key, value)
    from bench import report, scale
    from bench.accuracy import compare

    model = resolve(args.model)
    sizes = QUICK if args.quick else FULL
    scale_sizes = (
        [int(s) for s in args.sizes.split(",")] if args.sizes else (QUICK_SIZES if args.quick else FULL_SIZES)
    )
    started = time.time()
    result: dict[str, Any] = {
        "model": str(model),
        "quick": args.quick,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
    }
    with tempfile.TemporaryDirectory(prefix="stance-bench-") as tmp:
        result |= measure(model, sizes, args.seed, Path(tmp), args.timeout)
    if not args.skip_accuracy:
        result["accuracy"] = compare(model)
    if not args.skip_scale:
        result["scale"] = scale.scale(
            str(model), scale_sizes, args.seed, args.cli or scale.DEFAULT_CLI, args.timeout
        )
    result["targets"] = check_targets(result)
    result["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    result["seconds"] = time.time() - started

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    text = report.markdown(result)
    (args.out / "bench.md").write_text(text + "\n")
    print(text)
    print(f"\nwrote {args.out / 'bench.json'} and {args.out / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
