"""The one training loop: early stopping, the best state restored, and every trainer going through it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from stance.labels import TECHNIQUES
from training.config import load_config
from training.encode import length_grouped_batches, pad
from training.loop import Score, fit

TRAINING = Path(__file__).parents[1] / "training"
CONFIGS = Path(__file__).parents[1] / "configs"


class Recorder:
    """A tracker that keeps what it is given."""

    def __init__(self):
        self.metrics: list[tuple[int | None, dict[str, float]]] = []

    def log_metrics(self, metrics, step=None):
        self.metrics.append((step, dict(metrics)))


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(20, 4)
        self.head = nn.Linear(4, 1)

    def forward(self, input_ids):
        return self.head(self.encoder(input_ids).mean(1)).squeeze(-1)


def _config(**over):
    return load_config(CONFIGS / "tiny.yaml", {"batch_size": 2, **over})


def _features(n=8):
    return [{"input_ids": [1 + i % 7] * (1 + i % 3), "y": float(i % 2)} for i in range(n)]


def _collate(batch):
    return {
        "input_ids": pad([f["input_ids"] for f in batch], 0, torch.long),
        "y": torch.tensor([f["y"] for f in batch]),
    }


def _loss(model, batch):
    return nn.functional.binary_cross_entropy_with_logits(model(batch["input_ids"]), batch["y"])


def test_fit_stops_early_and_restores_the_best_state():
    torch.manual_seed(0)
    model, tracker, states = Tiny(), Recorder(), []
    scores = iter([0.2, 0.7, 0.5, 0.6, 0.9, 0.95])  # epochs 3 and 4 do not beat epoch 2

    def evaluate(m):
        states.append({k: v.clone() for k, v in m.state_dict().items()})
        return Score(next(scores), {"dev/x": 1.0}, "dev x")

    fitted = fit(model, _features(), _collate, _loss, evaluate, _config(epochs=6, patience=2), tracker)
    assert (fitted.best_epoch, fitted.epochs_run, fitted.best.value) == (2, 4, 0.7)
    assert [step for step, _ in tracker.metrics] == [1, 2, 3, 4]
    assert all({"train/loss", "dev/x"} <= m.keys() for _, m in tracker.metrics)
    assert not torch.equal(states[1]["head.weight"], states[3]["head.weight"])  # it did train on
    for k, v in model.state_dict().items():
        assert torch.equal(v, states[1][k]), k
    assert not model.training


def test_fit_runs_every_epoch_while_the_score_improves():
    scores = iter([0.1, 0.2, 0.3])
    fitted = fit(
        Tiny(),
        lambda epoch: _features(),
        _collate,
        _loss,
        lambda m: Score(next(scores)),
        _config(epochs=3, patience=1),
        Recorder(),
    )
    assert (fitted.best_epoch, fitted.epochs_run) == (3, 3)


def test_length_grouped_batches_cover_every_index_once_and_group_lengths():
    lengths = [int(x) for x in np.random.default_rng(0).integers(1, 100, 500)]
    batches = length_grouped_batches(lengths, 8, torch.Generator().manual_seed(1))
    assert sorted(i for b in batches for i in b) == list(range(500))
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches])
    assert spread < 10  # sorted inside megabatches of 400: neighbours have similar lengths
    again = length_grouped_batches(lengths, 8, torch.Generator().manual_seed(1))
    assert batches == again


def test_one_optimiser_one_batcher_no_copies():
    """AdamW, clipping, the schedule and the batchers are written once (training/loop.py, training/encode.py)."""
    where: dict[str, set[str]] = {}
    for path in TRAINING.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in ("AdamW", "clip_grad_norm_", "get_linear_schedule", "randperm"):
            if name in text:
                where.setdefault(name, set()).add(path.name)
    assert where["AdamW"] == where["clip_grad_norm_"] == where["get_linear_schedule"] == {"loop.py"}
    assert where["randperm"] == {"encode.py"}
    for trainer in ("train.py", "tc.py", "si.py"):
        assert "fit(" in (TRAINING / trainer).read_text(encoding="utf-8")


def _span_examples(n_articles=6):
    words = ["they", "are", "traitors", "and", "liars", "always"]
    out = []
    for a in range(n_articles):
        for k in range(3):
            sentence = " ".join(words[k:] + words[:k])
            start = sentence.index("traitors")
            out.append(
                {"article_id": f"a{a}", "sentence": sentence, "sentence_start": 0, "start": start,
                 "end": start + 8, "text": "traitors", "technique": TECHNIQUES[(a + k) % 3], "repetitions": 1}
            )  # fmt: skip
    return out


def test_tc_honours_patience(tiny_encoder, monkeypatch):
    from training import tc

    calls = iter([0.6, 0.4, 0.3, 0.9])  # valid accuracy falls after epoch 1

    def fake_proba(self, examples, batch_size=64):
        acc = next(calls)
        probs = np.zeros((len(examples), len(TECHNIQUES)))
        for i, e in enumerate(examples):
            right = i < round(acc * len(examples))
            probs[i, TECHNIQUES.index(e["technique"]) if right else len(TECHNIQUES) - 1] = 1.0
        return probs

    monkeypatch.setattr(tc.SpanClassifier, "predict_proba", fake_proba)
    examples = _span_examples()
    config = load_config(
        CONFIGS / "ptc_tc.yaml",
        {"encoder": str(tiny_encoder), "epochs": 4, "patience": 2, "batch_size": 4, "max_length": 32, "stride": 8,
         "tracking": "none"},
    )  # fmt: skip
    tracker = Recorder()
    tc.train_encoder(config, examples[:12], examples[12:], tracker)
    assert [step for step, _ in tracker.metrics] == [1, 2, 3]
    assert [m["valid/tc_encoder_accuracy"] for _, m in tracker.metrics] == pytest.approx(
        [4 / 6, 2 / 6, 2 / 6]
    )


def test_si_honours_patience_and_keeps_the_best_threshold(tiny_encoder, monkeypatch):
    from training import ptc_scoring, si

    f1s = iter([0.5, 0.2, 0.1, 0.9])

    class FakeScore:
        def __init__(self, f1):
            self.f1 = f1

    epoch_f1 = {}

    def fake_score_si(gold, pred):
        return FakeScore(epoch_f1["now"])

    def evaluate_hook(self, windows, batch_size=64):
        epoch_f1["now"] = next(f1s)
        return real_probs(self, windows, batch_size)

    real_probs = si.TokenTagger.token_probs
    monkeypatch.setattr(ptc_scoring, "score_si", fake_score_si)
    monkeypatch.setattr(si.TokenTagger, "token_probs", evaluate_hook)
    text = "They are liars and thieves, and everyone knows it."
    records = [
        {
            "text": text,
            "doc_id": f"d{i}",
            "doc_start": 0,
            "spans": [{"start": 9, "end": 14, "technique": "x"}],
        }
        for i in range(6)
    ]
    config = load_config(
        CONFIGS / "ptc_si_tagger.yaml",
        {"encoder": str(tiny_encoder), "epochs": 4, "patience": 1, "batch_size": 2, "max_length": 32,
         "stride": 8, "tracking": "none"},
    )  # fmt: skip
    tracker = Recorder()
    _, threshold, scores = si.fit_si(config, records[:4], records[4:], [], tracker)
    assert [step for step, _ in tracker.metrics] == [1, 2]
    assert scores["epoch"] == 1 and scores["valid_si_f1"] == 0.5 and threshold == si.THRESHOLDS[0]


def test_encode_maps_the_corpus_dataset_like_the_records(tiny_encoder):
    """train.py's features come from Dataset.map; the file-backed corpus encodes as its list of dicts does."""
    from transformers import AutoTokenizer

    from training.data.corpus import load_corpus, load_split
    from training.encode import encode, feature_lengths

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_encoder), local_files_only=True)
    from_dataset = encode(load_corpus()["dev"].select(range(20)), tokenizer, 32)
    from_records = encode(load_split("dev")[:20], tokenizer, 32)
    assert from_dataset.to_list() == from_records.to_list()
    assert feature_lengths(from_dataset) == [len(ids) for ids in from_records["input_ids"]]
    assert encode([], tokenizer, 32).num_rows == 0


