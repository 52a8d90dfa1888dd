"""`python -m training.eval_external [--quick]`: PTC TC, SI and sentence level, and PolNeAR-dev stance, beside
published results; the Markdown table goes between the external markers of README.md, the runs to MLflow."""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.config import TrainConfig, load_config

log = logging.getLogger("stance.eval_external")
REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- external:start -->", "<!-- external:end -->"
SPAN_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
SENTENCE_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(2, 19))
# SemEval-2020 Task 11 (Da San Martino et al., 2020), scores on a 0–1 scale.
PUBLISHED = {
    "tc": "0.621 best team on test (ApplicaAI); 0.678 a top-3 entry on dev",
    "si": "0.516 best team on test (Hitachi)",
    "sentence": "— (not a SemEval-2020 subtask)",
    "stance": "— (our stand-off labels)",
}
PARTS = ("tc", "si", "si_tagger", "stance")
RESULTS = REPO / "results" / "external.json"
QUICK = {"epochs": 1, "max_length": 64, "stride": 16, "tracking": "none", "ptc_sentences_per_epoch": 64}


def portable(path: str | Path) -> str:
    """A path as committed results show it: relative to the repository, under `~`, or just its name.

    >>> portable(REPO / "outputs" / "run" / "model")
    'outputs/run/model'
    """
    path = Path(path).expanduser().resolve()
    for root, prefix in ((REPO, ""), (Path.home(), "~/")):
        if path.is_relative_to(root):
            return prefix + str(path.relative_to(root))
    return path.name


def _articles(items: list[dict[str, Any]], key: str, n: int | None, seed: int = 0) -> list[dict[str, Any]]:
    """Items of n randomly chosen articles (all when n is None): quick runs subsample whole articles."""
    if n is None:
        return items
    docs = sorted({i[key] for i in items})
    keep = set(random.Random(seed).sample(docs, min(n, len(docs))))
    return [i for i in items if i[key] in keep]


def _quick_splits(
    key: str, train: list, valid: list, dev: list, valid_articles: int
) -> tuple[list, list, list]:
    """--quick: 12 train articles, `valid_articles` held-out ones and 4 dev articles, grouped by `key`."""
    return _articles(train, key, 12), _articles(valid, key, valid_articles), _articles(dev, key, 4)


def eval_tc(config: TrainConfig, quick: bool) -> dict[str, Any]:
    """Train the TC classifier on PTC train (weight chosen on held-out train articles); score PTC dev."""
    from training.external.ptc import hold_out_articles, span_examples
    from training.ptc_scoring import score_tc
    from training.tc import fit_tc
    from training.tracking import Tracker

    share, seed = config.ptc_validation_share, config.seed
    train, valid = hold_out_articles(span_examples("train"), "article_id", share, seed)
    dev = span_examples("dev")
    if quick:
        train, valid, dev = _quick_splits("article_id", train, valid, dev, valid_articles=4)
    with Tracker(config) as tracker:
        tracker.log_sources({"ptc_train_spans": len(train), "ptc_valid_spans": len(valid)}, {})
        tc = fit_tc(config, train, valid, tracker)
        labels = tc.predict(dev, config.eval_batch_size)
        gold = [(e["article_id"], e["technique"], e["start"], e["end"]) for e in dev]
        pred = [(e["article_id"], t, e["start"], e["end"]) for e, t in zip(dev, labels, strict=True)]
        score = score_tc(gold, pred)
        metrics = {"ptc_dev/tc_micro_f1": score.f1}
        metrics |= {f"ptc_dev/tc_f1_{t}": prf.f1 for t, prf in score.per_technique.items()}
        tracker.log_metrics(metrics)
        tracker.log_dict(score.to_dict(), "reports/ptc_dev_tc.json")
        run_id = tracker.run_id
    return {
        "f1": score.f1,
        "n": score.n_spans,
        "weight": tc.weight,
        "valid": tc.valid_scores,
        "run_id": run_id,
        "per_technique": score.to_dict()["per_technique"],
    }


def _predict(predictor: Any, records: list[dict[str, Any]], threshold: float, batch_size: int) -> list[Any]:
    texts = [r["text"] for r in records]
    return predictor.predict(texts, batch_size=batch_size, span_threshold=threshold) if records else []


