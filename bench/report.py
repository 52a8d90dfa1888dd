"""The benchmark result as Markdown tables."""

from __future__ import annotations

from typing import Any

from bench.accuracy import table as accuracy_table

LABELS = {
    "stance": "stance (exact, fp32)",
    "stance-int8": "stance (int8, fp32 outlier channels)",
    "pipeline": "pipeline, defaults",
    "pipeline-tuned": "pipeline, tuned batch_size",
}


def _ms(x: float) -> str:
    return f"{1000 * x:.1f}"


def markdown(result: dict[str, Any]) -> str:
    """Machine, main table, scale, accuracy and targets."""
    m = result["machine"]
    inputs = result["inputs"]
    p = result["paths"]
    default = p["pipeline"]["throughput"]["statements_per_s"]
    lines = [
        f"# stance benchmark{' (--quick)' if result['quick'] else ''}",
        "",
        f"{m['cpu']}, {m['cores']} cores ({m['torch_threads']} torch threads), {m['memory_gib']} GiB; "
        f"Python {m['python']}, torch {m['torch']}, transformers {m['transformers']}; "
        f"load average {m['load_average'][0]} at start, {m.get('load_average_end', ['?'])[0]} at end.",
        f"Model: `{result['model']}`.",
        f"{inputs['n']} statements (seed {inputs['seed']}): words min/median/mean/max "
        f"{inputs['words']['min']}/{inputs['words']['median']}/{inputs['words']['mean']}/{inputs['words']['max']}, "
        f"tokens median/mean/max {inputs['tokens']['median']}/{inputs['tokens']['mean']}/{inputs['tokens']['max']}.",
        "",
        "| path | batch | statements/s | × default pipeline | single p50/p95 ms | batch-64 p50/p95 ms "
        "| import s | first prediction s | peak RSS MiB (after throughput / end) | stance ≠ exact |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in p.items():
        t = r["throughput"]
        s, b = r["latency_single_s"], r["latency_batch64_s"]
        diff = r.get("vs_exact")
        lines.append(
            f"| {LABELS.get(name, name)} | {t['batch_size'] or 'default'} | {t['statements_per_s']:.0f} | "
            f"{t['statements_per_s'] / default:.2f} | {_ms(s['p50'])} / {_ms(s['p95'])} | "
            f"{_ms(b['p50'])} / {_ms(b['p95'])} | {r['import_s']:.3f} | {r['since_process_start_s']:.2f} | "
            f"{r['peak_rss_after_throughput_mib']:.0f} / {r['peak_rss_mib']:.0f} | {diff['count'] if diff else '—'} |"
        )
    tuning = p["pipeline-tuned"].get("tuning")
    if tuning:
        rates = ", ".join(f"{k}: {v:.0f}" for k, v in tuning["statements_per_s"].items())
        lines += ["", f"Pipeline batch_size tuning on {tuning['n']} statements (statements/s): {rates}."]
    lines += [
        "",
        "Throughput is the best of the repeats, after a warm-up; first prediction is from process start to the "
        "first label (import, load, predict). Pipeline rows run our encoder and stance head through a "
        "mean-pooling `PreTrainedModel` (bench/hf.py); `stance ≠ exact` counts statements whose stance differs "
        "from the exact path.",
    ]
    scale = result.get("scale")
    if scale is not None:
        lines += ["", "## Scale: `stance predict -i in.jsonl -o out.jsonl`", ""]
        if scale.get("skipped"):
            lines.append(f"Skipped: {scale['skipped']}.")
        else:
            lines += [
                "| statements | wall s | statements/s | marginal statements/s | peak RSS MiB |",
                "|---|---|---|---|---|",
            ]
            for row in scale["rows"]:
                marginal = row.get("marginal_statements_per_s")
                lines.append(
                    f"| {row['n']:,} | {row['wall_s']:.1f} | {row['statements_per_s']:.0f} | "
                    f"{f'{marginal:.0f}' if marginal else '—'} | {row['peak_rss_mib']:.0f} |"
                )
            lines += [
                "",
                f"Peak RSS largest/smallest: {scale['rss_ratio_largest_to_smallest']:.2f} "
                f"({'flat' if scale['memory_flat'] else 'NOT flat'}).",
            ]
    if result.get("accuracy"):
        lines += ["", "## Accuracy of the fast path", "", accuracy_table(result["accuracy"])]
    lines += ["", "## Targets (2 cores)", "", "| path | target | value | met |", "|---|---|---|---|"]
    names = {
        "vs_default": "throughput ≥ 4× default pipeline",
        "vs_tuned": "throughput ≥ 1.5× tuned pipeline",
        "import_s": "`import stance` < 0.3 s",
        "first_prediction_s": "first prediction < 4 s",
        "rss_mib": "peak RSS < 1 GiB",
    }
    for path, checks in result["targets"].items():
        if not isinstance(checks, dict):
            continue
        for key, c in checks.items():
            value = f"{c['value']:.2f}×" if key.startswith("vs_") else f"{c['value']:.3g}"
            lines.append(
                f"| {LABELS.get(path, path)} | {names[key]} | {value} | {'yes' if c['met'] else 'NO'} |"
            )
    t = result["targets"]
    lines.append(
        f"| pipeline | same stance as exact on every statement | — | {'yes' if t['exact_labels_agree'] else 'NO'} |"
    )
    if "scale_memory_flat" in t:
        lines.append(
            f"| CLI | peak memory flat from smallest to largest input | — | {'yes' if t['scale_memory_flat'] else 'NO'} |"
        )
    return "\n".join(lines)
