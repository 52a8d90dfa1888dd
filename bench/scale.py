"""Scale: 1k, 10k and 100k statements through the `stance predict` CLI, with throughput and peak memory."""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.data import make_statements, write_jsonl

DEFAULT_CLI = f"{shlex.quote(sys.executable)} -m stance predict"
FLAT_RATIO = 1.25  # peak RSS at the largest size may be at most this multiple of the smallest


def cli_available() -> str | None:
    """None if `python -m stance predict` can run here, else why not."""
    for module in ("stance.cli", "stance.__main__"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is missing: `python -m stance predict` cannot run yet"
    return None


def run_cli(command: str, model: str, src: Path, dst: Path, timeout: float) -> dict[str, Any]:
    """Run the CLI once; wall time and the child's own peak RSS (from wait4, no polling)."""
    env = dict(os.environ, STANCE_MODEL=str(model))
    argv = [*shlex.split(command), "-i", str(src), "-o", str(dst)]
    errors = dst.with_suffix(".stderr")
    t = time.perf_counter()
    with errors.open("wb") as err_file:  # a file, not a pipe: a chatty child cannot block on a full pipe
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err_file)
    deadline = t + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = errors.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}:\n{err}")
    return {"wall_s": wall, "peak_rss_mib": usage.ru_maxrss / 1024}


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def scale(
    model: str, sizes: list[int], seed: int = 0, command: str = DEFAULT_CLI, timeout: float = 3600
) -> dict[str, Any]:
    """Throughput and peak RSS per input size, the marginal rate between sizes, and whether memory is flat."""
    if command == DEFAULT_CLI and (why := cli_available()):
        return {"skipped": why, "command": command, "rows": []}
    rows = []
    with tempfile.TemporaryDirectory(prefix="stance-bench-scale-") as tmp:
        texts = make_statements(max(sizes), seed=seed + 1)
        for n in sorted(sizes):
            src = write_jsonl(texts[:n], Path(tmp) / f"in-{n}.jsonl")
            dst = Path(tmp) / f"out-{n}.jsonl"
            r = run_cli(command, model, src, dst, timeout)
            got = count_lines(dst)
            if got != n:
                raise RuntimeError(f"{command} wrote {got} lines for {n} statements")
            rows.append({"n": n, **r, "statements_per_s": n / r["wall_s"]})
            dst.unlink()
    for a, b in zip(rows, rows[1:], strict=False):
        # The rate once the model is loaded: the extra statements over the extra time.
        b["marginal_statements_per_s"] = (b["n"] - a["n"]) / max(b["wall_s"] - a["wall_s"], 1e-9)
    ratio = rows[-1]["peak_rss_mib"] / rows[0]["peak_rss_mib"]
    return {
        "command": command,
        "rows": rows,
        "rss_ratio_largest_to_smallest": ratio,
        "memory_flat": ratio <= FLAT_RATIO,
    }
