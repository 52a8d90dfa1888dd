"""Evaluation: stance accuracy and macro-F1, rhetoric micro/macro-F1 per label, span F1, plots, reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from stance.labels import STANCES, TECHNIQUES
from training.ptc_scoring import score_si

THRESHOLD_GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)


def tune_thresholds(y_true: np.ndarray, probs: np.ndarray, default: float = 0.5) -> dict[str, float]:
    """Per-technique threshold that maximises F1 on the given (dev) labels; default where dev has none."""
    from sklearn.metrics import f1_score

    out = {}
    for j, t in enumerate(TECHNIQUES):
        if y_true[:, j].sum() == 0:
            out[t] = default
            continue
        scores = [f1_score(y_true[:, j], probs[:, j] >= th, zero_division=0) for th in THRESHOLD_GRID]
        out[t] = float(THRESHOLD_GRID[int(np.argmax(scores))])
    return out


def stance_metrics(gold: list[str | None], pred: list[str]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    pairs = [(g, p) for g, p in zip(gold, pred, strict=True) if g is not None]
    if not pairs:
        return {}
    g, p = zip(*pairs, strict=True)
    return {
        "stance_accuracy": float(accuracy_score(g, p)),
        "stance_macro_f1": float(f1_score(g, p, labels=list(STANCES), average="macro", zero_division=0)),
        "stance_n": len(g),
        "_stance_report": classification_report(g, p, labels=list(STANCES), digits=3, zero_division=0),
        "_stance_pairs": (list(g), list(p)),
    }


def rhetoric_metrics(gold: list[list[str] | None], pred: list[list[str]]) -> dict[str, Any]:
    from sklearn.metrics import classification_report, precision_recall_fscore_support

    rows = [(g, p) for g, p in zip(gold, pred, strict=True) if g is not None]
    if not rows:
        return {}
    y = np.array([[t in g for t in TECHNIQUES] for g, _ in rows], dtype=int)
    yhat = np.array([[t in p for t in TECHNIQUES] for _, p in rows], dtype=int)
    out: dict[str, Any] = {"rhetoric_n": len(rows)}
    for avg in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(y, yhat, average=avg, zero_division=0)
        out[f"rhetoric_{avg}_f1"] = float(f)
        out[f"rhetoric_{avg}_precision"] = float(p)
        out[f"rhetoric_{avg}_recall"] = float(r)
    p, r, f, support = precision_recall_fscore_support(y, yhat, average=None, zero_division=0)
    out["_rhetoric_per_label"] = {
        t: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]), "support": int(support[j])}
        for j, t in enumerate(TECHNIQUES)
    }
    out["_rhetoric_report"] = classification_report(
        y, yhat, target_names=list(TECHNIQUES), digits=3, zero_division=0
    )
    return out


def span_metrics(
    records: list[dict[str, Any]], pred_spans: list[list[tuple[int, int, str]]]
) -> dict[str, Any]:
    """Span F1 as PTC SI scores it (partial character overlap, technique-agnostic), where spans are known."""
    gold, pred = [], []
    for r, spans in zip(records, pred_spans, strict=True):
        if r["rhetoric"] is None or (r["rhetoric"] and not r.get("spans")):
            continue
        gold += [(r["id"], s["start"], s["end"]) for s in r.get("spans") or []]
        pred += [(r["id"], s, e) for s, e, _ in spans]
    if not gold:
        return {}
    si = score_si(gold, pred, merge_pred=True)
    return {"span_precision": si.precision, "span_recall": si.recall, "span_f1": si.f1}


def evaluate(records: list[dict[str, Any]], predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """All metrics for one split; keys starting with `_` are reports and arrays, not scalar metrics."""
    out: dict[str, Any] = {}
    out.update(stance_metrics([r["stance"] for r in records], [p["stance"] for p in predictions]))
    out.update(rhetoric_metrics([r["rhetoric"] for r in records], [p["rhetoric"] for p in predictions]))
    out.update(span_metrics(records, [p.get("spans", []) for p in predictions]))
    return out


def scalars(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if not k.startswith("_") and isinstance(v, (int, float))}


def write_reports(metrics: dict[str, Any], split: str, out_dir: Path) -> list[Path]:
    """Confusion matrix and per-label F1 bars as PNG, and the text classification report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if "_stance_pairs" in metrics:
        g, p = metrics["_stance_pairs"]
        fig, ax = plt.subplots(figsize=(8, 7))
        ConfusionMatrixDisplay.from_predictions(
            g, p, labels=list(STANCES), ax=ax, xticks_rotation=45, colorbar=False
        )
        ax.set_title(f"stance confusion ({split})")
        fig.tight_layout()
        paths.append(out_dir / f"{split}_stance_confusion.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    if "_rhetoric_per_label" in metrics:
        per = metrics["_rhetoric_per_label"]
        fig, ax = plt.subplots(figsize=(8, 5))
        ax.barh(list(per), [v["f1"] for v in per.values()])
        ax.set_xlim(0, 1)
        ax.set_xlabel("F1")
        ax.set_title(f"rhetoric F1 per technique ({split})")
        fig.tight_layout()
        paths.append(out_dir / f"{split}_rhetoric_f1.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    report = [f"# {split}", "", "## stance", metrics.get("_stance_report", "(no stance labels)")]
    report += ["## rhetoric", metrics.get("_rhetoric_report", "(no rhetoric labels)")]
    paths.append(out_dir / f"{split}_classification_report.txt")
    paths[-1].write_text("\n".join(report))
    return paths