def _article_spans(records: list[dict[str, Any]], preds: list[Any]) -> list[tuple[str, int, int]]:
    """Sentence spans moved to article offsets with the sentence's doc_start."""
    return [
        (r["doc_id"], r["doc_start"] + s.start, r["doc_start"] + s.end)
        for r, p in zip(records, preds, strict=True)
        for s in p.spans
    ]


def _sentence_rules(records: list[dict[str, Any]], preds: list[Any]) -> dict[str, float]:
    """Sentence-level F1 of each rule: any rhetoric score >= t (the rhetoric head) or any span (the span head)."""
    from training.ptc_scoring import sentence_prf

    gold = [r["rhetoric"] for r in records]
    top = [max(p.rhetoric_scores.values()) for p in preds]
    rules = {f"rhetoric@{t}": sentence_prf(gold, [s >= t for s in top]).f1 for t in SENTENCE_THRESHOLDS}
    rules["spans"] = sentence_prf(gold, [bool(p.spans) for p in preds]).f1
    return rules


def _si_data(config: TrainConfig, quick: bool) -> tuple[list[dict[str, Any]], ...]:
    """PTC sentences for SI: train and held-out train articles, dev, and the gold spans of valid and dev."""
    from training.external.ptc import load_sentences, load_spans
    from training.sources import ptc_train_sentences

    train, valid = ptc_train_sentences(config)
    dev = load_sentences("dev")
    if quick:
        train, valid, dev = _quick_splits("doc_id", train, valid, dev, valid_articles=3)
    valid_docs, dev_docs = {r["doc_id"] for r in valid}, {r["doc_id"] for r in dev}
    valid_gold = [s for s in load_spans("train") if s.article_id in valid_docs]
    dev_gold = [s for s in load_spans("dev") if s.article_id in dev_docs]
    return train, valid, dev, valid_gold, dev_gold


def eval_si(config: TrainConfig, model_dir: str | None, quick: bool) -> dict[str, Any]:
    """Train the multi-task model (or reuse one), choose thresholds on held-out PTC train articles, score dev."""
    from stance.predict import Predictor
    from training.ptc_scoring import score_si, sentence_prf
    from training.train import run as train_run

    run_id = None
    if model_dir is None:
        result = train_run(config)
        model_dir, run_id = result["model_dir"], result["run_id"]
    predictor = Predictor(model_dir)
    _, valid, dev, valid_gold, dev_gold = _si_data(config, quick)
    bs = config.eval_batch_size
    si_valid, rules_by_threshold = {}, {}
    for t in SPAN_THRESHOLDS:
        preds = _predict(predictor, valid, t, bs)
        si_valid[t] = score_si(valid_gold, _article_spans(valid, preds)).f1
        rules_by_threshold[t] = _sentence_rules(valid, preds)
    threshold = max(si_valid, key=si_valid.get)
    rules = rules_by_threshold[threshold]
    rule = max(rules, key=rules.get)
    preds = _predict(predictor, dev, threshold, bs)
    si = score_si(dev_gold, _article_spans(dev, preds))
    if rule == "spans":
        positive = [bool(p.spans) for p in preds]
    else:
        cut = float(rule.split("@")[1])
        positive = [max(p.rhetoric_scores.values()) >= cut for p in preds]
    sentence = sentence_prf([r["rhetoric"] for r in dev], positive)
    out = {
        "si": si.to_dict(), "sentence": sentence.to_dict(), "span_threshold": threshold, "sentence_rule": rule,
        "valid_si_f1": si_valid[threshold], "valid_sentence_f1": rules[rule], "model_dir": portable(model_dir),
        "run_id": run_id, "n_sentences": len(dev), "n_positive": sum(bool(r["rhetoric"]) for r in dev),
    }  # fmt: skip
    if run_id and config.tracking == "mlflow":
        from training.tracking import add_to_run

        metrics = {f"ptc_dev/si_{k}": v for k, v in out["si"].items()}
        metrics |= {f"ptc_dev/sentence_{k}": v for k, v in out["sentence"].items()}
        metrics |= {
            "ptc_valid/si_f1": out["valid_si_f1"],
            "ptc_valid/sentence_f1": out["valid_sentence_f1"],
            "span_threshold": threshold,
        }
        add_to_run(run_id, metrics, {"reports/ptc_dev_si.json": out | {"valid_si_by_threshold": si_valid}})
    return out


