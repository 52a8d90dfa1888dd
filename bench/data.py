"""Benchmark inputs: statements with a realistic length mix, made deterministically from the test split."""

from __future__ import annotations

import json
import os
import platform
import random
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TEST_FILE = REPO / "data" / "statements" / "test.jsonl"
MIN_WORDS, MAX_WORDS = 3, 80


def source_texts(path: Path = TEST_FILE) -> list[str]:
    """The test split's statement texts, in file order."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the benchmark builds its statements from the test split")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def word_count(rng: random.Random) -> int:
    """Quotes in the news: mostly one or two sentences (median ≈ 20 words), a long tail up to 80."""
    return max(MIN_WORDS, min(MAX_WORDS, round(rng.lognormvariate(3.0, 0.65))))


def make_statements(n: int, seed: int = 0, tokenizer: Any = None, max_tokens: int | None = None) -> list[str]:
    """`n` statements of 3 to 80 words: test texts concatenated (in a shuffled order) and trimmed.

    With a tokenizer and `max_tokens`, a statement longer than `max_tokens` tokens is trimmed word by word
    until it fits, so both paths see one window per statement (MiniLM at 128 rarely needs it).

    >>> make_statements(2, seed=1)[0]  # doctest: +SKIP
    'The mayor said she was willing to postpone ...'
    """
    pool = source_texts()
    words = [w for text in pool for w in text.split()]
    starts = [0]
    for text in pool[:-1]:
        starts.append(starts[-1] + len(text.split()))
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = word_count(rng)
        s = rng.choice(starts)  # begin at the start of a real statement; run on into the next ones
        chunk = (words[s:] + words[:s])[:k] if s + k > len(words) else words[s : s + k]
        out.append(" ".join(chunk))
    if tokenizer is not None and max_tokens is not None:
        out = [_fit(text, tokenizer, max_tokens) for text in out]
    return out


def _fit(text: str, tokenizer: Any, max_tokens: int) -> str:
    words = text.split()
    while len(words) > MIN_WORDS and len(tokenizer(" ".join(words))["input_ids"]) > max_tokens:
        words.pop()
    return " ".join(words)


def length_stats(texts: list[str], tokenizer: Any = None) -> dict[str, Any]:
    """Words (and tokens, with a tokenizer) per statement: min, median, mean, p95, max."""

    def stats(xs: list[int]) -> dict[str, float]:
        xs = sorted(xs)
        return {
            "min": xs[0],
            "median": xs[len(xs) // 2],
            "mean": round(sum(xs) / len(xs), 1),
            "p95": xs[int(0.95 * (len(xs) - 1))],
            "max": xs[-1],
        }

    out: dict[str, Any] = {"n": len(texts), "words": stats([len(t.split()) for t in texts])}
    if tokenizer is not None:
        out["tokens"] = stats([len(ids) for ids in tokenizer(texts)["input_ids"]])
    return out


def write_jsonl(texts: list[str], path: Path) -> Path:
    """One {"id", "text"} object a line, the input format of `stance predict`."""
    with path.open("w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": f"bench-{i:06d}", "text": text}) + "\n")
    return path


def machine() -> dict[str, Any]:
    """What the numbers were measured on: CPU model, cores, load, library versions."""
    import torch
    import transformers

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import onnxruntime

        ort = onnxruntime.__version__
    except ImportError:
        ort = None
    try:
        import psutil

        memory = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        memory = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "memory_gib": memory,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnxruntime": ort,
    }
