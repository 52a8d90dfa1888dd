"""`python -m training.data card`: the statistics tables of data/README.md, computed from the files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from stance.labels import STANCES, TECHNIQUES
from training.data.corpus import RAW_DIR, load_split, near_duplicate_pairs, read_jsonl
from training.data.schema import DATA_DIR, SPLITS

AGREEMENT_DIR = DATA_DIR / "agreement"
LENGTH_BINS = ((3, 5), (6, 10), (11, 20), (21, 30), (31, 45), (46, 60), (61, 10_000))


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def distinct_trigram_ratio(texts: list[str]) -> float:
    grams = [tuple(t.lower().split()[i : i + 3]) for t in texts for i in range(max(0, len(t.split()) - 2))]
    return len(set(grams)) / max(1, len(grams))


def agreement(first: dict[str, dict[str, Any]], second_path: Path) -> dict[str, Any]:
    """Cohen's kappa for stance and per-technique agreement between the two labelling passes."""
    from sklearn.metrics import cohen_kappa_score

    second = {r["id"]: r for _, r in read_jsonl(second_path)}
    ids = sorted(set(second) & set(first))
    a = [first[i]["stance"] for i in ids]
    b = [second[i]["stance"] for i in ids]
    per_tech = {}
    for t in TECHNIQUES:
        x = [t in first[i]["rhetoric"] for i in ids]
        y = [t in second[i]["rhetoric"] for i in ids]
        agree = sum(p == q for p, q in zip(x, y, strict=True)) / len(ids)
        kappa = cohen_kappa_score(x, y) if len(set(x) | set(y)) > 1 else float("nan")
        per_tech[t] = (sum(x), sum(y), agree, kappa)
    confusion = Counter((p, q) for p, q in zip(a, b, strict=True) if p != q)
    any_a = [bool(first[i]["rhetoric"]) for i in ids]
    any_b = [bool(second[i]["rhetoric"]) for i in ids]
    return {
        "n": len(ids),
        "stance_kappa": cohen_kappa_score(a, b),
        "stance_agreement": sum(p == q for p, q in zip(a, b, strict=True)) / len(ids),
        "any_technique_kappa": cohen_kappa_score(any_a, any_b),
        "per_technique": per_tech,
        "top_confusions": confusion.most_common(8),
    }