def eval_si_tagger(config: TrainConfig, quick: bool) -> dict[str, Any]:
    """Train the dedicated SI token tagger on PTC train sentences (threshold and epoch on held-out articles)."""
    from training.ptc_scoring import score_si
    from training.si import decode, fit_si
    from training.tracking import Tracker

    train, valid, dev, valid_gold, dev_gold = _si_data(config, quick)
    with Tracker(config) as tracker:
        tracker.log_sources({"ptc_train_sentences": len(train), "ptc_valid_sentences": len(valid)}, {})
        tagger, threshold, valid_scores = fit_si(config, train, valid, valid_gold, tracker)
        windows = tagger.windows(dev)
        pred = decode(dev, windows, tagger.token_probs(windows, config.eval_batch_size), threshold)
        score = score_si(dev_gold, pred)
        tracker.log_metrics(
            {f"ptc_dev/si_{k}": v for k, v in score.to_dict().items()} | {"span_threshold": threshold}
        )
        run_id = tracker.run_id
    return {"si": score.to_dict(), "span_threshold": threshold, "valid": valid_scores, "run_id": run_id}


def eval_stance(model: str | None, quick: bool, batch_size: int = 64) -> dict[str, Any]:
    """Stance macro-F1 and accuracy on the 329 PolNeAR dev quotes; {"skipped": why} without a model."""
    from stance.predict import Predictor
    from training.data.schema import DATA_DIR
    from training.data.standoff import load_standoff
    from training.metrics import stance_metrics

    try:
        predictor = Predictor(model)
    except FileNotFoundError as e:
        return {"skipped": str(e)}
    fmt = predictor.meta.input_format or "span"  # older models read the bare quote here
    records = load_standoff(DATA_DIR / "standoff" / "polnear_dev.jsonl", fmt=fmt)
    records = records[:40] if quick else records
    preds = predictor.predict([r["text"] for r in records], batch_size=batch_size)
    m = stance_metrics([r["stance"] for r in records], [p.stance for p in preds])
    return {
        "macro_f1": m["stance_macro_f1"],
        "accuracy": m["stance_accuracy"],
        "n": m["stance_n"],
        "model": portable(predictor.directory),
    }


