"""`python -m training.train --config configs/default.yaml [--epochs 2 ...]`: train, evaluate, export."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from training.config import TrainConfig, cli_config
from training.metrics import evaluate, scalars, write_reports
from training.sources import Splits, gather

log = logging.getLogger("stance.train")
REPO = Path(__file__).resolve().parents[1]
OLDER_TEST_SPLITS = {"v1.2": 708, "v1.3": 889}  # corpus version -> its test split's size (ids test-00000…)


def set_seed(seed: int, threads: int | None) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads or max(1, os.cpu_count() or 1))


def _minilm_predictions(
    model_dir: Path, records: list[dict[str, Any]], batch_size: int
) -> list[dict[str, Any]]:
    """Predict through the shipping inference path, so reported metrics are what users get."""
    from stance.predict import Predictor

    predictor = Predictor(model_dir)
    preds = predictor.predict([r["text"] for r in records], batch_size=batch_size) if records else []
    return [
        {
            "stance": p.stance,
            "rhetoric": list(p.rhetoric),
            "rhetoric_scores": [p.rhetoric_scores[t] for t in predictor.meta.techniques],
            "spans": [(s.start, s.end, s.technique) for s in p.spans],
        }
        for p in preds
    ]


def train_minilm(config: TrainConfig, splits: Splits, tracker: Any, out_dir: Path) -> Path:
    """Fine-tune encoder + three heads with masked losses; early stopping on dev; returns the model dir."""
    from transformers import AutoTokenizer

    from stance.labels import STANCES, TECHNIQUES
    from stance.model import ModelMeta, write_meta
    from training.encode import collate, encode
    from training.loop import Score, fit, pick_device
    from training.losses import MultiTaskLoss
    from training.modeling import (
        base_encoder_path,
        build_model,
        freeze_lower_layers,
        marker_ids,
        save_model,
    )

    encoder_path = Path(config.encoder) if config.encoder else base_encoder_path()
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_path), local_files_only=True)
    markers = marker_ids(tokenizer) if config.pooling == "mean+quote" else None
    model = build_model(encoder_path, dropout=config.dropout, quote_markers=markers)
    if config.freeze_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    freeze_lower_layers(model.encoder, config.freeze_layers)
    device = pick_device()
    loss_fn = MultiTaskLoss.from_records(splits.labelled(), config).to(device)
    pad = tokenizer.pad_token_id
    dev_features = encode(splits.dev, tokenizer, config.max_length)
    real_dev_features = encode(splits.real_dev, tokenizer, config.max_length) if splits.real_dev else None

    def epoch_features(epoch: int) -> Any:
        return encode(splits.epoch_train(config, epoch), tokenizer, config.max_length)

    def loss(model: Any, batch: dict[str, Any]) -> Any:
        return loss_fn(model(batch["input_ids"], batch["attention_mask"]), batch)[0]

    def evaluate(model: Any) -> Score:
        dev = _dev_scores(model, dev_features, config, pad)
        real_dev = _dev_scores(model, real_dev_features, config, pad) if real_dev_features else {}
        score = dev.get("stance_macro_f1", 0.0) + dev.get("rhetoric_micro_f1", 0.0)
        # real-news stance (the real dev fold) counts as much as the written corpus's stance and rhetoric together
        score = (score + 2 * real_dev["stance_macro_f1"]) / 2 if real_dev else score
        return Score(
            score,
            {f"dev/{k}": v for k, v in dev.items()}
            | {f"real_dev/{k}": v for k, v in real_dev.items() if k.startswith("stance")},
            f"dev stance macro-F1 {dev.get('stance_macro_f1', float('nan')):.3f}  "
            f"rhetoric micro-F1 {dev.get('rhetoric_micro_f1', float('nan')):.3f}  "
            f"real-dev stance macro-F1 {real_dev.get('stance_macro_f1', float('nan')):.3f}",
        )

    fitted = fit(
        model, epoch_features, lambda b: collate(b, pad), loss, evaluate, config, tracker, device=device
    )
    tracker.log_selection(fitted.best.value, [*splits.dev, *splits.real_dev])
    meta = ModelMeta(
        stances=list(STANCES),
        techniques=list(TECHNIQUES),
        max_length=config.max_length,
        stride=config.stride,
        base_model=str(encoder_path.name if config.encoder else "sentence-transformers/all-MiniLM-L6-v2"),
        input_format=config.input_format,
        quote_markers=markers,
        config=config.to_dict(),
    )
    model_dir = save_model(model, tokenizer, meta, out_dir / "model")
    # Per-technique thresholds tuned on dev rhetoric scores from the shipping inference path.
    from training.metrics import tune_thresholds

    known = [r for r in splits.dev if r["rhetoric"] is not None]
    if known:
        preds = _minilm_predictions(model_dir, known, config.eval_batch_size)
        y = np.array([[t in r["rhetoric"] for t in TECHNIQUES] for r in known], dtype=int)
        meta.thresholds = tune_thresholds(y, np.array([p["rhetoric_scores"] for p in preds]))
    return write_meta(meta, model_dir)


def _dev_scores(model: Any, features: Any, config: TrainConfig, pad: int) -> dict[str, float]:
    """Quick dev metrics during training (0.5 thresholds; the final ones are tuned)."""
    import torch

    from stance.labels import STANCES, TECHNIQUES
    from training.encode import collate
    from training.loop import model_device, to_device
    from training.metrics import rhetoric_metrics, stance_metrics

    model.eval()
    device = model_device(model)
    stance_pred, rhet_pred = [], []
    with torch.inference_mode():  # no DataLoader here: it would draw from the global RNG that dropout uses
        for b in range(0, len(features), config.eval_batch_size):
            rows = features.select(range(b, min(b + config.eval_batch_size, len(features)))).to_list()
            batch = to_device(collate(rows, pad), device)
            out = model(batch["input_ids"], batch["attention_mask"])
            stance_pred += [STANCES[i] for i in out["stance"].argmax(-1).tolist()]
            rhet_pred += [
                [TECHNIQUES[j] for j, p in enumerate(row) if p >= 0.5]
                for row in out["rhetoric"].sigmoid().tolist()
            ]
    model.train()
    gold_s = [STANCES[s] if s >= 0 else None for s in features["stance"]]
    gold_r = [
        [t for t, v in zip(TECHNIQUES, r, strict=True) if v] if known else None
        for r, known in zip(features["rhetoric"], features["rhetoric_known"], strict=True)
    ]
    return scalars({**stance_metrics(gold_s, stance_pred), **rhetoric_metrics(gold_r, rhet_pred)})


def run(config: TrainConfig) -> dict[str, Any]:
    """Train, evaluate on dev and test, track, export; returns the final metrics and where the model is."""
    from training.tracking import Tracker

    if config.model not in ("minilm", "baseline"):
        raise ValueError(
            f"model: {config.model!r} is trained by its own entry point (ptc_tc, ptc_si_tagger: make eval-external)"
        )
    if config.encoder and not (Path(config.encoder) / "config.json").is_file():
        raise FileNotFoundError(
            f"encoder: {config.encoder} has no config.json; give a transformers encoder folder "
            "(for all-mpnet-base-v2, `make encoder-mpnet` puts it in .encoders/all-mpnet-base-v2)"
        )
    set_seed(config.seed, config.threads)
    splits = gather(config)
    for source, why in splits.skipped.items():
        log.warning("source %s skipped: %s", source, why)
    out_dir = REPO / config.output_dir / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    t0 = time.time()
    with Tracker(config) as tracker:
        tracker.log_sources(splits.used, splits.skipped)
        if config.distil:
            n = len(splits.train) + len(splits.real_pool)
            tracker.log_metrics({"distil/targets": splits.distilled})
            log.info("distillation: %d of %d training records have the teacher's target", splits.distilled, n)
            if splits.transfer_pool:
                tracker.log_metrics({"distil/transfer": len(splits.transfer_pool)})
                log.info(
                    "transfer: %d unlabelled train-fold quotes learn from it alone", len(splits.transfer_pool)
                )
        if config.model == "baseline":
            from training.baseline import train_baseline

            predict_fn = train_baseline(config, splits)
            model_dir = None
        else:
            model_dir = train_minilm(config, splits, tracker, out_dir)
            # the real-news prior correction: its strength chosen on the real dev fold when the model trained on
            # real quotes; without them (corpus only) Bayes' rule at the fixed prior_alpha, if set
            chosen = bool(splits.real_pool and splits.real_dev)
            if chosen or config.prior_alpha:
                from training.eval_real import run as measure_prior

                alpha = None if chosen else config.prior_alpha
                prior = measure_prior(str(model_dir), apply=True, alpha=alpha)
                tracker.log_dict(prior, "prior_correction.json")
                log.info(
                    "prior correction: alpha %s %s",
                    prior.get("chosen_on_real_dev", alpha),
                    "chosen on the real dev fold" if chosen else "(fixed: no real quotes to choose it on)",
                )

            # predictions by text: the per-source real test sets and the older test splits are subsets
            seen: dict[str, dict[str, Any]] = {}

            def predict_fn(records):
                todo = list({r["text"]: r for r in records if r["text"] not in seen}.values())
                seen.update(
                    zip(
                        (r["text"] for r in todo),
                        _minilm_predictions(model_dir, todo, config.eval_batch_size),
                        strict=True,
                    )
                )
                return [seen[r["text"]] for r in records]

        results: dict[str, Any] = {"train_seconds": round(time.time() - t0, 1)}
        for split, records in evaluation_sets(config, splits).items():
            if not records:
                continue
            metrics = evaluate(records, predict_fn(records))
            results[split] = scalars(metrics)
            tracker.log_metrics({f"{split}/{k}": v for k, v in results[split].items()})
            for path in write_reports(metrics, split.replace("/", "_"), out_dir / "reports"):
                tracker.log_artifact(path, "reports")
        tracker.log_metrics({"train_seconds": results["train_seconds"]})
        if model_dir is not None:
            finish_model(config, model_dir, results, tracker)
        (out_dir / "metrics.json").parent.mkdir(parents=True, exist_ok=True)
        (out_dir / "metrics.json").write_text(json.dumps(results, indent=2))
        results["model_dir"] = str(model_dir) if model_dir else None
        results["run_id"] = tracker.run_id
    print_summary(config, splits, results)
    return results


def evaluation_sets(config: TrainConfig, splits: Splits) -> dict[str, list[dict[str, Any]]]:
    """The corpus dev/test splits, the real-quote dev and test splits (per source too) and PolNeAR dev."""
    sets = {
        "dev": splits.dev,
        "test": splits.test,
        "real_dev": splits.real_dev,
        "real_test": splits.real_test,
    }
    # each corpus version added statements without moving the old ones: the first test ids are an older split
    for version, n in OLDER_TEST_SPLITS.items():
        sets[f"test_{version}"] = [
            r for r in splits.test if r["id"].startswith("test-") and int(r["id"][5:]) < n
        ]
    for corpus in sorted({r["corpus"] for r in splits.real_test}):
        sets[f"real_test/{corpus}"] = [r for r in splits.real_test if r["corpus"] == corpus]
    try:
        from training.data.schema import DATA_DIR
        from training.data.standoff import load_standoff

        sets["polnear_dev"] = load_standoff(
            DATA_DIR / "standoff" / "polnear_dev.jsonl", fmt=config.input_format
        )
        # the same quotes relabelled blind under the guideline the training labels follow (v2.1): two passes and
        # a third on their disagreements (data/README.md); the few that pass calls `skip` are left out
        relabelled = load_standoff(DATA_DIR / "agreement" / "polnear_dev_v21.jsonl", fmt=config.input_format)
        sets["polnear_dev_v21"] = [r for r in relabelled if r["stance"] != "skip"]
    except Exception as e:  # no STANCE_EXTERNAL_DIR: the corpus-only path has no real-news evaluation
        log.warning("PolNeAR dev not evaluated: %s", e)
    return sets


def finish_model(config: TrainConfig, model_dir: Path, results: dict[str, Any], tracker: Any) -> None:
    """Check the seed article, write metrics and run id into the model JSON, log the pyfunc, register, export."""
    from stance.model import read_meta, write_meta
    from stance.resolve import default_model_dir
    from training.seed_check import seed_misses

    # every default must get the seed article's quotes right (tests/test_seed_article.py): say so at once if not
    results["seed_article_misses"] = seed_misses(str(model_dir))
    tracker.log_metrics({"seed_article/misses": len(results["seed_article_misses"])})
    for miss in results["seed_article_misses"]:
        log.warning("seed article: %s", miss)

    meta = read_meta(model_dir)
    meta.metrics = {f"{s}/{k}": v for s in ("dev", "test") for k, v in results[s].items()}
    meta.run_id = tracker.run_id
    write_meta(meta, model_dir)
    tracker.log_model(model_dir, register=config.register)
    if config.export_default:
        target = default_model_dir()
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(model_dir, target)
        log.info("exported the default model to %s", target)
        results["exported_to"] = str(target)


def print_summary(config: TrainConfig, splits: Splits, results: dict[str, Any]) -> None:
    keys = ["stance_accuracy", "stance_macro_f1", "rhetoric_micro_f1", "rhetoric_macro_f1", "span_f1"]
    print(f"\n{config.name} ({config.model}) — sources {splits.used}, trained in {results['train_seconds']}s")
    if not splits.real_dev:
        print("no real quotes (STANCE_EXTERNAL_DIR unset or no stand-off source): corpus-only model")
    sets = [s for s in results if isinstance(results[s], dict) and "stance_n" in results[s]]
    print(f"{'metric':<22}" + "".join(f"{s:>16}" for s in sets))
    for k in keys:
        row = [results[s].get(k) for s in sets]
        print(f"{k:<22}" + "".join(f"{v:>16.3f}" if v is not None else f"{'—':>16}" for v in row))
    misses = results.get("seed_article_misses")
    if misses:
        print(
            f"seed article: {len(misses)} miss(es), so this model fails the golden tests a default must pass:"
        )
        print("".join(f"  {m}\n" for m in misses), end="")
    elif misses is not None:
        print("seed article: every quote, speaker and stance checked is right")
    if results.get("exported_to"):
        print(f"default model: {results['exported_to']}")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        config = cli_config(argv)
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    run(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