def test_frozen_parameters_stay_put_and_the_rest_trains():
    """freeze_embeddings: a parameter with requires_grad False is neither in the optimizer nor changed."""
    torch.manual_seed(0)
    model = Tiny()
    model.encoder.weight.requires_grad_(False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fit(
        model,
        _features(),
        _collate,
        _loss,
        lambda m: Score(0.5),
        _config(epochs=2, weight_decay=0.1),
        Recorder(),
    )
    assert torch.equal(model.encoder.weight, before["encoder.weight"])
    assert not torch.equal(model.head.weight, before["head.weight"])


def test_freeze_lower_layers_stops_the_gradient_below_layer_n(tiny_encoder):
    """freeze_layers: the embeddings and the first N layers get no gradient; the layers above and the heads do."""
    from training.modeling import build_model, freeze_lower_layers

    model = build_model(tiny_encoder)
    freeze_lower_layers(model.encoder, 1)
    ids = torch.tensor([[101, 2023, 2003, 102]])
    out = model(ids, torch.ones_like(ids))
    sum(v.float().sum() for v in (out.values() if isinstance(out, dict) else out)).backward()
    for name, p in model.named_parameters():
        below = name.startswith("encoder.embeddings.") or name.startswith("encoder.encoder.layer.0.")
        assert p.requires_grad is not below, name
        assert (p.grad is None) is below or "pooler" in name, name
    with pytest.raises(ValueError, match="freeze_layers: 2 must be between 0 and 1"):
        freeze_lower_layers(model.encoder, 2)


def test_real_quotes_are_walked_without_replacement_across_epochs():
    """Four epochs of a quarter of the pool each read every real quote once (a fresh draw per epoch would
    repeat about a third); the next epoch starts a new shuffled pass; PTC sentences are walked the same way."""
    from training.sources import Splits

    pool = [{"text": f"quote {i}"} for i in range(40)]
    ptc = [{"text": f"sentence {i}"} for i in range(12)]
    splits = Splits(train=[{"text": "corpus"}], dev=[], test=[], ptc_pool=ptc, real_pool=pool)
    config = _config(real_per_epoch=10, ptc_sentences_per_epoch=4, seed=3)
    epochs = [splits.epoch_train(config, e) for e in range(1, 6)]
    assert all(len(e) == 1 + 4 + 10 for e in epochs)
    real = [[r["text"] for r in e if r["text"].startswith("quote")] for e in epochs]
    assert sorted(sum(real[:4], [])) == sorted(r["text"] for r in pool)
    assert len(set(real[4])) == 10 and real[4] != real[0]
    sentences = sum([[r["text"] for r in e if r["text"].startswith("sentence")] for e in epochs[:3]], [])
    assert sorted(sentences) == sorted(r["text"] for r in ptc)
    assert epochs[0] == splits.epoch_train(config, 1)  # a seed gives the same epochs everywhere
    splits.train = [{"text": f"corpus {i}"} for i in range(6)]
    halves = [splits.epoch_train(_config(corpus_per_epoch=3, seed=3), e) for e in (1, 2)]
    corpus = [r["text"] for e in halves for r in e if r["text"].startswith("corpus")]
    assert sorted(corpus) == sorted(r["text"] for r in splits.train)  # corpus_per_epoch walks it the same way
