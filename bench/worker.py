"""One measured path in a fresh process: cold start, throughput, latency and peak RSS.

`python -m bench.worker PATH MODEL SPEC.json OUT.json`: PATH is "stance", "stance-int8" or "pipeline",
MODEL the directory to load, SPEC the texts and repeats. Only `sys` and `time` are imported before the
timed import (the spec is read after the first prediction), so the cold-start figures are what a user's
fresh process pays.
"""

from __future__ import annotations

import sys
import time

FIRST_TEXT = "We will never accept these terms, and our partners know it."


def cold_start(kind: str, model: str) -> tuple[object, dict]:
    """Import, load and label one statement; return a `run(texts, batch_size)` function and the timings."""
    t0 = time.perf_counter()
    if kind.startswith("stance"):
        import stance

        t1 = time.perf_counter()
        predictor = stance.load(model, quantize=kind == "stance-int8")
        predictor.predict(FIRST_TEXT)
        t2 = time.perf_counter()

        def run(texts, batch_size):
            preds = predictor.predict(texts, batch_size=batch_size or 64)
            if isinstance(preds, list):
                return [(p.stance, p.stance_scores[p.stance]) for p in preds]
            return [(preds.stance, preds.stance_scores[preds.stance])]

    else:
        from transformers import pipeline

        import bench.hf  # noqa: F401  registers the mean-pooling model class with the Auto classes

        t1 = time.perf_counter()
        pipe = pipeline("text-classification", model=model)
        pipe(FIRST_TEXT)
        t2 = time.perf_counter()

        def run(texts, batch_size):
            out = pipe(texts) if batch_size is None else pipe(texts, batch_size=batch_size)
            out = out if isinstance(out, list) else [out]
            return [(r["label"], r["score"]) for r in out]

    return run, {"import_s": t1 - t0, "first_prediction_s": t2 - t1, "import_to_first_s": t2 - t0}


def percentiles(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {"p50": xs[len(xs) // 2], "p95": xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))], "n": len(xs)}


def main(kind: str, model: str, spec_path: str, out_path: str) -> None:
    started = time.time()
    run, result = cold_start(kind, model)
    import json
    import resource

    import psutil

    result["since_process_start_s"] = time.time() - psutil.Process().create_time()
    result["worker_wall_s"] = time.time() - started
    with open(spec_path) as f:
        spec = json.load(f)
    bs = spec.get("batch_size")
    texts = spec["texts"]

    if spec.get("tune"):  # throughput per batch size on a subset, nothing else
        sub = texts[: spec["tune_n"]]
        run(sub[:64], bs)
        result["tune"] = {}
        for size in spec["tune"]:
            t = time.perf_counter()
            run(sub, size)
            result["tune"][str(size)] = len(sub) / (time.perf_counter() - t)
    else:
        run(texts[:64], bs)  # warm-up at full batch shapes
        times, labels = [], None
        for _ in range(spec["repeats"]):
            t = time.perf_counter()
            labels = run(texts, bs)
            times.append(time.perf_counter() - t)
        result["throughput"] = {
            "n": len(texts),
            "batch_size": bs,
            "seconds": times,
            "statements_per_s": len(texts) / min(times),
        }
        result["peak_rss_after_throughput_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["labels"] = [label for label, _ in labels]
        result["scores"] = [round(score, 6) for _, score in labels]
        single = []
        for text in spec["single_texts"]:
            t = time.perf_counter()
            run(text, bs)
            single.append(time.perf_counter() - t)
        batch = []
        for b in range(0, len(spec["batch_texts"]), 64):
            t = time.perf_counter()
            run(spec["batch_texts"][b : b + 64], bs)
            batch.append(time.perf_counter() - t)
        result["latency_single_s"] = percentiles(single)
        result["latency_batch64_s"] = percentiles(batch)
    # ru_maxrss is in KiB on Linux: the high-water mark of this whole process.
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(*sys.argv[1:5])