def table(results: dict[str, Any], quick: bool) -> str:
    tc, si, tg, st = results["tc"], results["si"], results["si_tagger"], results["stance"]
    s, sent = si["si"], si["sentence"]
    if "skipped" in st:
        stance_cell, stance_note = "skipped", f"no model: {st['skipped'].split('. ')[0]}"
    else:
        stance_cell = f"{st['macro_f1']:.3f} ({st['accuracy']:.3f})"
        stance_note = f"{st['n']} quotes; model `{Path(st['model']).name}`"
    rule = (
        "any span (span head)"
        if si["sentence_rule"] == "spans"
        else f"max rhetoric score ≥ {si['sentence_rule'].split('@')[1]}"
    )
    rows = [
        ("PTC technique classification (TC), gold spans", "micro-F1", f"{tc['f1']:.3f}", PUBLISHED["tc"],
         f"{tc['n']} spans; MiniLM with [S]…[/S] markers and TF-IDF + repeat counts, encoder weight {tc['weight']:.2f}"),
        ("PTC span identification (SI)", "F1 (P / R)", f"{s['f1']:.3f} ({s['precision']:.3f} / {s['recall']:.3f})",
         PUBLISHED["si"], f"multi-task span head through `stance.Predictor`, span threshold {si['span_threshold']}"),
        ("PTC span identification (SI), dedicated tagger", "F1 (P / R)",
         f"{tg['si']['f1']:.3f} ({tg['si']['precision']:.3f} / {tg['si']['recall']:.3f})", PUBLISHED["si"],
         f"one \"inside a span\" sigmoid per token on every PTC train sentence (`configs/ptc_si_tagger.yaml`), "
         f"threshold {tg['span_threshold']}, epoch {tg['valid'].get('epoch', '?')}"),
        ("PTC sentence level: contains a technique", "F1 (P / R)",
         f"{sent['f1']:.3f} ({sent['precision']:.3f} / {sent['recall']:.3f})", PUBLISHED["sentence"],
         f"{si['n_sentences']} sentences, {si['n_positive']} positive; rule: {rule}"),
        ("Stance on PolNeAR dev quotes", "macro-F1 (accuracy)", stance_cell, PUBLISHED["stance"], stance_note),
    ]  # fmt: skip
    lines = [
        "| benchmark | metric | ours (dev) | published | notes |",
        "|---|---|---:|---|---|",
        *(f"| {' | '.join(r)} |" for r in rows),
        "",
        "Ours: PTC dev (SemEval-2020 Task 11, official scorers in `training/ptc_scoring.py`) and PolNeAR dev. "
        "Trained on PTC train and the project corpus only; every choice (best epoch, ensemble weight, thresholds) "
        "on 10% of PTC train articles held out. Published figures are on the task's test set unless marked dev.",
        f"Runs: TC `{tc['run_id']}`, SI `{si['run_id']}`, SI tagger `{tg['run_id']}`; "
        f"{results['seconds']:.0f} s of training and scoring on {os.cpu_count()} CPU cores"
        + (" — QUICK SMOKE RUN, NOT RESULTS" if quick else "")
        + ". Regenerate: `make eval-external` (one row: `ARGS=\"--only tc\"`, `si`, `si_tagger` or `stance`).",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def _previous(path: Path, kept: set[str]) -> dict[str, Any]:
    """The results of the last full run, for --only (which re-runs some rows and keeps the others)."""
    if not path.is_file():
        raise SystemExit(
            f"error: --only needs the results of a full run in {path}: run `make eval-external` first"
        )
    results = json.loads(path.read_text(encoding="utf-8"))
    if missing := sorted(kept - results.keys()):
        raise SystemExit(
            f"error: {path} has no {', '.join(missing)} row: add " + " ".join(f"--only {m}" for m in missing)
        )
    return results


def write_table(path: Path, text: str) -> Path:
    """Replace what lies between the markers, or create the file with the markers round the table."""
    block = f"{START}\n{text}{END}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        new = (old.rstrip() + "\n\n" if old.strip() else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    return path


def default_out() -> Path:
    readme = REPO / "README.md"
    if readme.exists() and START in readme.read_text(encoding="utf-8"):
        return readme
    return REPO / "docs" / "external_table.md"


class UsageError(ValueError):
    """A command line or an environment that cannot run: main prints it and exits 2."""


@dataclass
class Plan:
    """What a run of eval_external will do: the parsed arguments, the three configs and the rows to run."""

    args: argparse.Namespace
    tc: TrainConfig
    si: TrainConfig
    tagger: TrainConfig
    parts: tuple[str, ...]
    results_path: Path | None
    previous: dict[str, Any]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.eval_external", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: a few articles, one epoch, no tracking"
    )
    parser.add_argument(
        "--model", help="stance model for the PolNeAR row (default: the one `make train` exports)"
    )
    parser.add_argument("--si-model", help="reuse a trained multi-task model for SI instead of training one")
    parser.add_argument(
        "--encoder", help="local encoder folder for both trained models (tests use a tiny one)"
    )
    parser.add_argument("--tc-config", default=str(REPO / "configs" / "ptc_tc.yaml"))
    parser.add_argument("--si-config", default=str(REPO / "configs" / "ptc_si.yaml"))
    parser.add_argument("--si-tagger-config", default=str(REPO / "configs" / "ptc_si_tagger.yaml"))
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="re-run only this row (repeatable); the other rows are read from --results",
    )
    parser.add_argument(
        "--results",
        type=Path,
        help=f"the JSON behind the table (default {RESULTS.relative_to(REPO)}; quick runs write none without it)",
    )
    parser.add_argument(
        "--out", type=Path, help="file for the table (default: README.md with markers, else docs/)"
    )
    parser.add_argument("--tracking", choices=("mlflow", "none"), help="override the configs' tracking")
    return parser


