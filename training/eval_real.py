"""Real-quote stance of any model, and whether a prior correction would help: `make eval-real [MODEL=dir]`.

Scores the model on the real dev and test folds (per source) and PolNeAR dev, each read the way the model was
trained to read quotes (`input_format` in its stance_config.json), with no correction (alpha 0) and with one.

The model is trained with inverse-sqrt class weights on a mix whose label prior is nearly uniform (the corpus)
and one that is not (real quotes). Real news has its own prior: mostly neutral and accusatory. Bayes' rule says
to rescale each stance probability by real_prior / training_prior (here with a strength `alpha` in [0, 1]).
`alpha` is chosen on the real dev fold; the test folds and PolNeAR dev only report it. Nothing is written to the
model: the result says whether shipping such a correction would help.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

import numpy as np

from stance.labels import STANCES


def corrected(probs: np.ndarray, ratio: np.ndarray, alpha: float) -> np.ndarray:
    """Rescale each row by ratio**alpha and renormalise.

    >>> corrected(np.array([[0.5, 0.5]]), np.array([4.0, 1.0]), 0.5).round(3).tolist()
    [[0.667, 0.333]]
    """
    p = probs * ratio**alpha
    return p / p.sum(1, keepdims=True)


def bias(ratio: np.ndarray, alpha: float) -> list[float]:
    """The stance-logit offsets equal to `corrected(…, ratio, alpha)`: alpha * log(ratio)."""
    return [round(float(alpha * np.log(r)), 6) for r in ratio]


def _scores(y: list[str], probs: np.ndarray) -> dict[str, float]:
    from training.metrics import stance_metrics

    m = stance_metrics(y, [STANCES[i] for i in probs.argmax(1)])
    return {"accuracy": round(m["stance_accuracy"], 4), "macro_f1": round(m["stance_macro_f1"], 4)}


def natural_real_prior() -> Counter:
    """Stance counts of the natural (unenriched) train-fold real quotes, read from the committed stand-off label
    files: no external corpus needed, so a corpus-only model can be corrected toward real news too."""
    from training.data.corpus import read_jsonl
    from training.data.schema import DATA_DIR
    from training.sources import STANDOFF_FILES

    counts: Counter = Counter()
    for name in sorted(set(STANDOFF_FILES.values())):
        path = DATA_DIR / "standoff" / name
        if path.exists():
            counts.update(
                row["stance"]
                for _, row in read_jsonl(path)
                if row.get("fold") == "train" and row.get("pool") == "natural" and row.get("stance")
            )
    return counts


def run(model: str | None, apply: bool = False, alpha: float | None = None) -> dict[str, Any]:
    """Score the model at each correction strength; with `apply`, write the chosen one into the model.

    `alpha` None chooses the strength on the real dev fold; a number fixes it (the corpus-only model, which a
    newcomer trains without the external corpora and so without a real dev fold, uses a fixed one).
    """
    from stance.predict import Predictor
    from training.config import load_config
    from training.sources import gather
    from training.train import REPO, evaluation_sets

    predictor = Predictor(model)
    if predictor.meta.stance_bias is not None:
        raise ValueError(f"{predictor.directory} already carries a stance_bias; measure a model without one")
    fmt = predictor.meta.input_format or "span"  # models before v1.3 read the bare quote
    own = load_config(REPO / "configs" / "default.yaml", {**predictor.meta.config, "tracking": "none"})
    train_prior = Counter(r["stance"] for r in gather(own).labelled() if r["stance"])
    # the effective prior under inverse-sqrt class weights: count * count**-0.5
    effective = np.array([np.sqrt(train_prior[s] + 1) for s in STANCES])
    real_prior = natural_real_prior()
    real = np.array([real_prior[s] + 1 for s in STANCES], dtype=float)
    ratio = (real / real.sum()) / (effective / effective.sum())
    config = load_config(REPO / "configs" / "default.yaml", {"input_format": fmt, "tracking": "none"})
    splits = gather(config)  # every real source, read in the model's format (none without the corpora)
    sets = {k: v for k, v in evaluation_sets(config, splits).items() if k != "dev" and v}
    # each distinct text once: the per-source real test sets and the older test splits are subsets
    texts = list(dict.fromkeys(r["text"] for records in sets.values() for r in records))
    scores = dict(zip(texts, predictor.predict(texts, batch_size=64), strict=True))
    probs = {
        name: np.array([[scores[r["text"]].stance_scores[s] for s in STANCES] for r in records])
        for name, records in sets.items()
    }
    gold = {name: [r["stance"] for r in records] for name, records in sets.items()}
    grid = sorted({0.0, 0.25, 0.5, 0.75, 1.0} | ({alpha} if alpha is not None else set()))
    table = {a: {n: _scores(gold[n], corrected(probs[n], ratio, a)) for n in sets} for a in grid}
    if alpha is not None:
        best = alpha
    elif "real_dev" in sets:
        best = max(
            grid, key=lambda a: (table[a]["real_dev"]["macro_f1"] + table[a]["real_dev"]["accuracy"], -a)
        )
    else:
        raise ValueError(
            "no real dev fold to choose the correction on: set STANCE_EXTERNAL_DIR or pass alpha"
        )
    if apply and best > 0:
        from stance.model import write_meta

        predictor.meta.stance_bias = bias(ratio, best)
        write_meta(predictor.meta, predictor.directory)
    return {
        "model": str(predictor.meta.config.get("name")),
        "applied": bool(apply and best > 0),
        "input_format": fmt,
        "n": {name: len(records) for name, records in sets.items()},
        "ratio": dict(zip(STANCES, ratio.round(3).tolist(), strict=True)),
        "by_alpha": table,
        ("fixed_alpha" if alpha is not None else "chosen_on_real_dev"): best,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.eval_real", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default=None, help="model directory or MLflow URI (default: the default model)"
    )
    parser.add_argument("--out", default=None, help="write the result as JSON here")
    parser.add_argument(
        "--apply", action="store_true", help="write the chosen correction into the model's stance_config.json"
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="fix the correction's strength instead of choosing it on real dev",
    )
    args = parser.parse_args(argv)
    result = run(args.model, apply=args.apply, alpha=args.alpha)
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