def card() -> str:
    splits = {s: load_split(s) for s in SPLITS}
    everything = [r for s in SPLITS for r in splits[s]]
    parts = [f"Statements: {len(everything)} ({', '.join(f'{s} {len(v)}' for s, v in splits.items())}).", ""]
    parts.append("### Stance per split")
    rows = [
        [st]
        + [sum(r["stance"] == st for r in splits[s]) for s in SPLITS]
        + [sum(r["stance"] == st for r in everything)]
        for st in STANCES
    ]
    parts += [_table(["stance", *SPLITS, "all"], rows), ""]
    parts.append("### Rhetoric per split (statements containing the technique)")
    rows = [
        [t]
        + [sum(t in (r["rhetoric"] or ()) for r in splits[s]) for s in SPLITS]
        + [sum(t in (r["rhetoric"] or ()) for r in everything)]
        for t in TECHNIQUES
    ]
    none = [sum(r["rhetoric"] == [] for r in splits[s]) for s in SPLITS]
    rows.append(["(none)", *none, f"{sum(none)} ({sum(none) / len(everything):.0%})"])
    unknown = [sum(r["rhetoric"] is None for r in splits[s]) for s in SPLITS]
    rows.append(["(not labelled: batches 8–9)", *unknown, sum(unknown)])
    parts += [_table(["technique", *SPLITS, "all"], rows), ""]
    parts.append("### Domains")
    dom = Counter(r.get("domain") for r in everything)
    parts += [_table(["domain", "statements"], [[d, n] for d, n in dom.most_common()]), ""]
    parts.append("### Speaker roles (top 15) and partial quotes")
    roles = Counter(r.get("speaker_role") for r in everything)
    partial = sum(r.get("quote") is not None for r in everything)
    parts += [
        f"{len(roles)} distinct speaker roles; partial quotes: {partial} ({partial / len(everything):.1%}).",
        "",
    ]
    parts += [_table(["role", "statements"], [[d, n] for d, n in roles.most_common(15)]), ""]
    parts.append("### Length (words)")
    lengths = [len(r["text"].split()) for r in everything]
    rows = [
        [f"{lo}–{hi}" if hi < 10_000 else f"{lo}+", sum(lo <= n <= hi for n in lengths)]
        for lo, hi in LENGTH_BINS
    ]
    parts += [
        _table(["words", "statements"], rows),
        f"min {min(lengths)}, max {max(lengths)}, mean {sum(lengths) / len(lengths):.1f}",
        "",
    ]
    parts.append("### Diversity")
    raw = [r["text"] for p in sorted(RAW_DIR.glob("*.jsonl")) for _, r in read_jsonl(p)]
    raw_pairs = near_duplicate_pairs(raw)
    in_pair = {i for p in raw_pairs for i in p[:2]}
    final_pairs = near_duplicate_pairs([r["text"] for r in everything])
    n_pairs_final = len(everything) * (len(everything) - 1) // 2
    rows = [
        ["distinct word-trigram ratio", f"{distinct_trigram_ratio([r['text'] for r in everything]):.3f}"],
        [
            "authored statements in a near-duplicate pair (cosine ≥ 0.9), before build",
            f"{len(in_pair)} of {len(raw)} ({len(in_pair) / max(1, len(raw)):.2%})",
        ],
        [
            "near-duplicate pairs in the released corpus",
            f"{len(final_pairs)} of {n_pairs_final:,} pairs ({len(final_pairs) / n_pairs_final:.4%})",
        ],
    ]
    parts += [_table(["measure", "value"], rows), ""]
    second = AGREEMENT_DIR / "second_pass.jsonl"
    if second.exists():
        ag = agreement({r["id"]: r for r in everything}, second)
        parts.append("### Agreement (second, blind labelling pass)")
        parts.append(
            f"{ag['n']} statements; stance Cohen's kappa **{ag['stance_kappa']:.3f}** (raw agreement {ag['stance_agreement']:.1%}); "
            f"any-technique kappa {ag['any_technique_kappa']:.3f}."
        )
        parts.append("")
        rows = [[t, a, b, f"{agree:.1%}", f"{k:.2f}"] for t, (a, b, agree, k) in ag["per_technique"].items()]
        parts += [_table(["technique", "pass 1", "pass 2", "agreement", "kappa"], rows), ""]
        parts.append(
            "Most frequent stance disagreements (pass 1 → pass 2): "
            + ", ".join(f"{p}→{q} ({n})" for (p, q), n in ag["top_confusions"])
        )
    batch9 = AGREEMENT_DIR / "second_pass_batch9.jsonl"
    if batch9.exists():
        by_id = {r["id"]: r for r in everything}
        pairs = [(by_id[r["id"]]["stance"], r["stance"]) for _, r in read_jsonl(batch9) if r["id"] in by_id]
        agree, kappa = _kappa(pairs)
        parts += [
            "",
            f"Batch 9 (v1.4, real-news register), stance only: a blind second pass on {len(pairs)} statements (50 "
            f"per writer) — agreement {agree:.1%}, Cohen's kappa **{kappa:.3f}** (`agreement/second_pass_batch9.jsonl`).",
        ]
    parts += ["", standoff_card()]
    return "\n".join(parts)


