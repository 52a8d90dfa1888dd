"""`make bench-serve` / `python -m bench.serve`: `stance serve` under load on the loopback, then a fuzz pass.

The server runs as its own process (`python -m stance serve`). Clients POST bounded requests (1–4 statements
of at most 80 words to /v1/predict; one in ten the seed article to /v1/analyze) for `--seconds`; then the fuzz
pass sends random bytes, huge bodies, deep JSON, wrong types and content types, and the server must answer each
with a 4xx (never a 5xx or a dropped connection) and still answer /healthz with the same labels as before.
Writes bench/results/serve.json and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.data import REPO, machine, make_statements

RESULTS = REPO / "bench" / "results"
ARTICLE = REPO / "tests" / "fixtures" / "kursk-article.txt"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str | None, port: int, log: Path) -> subprocess.Popen:
    """`python -m stance serve` in its own process; returns once /healthz answers ready."""
    import httpx2

    argv = [sys.executable, "-m", "stance", "serve", "--port", str(port)] + (
        ["--model", model] if model else []
    )
    proc = subprocess.Popen(argv, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"bench-serve: the server exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json().get("ready"):
                return proc
        except httpx2.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("bench-serve: the server did not become ready in 180 s")


async def load(url: str, clients: int, seconds: float, seed: int) -> dict[str, Any]:
    """`clients` concurrent loops of bounded requests for `seconds`; latency per route, errors counted."""
    import httpx2

    rng = random.Random(seed)
    pool = make_statements(500, seed)
    article = ARTICLE.read_text(encoding="utf-8")
    latencies: dict[str, list[float]] = {"/v1/predict": [], "/v1/analyze": []}
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(k: int, http) -> None:
        r = random.Random(rng.random() + k)
        while time.monotonic() < deadline:
            if r.random() < 0.1:
                route, body = "/v1/analyze", {"article": article}
            else:
                route, body = "/v1/predict", {"texts": r.sample(pool, r.randint(1, 4))}
            t0 = time.perf_counter()
            try:
                resp = await http.post(url + route, json=body)
                if resp.status_code != 200:
                    errors.append(f"{route}: {resp.status_code} {resp.text[:200]}")
                    continue
            except httpx2.HTTPError as e:
                errors.append(f"{route}: {type(e).__name__} {e}")
                continue
            latencies[route].append(time.perf_counter() - t0)

    started = time.monotonic()
    async with httpx2.AsyncClient(timeout=120, limits=limits) as http:
        await asyncio.gather(*(client(k, http) for k in range(clients)))
    wall = time.monotonic() - started
    done = sum(len(v) for v in latencies.values())
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": done,
        "requests_per_s": round(done / wall, 2),
        "errors": len(errors),
        "error_samples": errors[:5],
        "routes": {route: quantiles(v) for route, v in latencies.items()},
        "all": quantiles([x for v in latencies.values() for x in v]),
    }


def quantiles(xs: list[float]) -> dict[str, Any]:
    if len(xs) < 2:
        return {"n": len(xs)}
    q = statistics.quantiles(xs, n=100, method="inclusive")
    return {"n": len(xs), "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1)}


def fuzz_cases(seed: int) -> list[tuple[str, str, str, dict[str, str], Any]]:
    """(name, method, path, headers, body) for the fuzz pass; every one should get a 4xx."""
    rng = random.Random(seed)
    js = {"Content-Type": "application/json"}
    cases: list[tuple[str, str, str, dict[str, str], Any]] = []
    for i in range(100):
        blob = rng.randbytes(rng.randint(0, 4096))
        ctype = rng.choice(["application/json", "text/plain", "application/octet-stream", ""])
        cases.append(
            (
                f"random bytes {i}",
                "POST",
                rng.choice(["/v1/predict", "/v1/analyze"]),
                {"Content-Type": ctype},
                blob,
            )
        )
    huge = b'{"texts": ["' + b"a" * 20_000_000 + b'"]}'
    cases += [
        ("huge body, 20 MB with Content-Length", "POST", "/v1/predict", js, huge),
        (
            "huge body, 20 MB chunked",
            "POST",
            "/v1/analyze",
            js,
            iter([huge[i : i + 65536] for i in range(0, len(huge), 65536)]),
        ),
        ("deep JSON arrays (100k)", "POST", "/v1/predict", js, b"[" * 100_000 + b"]" * 100_000),
        ("deep JSON objects (50k)", "POST", "/v1/predict", js, b'{"texts":' * 50_000 + b"[]" + b"}" * 50_000),
        ("10,000 texts", "POST", "/v1/predict", js, json.dumps({"texts": ["ok"] * 10_000}).encode()),
        (
            "one 1M-character text",
            "POST",
            "/v1/predict",
            js,
            json.dumps({"texts": ["a " * 500_000]}).encode(),
        ),
        ("lone surrogate", "POST", "/v1/predict", js, b'{"texts": ["ok \\ud800 no"]}'),
        ("lone surrogate article", "POST", "/v1/analyze", js, b'{"article": "He said: \\"\\udfff\\""}'),
        ("NaN and numbers", "POST", "/v1/predict", js, b'{"texts": [NaN, 1e999, -0]}'),
        ("null body", "POST", "/v1/predict", js, b"null"),
        ("texts as object", "POST", "/v1/predict", js, b'{"texts": {"0": "a"}}'),
        ("nested lists", "POST", "/v1/predict", js, b'{"texts": [["a"]]}'),
        ("invalid UTF-8", "POST", "/v1/analyze", js, b'{"article": "\xc3\x28"}'),
        ("text/plain", "POST", "/v1/predict", {"Content-Type": "text/plain"}, b'{"texts": ["a"]}'),
        ("form", "POST", "/v1/predict", {"Content-Type": "application/x-www-form-urlencoded"}, b"texts=a"),
        ("multipart", "POST", "/v1/analyze", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--"),
        ("no content type", "POST", "/v1/predict", {}, b'{"texts": ["a"]}'),
        ("PUT", "PUT", "/v1/predict", js, b"{}"),
        ("DELETE", "DELETE", "/healthz", {}, b""),
        ("unknown path", "GET", "/v1/%00/../etc/passwd", {}, b""),
        ("static traversal", "GET", "/static/../serve.py", {}, b""),
    ]
    return cases


def fuzz(url: str, seed: int) -> dict[str, Any]:
    """Send every fuzz case; count the statuses; a 5xx or a dropped connection is a failure."""
    import httpx2

    statuses: dict[str, int] = {}
    failures = []
    with httpx2.Client(timeout=120) as http:
        for name, method, path, headers, body in fuzz_cases(seed):
            try:
                r = http.request(method, url + path, headers=headers, content=body)
                statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
                if r.status_code >= 500 or r.status_code < 400:
                    failures.append(f"{name}: {r.status_code} {r.text[:200]}")
            except httpx2.HTTPError as e:
                failures.append(f"{name}: {type(e).__name__} {e}")
        health = http.get(url + "/healthz").json()
    return {
        "cases": sum(statuses.values()) + len(failures),
        "statuses": statuses,
        "failures": failures,
        "healthz_after": health,
    }


def table(result: dict[str, Any]) -> str:
    """The README's rows."""
    load_, fz = result["load"], result["fuzz"]
    lines = [
        "| route | requests | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for route, q in [*load_["routes"].items(), ("all", load_["all"])]:
        lines.append(f"| {route} | {q['n']} | {q.get('p50_ms', '—')} | {q.get('p95_ms', '—')} |")
    lines.append("")
    lines.append(
        f"{load_['clients']} clients for {load_['seconds']} s: **{load_['requests_per_s']} requests/s**, "
        f"**{load_['errors']} errors**. Fuzz: {fz['cases']} cases, statuses {fz['statuses']}, "
        f"{len(fz['failures'])} failures; /healthz after the fuzz: ready={fz['healthz_after'].get('ready')}, "
        f"same labels as before: {result['same_labels_after_fuzz']}. Model: `{result['model']}`; {result['machine']}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="model directory or MLflow URI (default: the trained default)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "serve.json")
    args = parser.parse_args(argv)
    import httpx2

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    proc = start_server(args.model, port, args.out.with_suffix(".log"))
    try:
        probe = {"texts": make_statements(8, args.seed + 1)}
        before = httpx2.post(url + "/v1/predict", json=probe, timeout=120).json()
        result: dict[str, Any] = {
            "model": httpx2.get(url + "/healthz").json()["model"],
            "machine": machine_line(),
        }
        result["load"] = asyncio.run(load(url, args.clients, args.seconds, args.seed))
        result["fuzz"] = fuzz(url, args.seed)
        after = httpx2.post(url + "/v1/predict", json=probe, timeout=120).json()
        result["same_labels_after_fuzz"] = [p["stance"] for p in after] == [p["stance"] for p in before]
    finally:
        proc.terminate()
        proc.wait(30)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    ok = result["load"]["errors"] == 0 and not result["fuzz"]["failures"] and result["same_labels_after_fuzz"]
    return 0 if ok else 1


def machine_line() -> str:
    m = machine()
    return f"{m['cores']} CPU cores ({m['cpu']}), load average {m['load_average'][0]} at the end"


if __name__ == "__main__":
    raise SystemExit(main())
