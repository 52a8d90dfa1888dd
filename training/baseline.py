"""The floor: TF-IDF word and character n-grams with logistic regression (stance multinomial, rhetoric OvR)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stance.labels import TECHNIQUES
from training.config import TrainConfig
from training.metrics import tune_thresholds
from training.sources import Splits


def _features():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ]
    )


def train_baseline(
    config: TrainConfig, splits: Splits
) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """Fit on train, tune rhetoric thresholds on dev; returns a function from records to predictions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    train = splits.labelled()
    with_stance = [r for r in train if r["stance"] is not None]
    stance_clf = make_pipeline(
        _features(), LogisticRegression(C=config.baseline_c, max_iter=2000, class_weight="balanced")
    )
    stance_clf.fit([r["text"] for r in with_stance], [r["stance"] for r in with_stance])
    with_rhet = [r for r in train if r["rhetoric"] is not None]
    y = np.array([[t in r["rhetoric"] for t in TECHNIQUES] for r in with_rhet], dtype=int)
    rhet_clf = make_pipeline(
        _features(),
        OneVsRestClassifier(LogisticRegression(C=config.baseline_c, max_iter=2000, class_weight="balanced")),
    )
    rhet_clf.fit([r["text"] for r in with_rhet], y)
    dev = [r for r in splits.dev if r["rhetoric"] is not None]
    thresholds = dict.fromkeys(TECHNIQUES, 0.5)
    if dev:
        y_dev = np.array([[t in r["rhetoric"] for t in TECHNIQUES] for r in dev], dtype=int)
        thresholds = tune_thresholds(y_dev, rhet_clf.predict_proba([r["text"] for r in dev]))
    th = np.array([thresholds[t] for t in TECHNIQUES])

    def predict(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not records:
            return []
        texts = [r["text"] for r in records]
        stances = stance_clf.predict(texts)
        probs = rhet_clf.predict_proba(texts)
        return [
            {
                "stance": s,
                "rhetoric": [t for t, hit in zip(TECHNIQUES, row >= th, strict=True) if hit],
                "spans": [],
            }
            for s, row in zip(stances, probs, strict=True)
        ]

    return predict
