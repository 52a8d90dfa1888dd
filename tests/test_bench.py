"""The benchmark runs end to end on the tiny model at --quick sizes and writes every field (no timings checked)."""

import json

from bench.data import make_statements
from bench.run import main

PATH_FIELDS = {
    "import_s",
    "first_prediction_s",
    "since_process_start_s",
    "throughput",
    "latency_single_s",
    "latency_batch64_s",
    "peak_rss_mib",
    "peak_rss_after_throughput_mib",
}


def test_statements_are_deterministic_and_in_the_length_mix():
    a, b = make_statements(300, seed=3), make_statements(300, seed=3)
    assert a == b and a != make_statements(300, seed=4)
    words = [len(t.split()) for t in a]
    assert min(words) >= 3 and max(words) <= 80 and len(set(words)) > 20


def test_quick_bench_writes_every_field(tiny_model, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["--model", str(tiny_model), "--quick", "--sizes", "20,40", "--out", str(out)]) == 0
    result = json.loads((out / "bench.json").read_text())
    assert {"cpu", "cores", "torch", "transformers", "load_average"} <= set(result["machine"])
    assert {"n", "words", "tokens", "seed"} <= set(result["inputs"])
    assert set(result["paths"]) == {"stance", "stance-int8", "pipeline", "pipeline-tuned"}
    for name, r in result["paths"].items():
        assert set(r) >= PATH_FIELDS, name
        assert {"statements_per_s", "n", "batch_size"} <= set(r["throughput"])
        assert {"p50", "p95"} <= set(r["latency_single_s"]) and {"p50", "p95"} <= set(r["latency_batch64_s"])
        if name != "stance":
            assert {"count", "max_top_probability_diff"} <= set(r["vs_exact"])
    assert result["paths"]["pipeline-tuned"]["tuning"]["statements_per_s"]
    for path in ("exact", "int8"):
        assert {"stance_macro_f1", "rhetoric_micro_f1"} <= set(result["accuracy"][path])
    assert "offered" in result["accuracy"]["int8"]
    rows = result["scale"]["rows"]
    assert [r["n"] for r in rows] == [20, 40]
    assert all({"wall_s", "statements_per_s", "peak_rss_mib"} <= set(r) for r in rows)
    assert "memory_flat" in result["scale"]
    assert {"vs_default", "vs_tuned", "import_s", "first_prediction_s", "rss_mib"} <= set(
        result["targets"]["stance"]
    )
    assert "exact_labels_agree" in result["targets"]
    md = (out / "bench.md").read_text()
    assert "pipeline, defaults" in md and "## Scale" in md and "## Targets" in md
    assert md.strip() in capsys.readouterr().out
