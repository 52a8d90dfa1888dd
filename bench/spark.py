"""`make bench-spark`: statements/s in-process vs Spark local[1] and local[2], start-up apart, peak RSS per worker."""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from bench.data import REPO, machine, make_statements
from bench.run import resolve

RESULTS = REPO / "bench" / "results" / "spark.json"
FILES = 8  # input Parquet files, so every master gets at least as many tasks as cores


class PeakRSS:
    """Samples the RSS of this process and its descendants (the JVM, Spark's Python workers) every 0.1 s."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process()
        self.peak: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for proc in [self.me, *self.me.children(recursive=True)]:
                try:
                    rss, cmd = proc.memory_info().rss, " ".join(proc.cmdline()[:4])
                except Exception:  # exited between listing and reading
                    continue
                kind = "driver" if proc.pid == self.me.pid else "jvm" if "java" in cmd else "python worker"
                self.peak[proc.pid] = (kind, max(rss, self.peak.get(proc.pid, ("", 0))[1]))
            self._stop.wait(0.1)

    def mib(self, kind: str) -> float:
        return round(max((rss for k, rss in self.peak.values() if k == kind), default=0) / 2**20)


def in_process(texts: list[str], model: Path, batch_size: int) -> dict[str, Any]:
    """stance.load + predict over the same Arrow-sized chunks a Spark worker sees, on every core."""
    import stance
    from stance.spark import ARROW_BATCH

    predictor = stance.load(model)
    predictor.predict(texts[:64], batch_size=batch_size)  # warm-up
    with PeakRSS() as rss:
        t = time.perf_counter()
        for i in range(0, len(texts), ARROW_BATCH):
            predictor.predict(texts[i : i + ARROW_BATCH], batch_size=batch_size)
        wall = time.perf_counter() - t
    return {"path": "in-process", "startup_s": None, "wall_s": wall, "worker_mib": rss.mib("driver")}


def on_spark(master: str, src: Path, dst: Path, model: Path, batch_size: int, n: int) -> dict[str, Any]:
    """A fresh session on `master`: start-up timed apart from scoring `src` (Parquet in, Parquet out)."""
    from stance.spark import predict_parquet, session

    with PeakRSS() as rss:
        t = time.perf_counter()
        spark = session(master, app=f"stance-bench {master}")
        spark.range(1).count()  # the JVM and the executor are up
        startup = time.perf_counter() - t
        t = time.perf_counter()
        counts = predict_parquet(spark, str(src), str(dst), model=str(model), batch_size=batch_size)
        wall = time.perf_counter() - t
        spark.stop()
    if counts["rows"] != n or counts["errors"]:
        raise SystemExit(f"bench: {master} wrote {counts}, expected {n} rows without errors")
    workers = sum(1 for k, _ in rss.peak.values() if k == "python worker")
    return {
        "path": f"Spark {master}",
        "startup_s": startup,
        "wall_s": wall,
        "worker_mib": rss.mib("python worker"),
        "jvm_mib": rss.mib("jvm"),
        "python_workers": workers,
    }


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores; {result['n']} statements (seed {result['seed']}), "
        f"model `{result['model']}`, batch {result['batch_size']}, {result['arrow_batch']} rows per Arrow batch.",
        "",
        "| path | Spark start-up s | scoring s | statements/s | × in-process | peak RSS per worker MiB | JVM MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    base = result["rows"][0]["wall_s"]
    for r in result["rows"]:
        start = "—" if r["startup_s"] is None else f"{r['startup_s']:.1f}"
        lines.append(
            f"| {r['path']} | {start} | {r['wall_s']:.1f} | {result['n'] / r['wall_s']:.0f} | "
            f"{base / r['wall_s']:.2f} | {r['worker_mib']} | {r.get('jvm_mib', '—')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.spark", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="statements (default 100000)")
    parser.add_argument("--model", help="model directory (default: $STANCE_MODEL, then make train's export)")
    parser.add_argument(
        "--masters", default="local[1],local[2]", help="comma-separated (default local[1],local[2])"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS.relative_to(REPO)})"
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from stance.spark import ARROW_BATCH

    model = resolve(args.model)
    texts = make_statements(args.n, seed=args.seed)
    rows = [in_process(texts, model, args.batch_size)]
    with tempfile.TemporaryDirectory(prefix="stance-bench-spark-") as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        step = -(-len(texts) // FILES)
        for k in range(0, len(texts), step):
            table = pa.table(
                {"id": list(range(k, k + len(texts[k : k + step]))), "text": texts[k : k + step]}
            )
            pq.write_table(table, src / f"part-{k // step}.parquet")
        for master in args.masters.split(","):
            dst = Path(tmp) / master.replace("[", "-").replace("]", "")  # Spark reads [1] as a glob
            rows.append(on_spark(master, src, dst, model, args.batch_size, args.n))
    result = {
        "n": args.n,
        "seed": args.seed,
        "model": model.name,
        "batch_size": args.batch_size,
        "arrow_batch": ARROW_BATCH,
        "machine": machine(),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
