"""PTC technique classification (TC): MiniLM over the sentence with [S]…[/S] round the span, plus TF-IDF."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from stance.labels import TECHNIQUE_LABEL2ID, TECHNIQUES
from training.config import TrainConfig
from training.encode import attention_mask, feature_lengths, length_sorted_batches, pad
from training.loop import Score, fit, model_device, pick_device, to_device

log = logging.getLogger("stance.tc")
OPEN, CLOSE = "[S]", "[/S]"  # plain text: the tokenizer splits them into "[", "s", "]", no new embeddings
CONTEXT_CHARS = 220  # sentence context kept on each side of the span, so [S] always fits in max_length
WEIGHTS = np.round(np.arange(0.0, 1.01, 0.05), 2)  # encoder share in the probability average


def marked(example: dict[str, Any]) -> str:
    """The span's sentence with [S]…[/S] round the span, context clipped to CONTEXT_CHARS a side.

    >>> marked({"sentence": "They are traitors.", "sentence_start": 0, "start": 9, "end": 17})
    'They are [S] traitors [/S].'
    """
    sentence, lo = example["sentence"], example["start"] - example["sentence_start"]
    hi = lo + example["end"] - example["start"]
    left, right = sentence[:lo][-CONTEXT_CHARS:], sentence[hi:][:CONTEXT_CHARS]
    return f"{left}{OPEN} {sentence[lo:hi]} {CLOSE}{right}"


def side_features(examples: list[dict[str, Any]]) -> np.ndarray:
    """What one sentence cannot show: repeats in the article, repeats among the article's task spans, length.

    The TC input lists every span of the article, so counting spans with the same text uses no gold label.
    """
    positions = {(e["article_id"], e["start"], e["end"], e["text"].lower()) for e in examples}
    same_text = Counter((a, text) for a, _, _, text in positions)
    rows = []
    for e in examples:
        n_same = same_text[(e["article_id"], e["text"].lower())]
        words = len(e["text"].split())
        rows.append(
            [np.log1p(e["repetitions"] - 1), e["repetitions"] > 1, np.log1p(n_same - 1), n_same > 1]
            + [np.log1p(words), words <= 3, words >= 12, e["text"].isupper() or e["text"].istitle()]
        )
    return np.asarray(rows, dtype=np.float64)


class TfidfSpans:
    """TF-IDF word 1–2 and char 2–5 grams of the span, plus side_features; multinomial logistic regression."""

    def __init__(self, c: float):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion

        self.vectorizer = FeatureUnion(
            [
                ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                (
                    "char",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
                ),
            ]
        )
        self.clf = LogisticRegression(C=c, max_iter=3000)

    def _x(self, examples: list[dict[str, Any]], fit: bool = False):
        from scipy.sparse import csr_matrix, hstack

        texts = [e["text"] for e in examples]
        words = self.vectorizer.fit_transform(texts) if fit else self.vectorizer.transform(texts)
        return hstack([words, csr_matrix(side_features(examples))]).tocsr()

    def fit(self, examples: list[dict[str, Any]]) -> TfidfSpans:
        self.clf.fit(self._x(examples, fit=True), [TECHNIQUE_LABEL2ID[e["technique"]] for e in examples])
        return self

    def predict_proba(self, examples: list[dict[str, Any]]) -> np.ndarray:
        out = np.zeros((len(examples), len(TECHNIQUES)))
        out[:, self.clf.classes_] = self.clf.predict_proba(self._x(examples))
        return out


class SpanClassifier(nn.Module):
    """MiniLM encoder; the [S]…[/S] tokens are mean-pooled beside the whole input, then one linear layer."""

    def __init__(self, encoder_path: Path, max_length: int, dropout: float):
        from transformers import AutoModel, AutoTokenizer

        super().__init__()
        self.tokenizer = AutoTokenizer.from_pretrained(str(encoder_path), local_files_only=True)
        self.encoder = AutoModel.from_pretrained(str(encoder_path), local_files_only=True)
        hidden = self.encoder.config.hidden_size
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, len(TECHNIQUES)))
        self.max_length = max_length

    def features(self, examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        texts = [marked(e) for e in examples]
        enc = self.tokenizer(texts, truncation=True, max_length=self.max_length, return_offsets_mapping=True)
        feats = []
        for k, (text, e) in enumerate(zip(texts, examples, strict=True)):
            lo, hi = text.index(OPEN), text.index(CLOSE) + len(CLOSE)
            offsets = enc["offset_mapping"][k]
            span = [int(b > a and a >= lo and b <= hi) for a, b in offsets]
            label = TECHNIQUE_LABEL2ID.get(e.get("technique", ""), -100)
            feats.append({"input_ids": enc["input_ids"][k], "span": span, "label": label})
        return feats

    def collate(self, batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        ids = [f["input_ids"] for f in batch]
        return {
            "input_ids": pad(ids, self.tokenizer.pad_token_id, torch.long),
            "attention_mask": attention_mask(ids),
            "span": pad([f["span"] for f in batch], 0.0, torch.float),
            "label": torch.tensor([f["label"] for f in batch]),
        }

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, span: torch.Tensor
    ) -> torch.Tensor:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.float()
        span = torch.where(span.sum(1, keepdim=True) > 0, span, mask).unsqueeze(-1)  # truncated span
        pooled_span = (tokens * span).sum(1) / span.sum(1)
        m = mask.unsqueeze(-1)
        pooled_all = (tokens * m).sum(1) / m.sum(1)
        return self.head(torch.cat([pooled_span, pooled_all], -1))

    def logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self(batch["input_ids"], batch["attention_mask"], batch["span"])

    def predict_proba(self, examples: list[dict[str, Any]], batch_size: int = 64) -> np.ndarray:
        feats = self.features(examples)
        out = np.zeros((len(feats), len(TECHNIQUES)))
        self.eval()
        device = model_device(self)
        with torch.inference_mode():
            for chunk in length_sorted_batches(feature_lengths(feats), batch_size):
                batch = to_device(self.collate([feats[i] for i in chunk]), device)
                out[chunk] = self.logits(batch).softmax(-1).cpu().numpy()
        return out


def train_encoder(
    config: TrainConfig, train: list[dict[str, Any]], valid: list[dict[str, Any]], tracker: Any
) -> SpanClassifier:
    """Fine-tune with `training.loop.fit`; keep the epoch with the best validation accuracy."""
    from training.modeling import base_encoder_path

    model = SpanClassifier(
        Path(config.encoder) if config.encoder else base_encoder_path(), config.max_length, config.dropout
    )
    feats = model.features(train)
    weight = None
    if config.class_weights:  # inverse square root of frequency, mean 1
        counts = torch.ones(len(TECHNIQUES)) + torch.bincount(
            torch.tensor([f["label"] for f in feats]), minlength=len(TECHNIQUES)
        )
        weight = counts.rsqrt() / counts.rsqrt().mean()
    device = pick_device()
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight).to(device)
    gold = np.array([TECHNIQUE_LABEL2ID[e["technique"]] for e in valid])

    def evaluate(model: SpanClassifier) -> Score:
        acc = (
            float((model.predict_proba(valid, config.eval_batch_size).argmax(1) == gold).mean())
            if valid
            else 0.0
        )
        return Score(acc, {"valid/tc_encoder_accuracy": acc}, f"valid accuracy {acc:.3f}")

    def loss(model: SpanClassifier, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return loss_fn(model.logits(batch), batch["label"])

    fit(model, feats, model.collate, loss, evaluate, config, tracker, name="TC ", device=device)
    return model


def assign(examples: list[dict[str, Any]], probs: np.ndarray) -> list[str]:
    """Most likely technique per entry; entries repeating one span (the task lists a span once per gold
    technique) take that span's next-best distinct techniques, since one label twice can score only once."""
    seen: dict[tuple[str, int, int], list[int]] = {}
    labels = []
    for e, p in zip(examples, probs, strict=True):
        used = seen.setdefault((e["article_id"], e["start"], e["end"]), [])
        j = next(int(j) for j in np.argsort(-p) if int(j) not in used)
        used.append(j)
        labels.append(TECHNIQUES[j])
    return labels