def _kappa(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    from sklearn.metrics import cohen_kappa_score

    a, b = zip(*pairs, strict=True)
    return sum(x == y for x, y in pairs) / len(pairs), float(cohen_kappa_score(a, b))


def _per_source(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The rows of each corpus, then all of them (the agreement tables' lines)."""
    names = sorted({r["corpus"] for r in rows})
    return [(n, [r for r in rows if r["corpus"] == n]) for n in names] + [("all", rows)]


def _second_pass(name: str, title: str) -> list[str]:
    """The agreement table of a blind second pass (`first`, `second` per item), per source; none if absent."""
    path = AGREEMENT_DIR / name
    if not path.exists():
        return []
    table = []
    for source, sub in _per_source([r for _, r in read_jsonl(path)]):
        both = [(r["first"], r["second"]) for r in sub if "skip" not in (r["first"], r["second"])]
        agree, k = _kappa(both)
        skip = sum((r["first"] == "skip") == (r["second"] == "skip") for r in sub) / len(sub)
        table.append([source, len(sub), len(both), f"{agree:.1%}", f"{k:.3f}", f"{skip:.1%}"])
    heads = ["source", "items", "both labelled", "agreement", "kappa", "skip agreement"]
    return [
        "",
        f"{title} (`agreement/{name}`), stance on items neither pass skipped:",
        "",
        _table(heads, table),
    ]


def standoff_card() -> str:
    """Real-quote tables: records per source, pool and fold; the natural label distribution per source;
    the blind second pass's agreement per source (before and after the v2.1 guideline fix)."""
    rows_by_file = {
        p.stem: [r for _, r in read_jsonl(p)] for p in sorted((DATA_DIR / "standoff").glob("*.jsonl"))
    }
    parts = ["### Real quotes (stand-off)", ""]
    table = []
    for name, rows in rows_by_file.items():
        c = Counter((r.get("pool", "legacy").split(":")[0], r.get("fold", "-")) for r in rows)
        table.append(
            [name, len(rows)]
            + [c[(p, f)] for p in ("natural", "enriched", "legacy") for f in ("train", "dev", "test")]
        )
    heads = ["file", "records"] + [
        f"{p} {f}" for p in ("natural", "enriched", "legacy") for f in ("train", "dev", "test")
    ]
    parts += [_table(heads, table), ""]
    parts.append("Natural label distribution per source (share of the natural sample, all folds):")
    parts.append("")
    natural = {
        n: [r["stance"] for r in rows if r.get("pool") == "natural"] for n, rows in rows_by_file.items()
    }
    natural = {n: v for n, v in natural.items() if v}
    table = [[s] + [f"{Counter(v)[s] / len(v):.1%}" for v in natural.values()] for s in STANCES]
    table.append(["**n**"] + [len(v) for v in natural.values()])
    parts += [_table(["stance", *natural], table), ""]
    everything = Counter(r["stance"] for n, rows in rows_by_file.items() if n != "polnear_dev" for r in rows)
    enriched = Counter(
        r["pool"].split(":")[1]
        for rows in rows_by_file.values()
        for r in rows
        if r.get("pool", "").startswith("enriched")
    )
    parts.append(
        "Training-file stance counts, all pools (enrichment candidates drawn per class in brackets): "
        + ", ".join(f"{s} {everything[s]} ({enriched[s]})" for s in STANCES)
    )
    second = AGREEMENT_DIR / "standoff_second_pass.jsonl"
    if second.exists():
        table = []
        for name, sub in _per_source([r for _, r in read_jsonl(second)]):
            line = [name, len(sub)]
            for key in ("first", "first_v21"):
                both = [(r[key], r["second"]) for r in sub if "skip" not in (r[key], r["second"])]
                agree, k = _kappa(both)
                line += [len(both), f"{agree:.1%}", f"{k:.3f}"]
            line.append(
                f"{sum((r['first'] == 'skip') == (r['second'] == 'skip') for r in sub) / len(sub):.1%}"
            )
            table.append(line)
        heads = [
            "source",
            "items",
            "both labelled",
            "agreement (v2)",
            "kappa (v2)",
            "both (v2.1)",
            "agreement (v2.1)",
            "kappa (v2.1)",
            "skip agreement",
        ]
        parts += [
            "",
            "Blind second pass (`agreement/standoff_second_pass.jsonl`), stance on items neither pass skipped:",
            "",
            _table(heads, table),
        ]
    parts += _second_pass(
        "standoff_second_pass_v21.jsonl", "Blind second pass on round 5, both passes under guideline v2.1"
    )
    parts += _second_pass(
        "standoff_second_pass_r7.jsonl",
        "Blind second pass on round 7 (train-fold PolNeAR, LIAR and PTC quotes)",
    )
    parts += _second_pass(
        "standoff_second_pass_r9.jsonl",
        "Blind second pass on round 9 (dev- and test-fold PolNeAR, PTC and LIAR quotes)",
    )
    relabel = AGREEMENT_DIR / "polnear_dev_v21.jsonl"
    if relabel.exists():
        rows = [r for _, r in read_jsonl(relabel)]
        table = []
        for a, b in (("first", "second"), ("first", "legacy"), ("second", "legacy"), ("stance", "legacy")):
            both = [(r[a], r[b]) for r in rows if "skip" not in (r[a], r[b])]
            agree, k = _kappa(both)
            table.append([f"{a} / {b}", len(both), f"{agree:.1%}", f"{k:.3f}"])
        parts += [
            "",
            "PolNeAR dev relabelled blind under guideline v2.1 (`agreement/polnear_dev_v21.jsonl`: two passes, a "
            f"third on their {sum(1 for r in rows if r['third'])} disagreements; `stance` is the pair's label where "
            "they agree, the third's otherwise), against the first labels (`legacy`, guideline v1):",
            "",
            _table(["pair", "both labelled", "agreement", "kappa"], table),
        ]
    return "\n".join(parts)