def parse(argv: list[str] | None = None) -> Plan:
    """Arguments and configs, checked: a UsageError says what is wrong before anything trains."""
    from training.external import ExternalDataMissing, external_dir

    args = _parser().parse_args(argv)
    try:
        external_dir("semeval2020-task11-ptc")
    except ExternalDataMissing as e:
        raise UsageError(str(e)) from None
    overrides: dict[str, Any] = dict(QUICK) if args.quick else {}
    if args.encoder:
        overrides["encoder"] = args.encoder
    if args.tracking:
        overrides["tracking"] = args.tracking
    tmp = tempfile.mkdtemp(prefix="stance-eval-external-") if args.quick else None
    si_overrides = overrides | ({"max_examples": 48, "output_dir": tmp} if args.quick else {})
    tc_config, si_config = load_config(args.tc_config, overrides), load_config(args.si_config, si_overrides)
    tagger_config = load_config(args.si_tagger_config, overrides)
    if (
        tc_config.model != "ptc_tc"
        or tagger_config.model != "ptc_si_tagger"
        or "ptc" not in si_config.sources
        or si_config.export_default
    ):
        raise UsageError(
            "--tc-config needs model: ptc_tc; --si-tagger-config model: ptc_si_tagger; "
            "--si-config needs sources with ptc and export_default: false"
        )
    results_path = args.results or (None if args.quick else RESULTS)
    if args.only and results_path is None:
        raise UsageError("--only with --quick needs --results: the file of an earlier quick run")
    previous = _previous(results_path, set(PARTS) - set(args.only)) if args.only else {}
    parts = tuple(args.only or PARTS)
    return Plan(args, tc_config, si_config, tagger_config, parts, results_path, previous)


def run(plan: Plan) -> dict[str, Any]:
    """Train and score the planned rows; the others come from the earlier results."""
    from training.train import set_seed

    args, results = plan.args, dict(plan.previous)
    set_seed(plan.tc.seed, plan.tc.threads)
    runners = {
        "tc": lambda: eval_tc(plan.tc, args.quick),
        "si": lambda: eval_si(plan.si, args.si_model, args.quick),
        "si_tagger": lambda: eval_si_tagger(plan.tagger, args.quick),
        "stance": lambda: eval_stance(args.model, args.quick),
    }
    for part in plan.parts:
        t0 = time.time()
        results[part] = runners[part]() | {"seconds": round(time.time() - t0, 1)}
    results["seconds"] = sum(results[p].get("seconds", 0) for p in PARTS)
    return results


def publish(plan: Plan, results: dict[str, Any]) -> str:
    """Print the table; write the results JSON, the table file and (with MLflow) a summary run."""
    text = table(results, plan.args.quick)
    print("\n" + text)
    if plan.results_path is not None:
        plan.results_path.parent.mkdir(parents=True, exist_ok=True)
        plan.results_path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"results written to {plan.results_path}")
    if plan.args.out or not plan.args.quick:
        print(f"table written to {write_table(plan.args.out or default_out(), text)}")
    if plan.si.tracking == "mlflow":
        run_id = _log_summary(plan, results, text)
        print(f"MLflow run {run_id} (experiment {plan.si.experiment})")
    return text


def _log_summary(plan: Plan, results: dict[str, Any], text: str) -> str:
    from training.tracking import log_summary_run

    flat = {
        "ptc_dev/tc_micro_f1": results["tc"]["f1"],
        **{f"ptc_dev/si_{k}": v for k, v in results["si"]["si"].items()},
        **{f"ptc_dev/si_tagger_{k}": v for k, v in results["si_tagger"]["si"].items()},
    }
    flat |= {f"ptc_dev/sentence_{k}": v for k, v in results["si"]["sentence"].items()}
    flat |= {
        f"polnear_dev/stance_{k}": results["stance"][k]
        for k in ("macro_f1", "accuracy")
        if k in results["stance"]
    }
    flat["seconds"] = results["seconds"]
    tags = {f"{p}_run_id": str(results[p].get("run_id")) for p in ("tc", "si", "si_tagger")}
    tags["rerun"] = ",".join(plan.parts)
    params = {
        "tc_config": plan.tc.to_dict(),
        "si_config": plan.si.to_dict(),
        "si_tagger_config": plan.tagger.to_dict(),
        "stance_model": results["stance"].get("model", "none"),
    }
    texts = {"external_table.md": text, "results.json": json.dumps(results, indent=2, default=str)}
    return log_summary_run(
        "eval-external", plan.si.experiment, params=params, metrics=flat, tags=tags, texts=texts
    )


def main(argv: list[str] | None = None) -> int:
    """parse → run → publish."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        plan = parse(argv)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    publish(plan, run(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