def accuracy(examples: list[dict[str, Any]], probs: np.ndarray) -> float:
    from training.ptc_scoring import score_tc

    gold = [(e["article_id"], e["technique"], e["start"], e["end"]) for e in examples]
    pred = [
        (e["article_id"], t, e["start"], e["end"])
        for e, t in zip(examples, assign(examples, probs), strict=True)
    ]
    return score_tc(gold, pred).f1


@dataclass
class TechniqueClassifier:
    """The two models and the encoder's weight in the average (chosen on the train-carved validation set)."""

    encoder: SpanClassifier
    tfidf: TfidfSpans
    weight: float
    valid_scores: dict[str, float]

    def predict_proba(self, examples: list[dict[str, Any]], batch_size: int = 64) -> np.ndarray:
        enc = self.encoder.predict_proba(examples, batch_size)
        return self.weight * enc + (1 - self.weight) * self.tfidf.predict_proba(examples)

    def predict(self, examples: list[dict[str, Any]], batch_size: int = 64) -> list[str]:
        return assign(examples, self.predict_proba(examples, batch_size))


def fit_tc(
    config: TrainConfig, train: list[dict[str, Any]], valid: list[dict[str, Any]], tracker: Any
) -> TechniqueClassifier:
    """Train both models on `train`; pick the averaging weight by TC micro-F1 on `valid`.

    >>> tc = fit_tc(config, *hold_out_articles(span_examples("train"), "article_id", 0.1, 13), tracker)  # doctest: +SKIP
    >>> tc.predict(span_examples("dev"))[:2]  # doctest: +SKIP
    ['loaded_language', 'name_calling']
    """
    t0 = time.time()
    tfidf = TfidfSpans(config.baseline_c).fit(train)
    log.info("TC TF-IDF model fitted in %.0fs", time.time() - t0)
    encoder = train_encoder(config, train, valid, tracker)
    p_enc, p_tfidf = encoder.predict_proba(valid, config.eval_batch_size), tfidf.predict_proba(valid)
    by_weight = {float(w): accuracy(valid, w * p_enc + (1 - w) * p_tfidf) for w in WEIGHTS}
    weight = max(by_weight, key=lambda w: (by_weight[w], -abs(w - 0.5)))  # ties: the more even average
    scores = {"tc_tfidf_micro_f1": by_weight[0.0], "tc_encoder_micro_f1": by_weight[1.0]}
    scores["tc_ensemble_micro_f1"], scores["tc_weight"] = by_weight[weight], weight
    tracker.log_metrics({f"valid/{k}": v for k, v in scores.items()})
    log.info("TC validation: %s", {k: round(v, 3) for k, v in scores.items()})
    return TechniqueClassifier(encoder, tfidf, weight, scores)
