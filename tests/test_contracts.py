"""README contracts with exact answers: long-text windows on a stub network, the rhetoric tuple, threads."""

from __future__ import annotations

import importlib
import math
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

import stance
from stance.labels import STANCES, TECHNIQUES
from stance.model import read_meta, write_meta

predict_module = importlib.import_module("stance.predict")  # the attribute stance.predict is the function


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _model_copy(tiny_model: Path, where: Path, **meta) -> Path:
    """The tiny model with chosen thresholds (or other JSON fields), so expected labels are known."""
    shutil.copytree(tiny_model, where)
    m = read_meta(where)
    for key, value in meta.items():
        setattr(m, key, value)
    write_meta(m, where)
    return where


def _distribution(**peaks: float) -> list[float]:
    """A stance distribution over all 9 classes: the peaks, and the rest of the mass spread evenly."""
    rest = (1 - sum(peaks.values())) / (len(STANCES) - len(peaks))
    return [peaks.get(s, rest) for s in STANCES]


class StubNetwork(torch.nn.Module):
    """Outputs chosen per window: a window is known by the position (in the text) of its first word.

    `stance[w]` and `rhetoric[w]` are probabilities for window w; `spans[w]` maps a technique to
    (first word, last word, probability) runs, in text word positions.
    """

    def __init__(self, position_of: dict[int, int], step: int, stance, rhetoric, spans):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # a module with a parameter, like the real one
        self.position_of, self.step = position_of, step
        self.stance, self.rhetoric, self.spans = stance, rhetoric, spans
        self.windows: list[tuple[int, int]] = []

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        rows, width = input_ids.shape
        stance_logits = torch.empty(rows, len(STANCES))
        rhet_logits = torch.empty(rows, len(TECHNIQUES))
        span_logits = torch.full((rows, width, len(TECHNIQUES)), -30.0)
        for row in range(rows):
            positions = [
                self.position_of.get(int(t)) if m else None
                for t, m in zip(input_ids[row], attention_mask[row], strict=True)
            ]
            words = [p for p in positions if p is not None]
            self.windows.append((words[0], words[-1]))
            w = words[0] // self.step
            stance_logits[row] = torch.tensor([math.log(p) for p in self.stance[w]])
            rhet_logits[row] = torch.tensor([_logit(self.rhetoric[w].get(t, 0.01)) for t in TECHNIQUES])
            for technique, (first, last, prob) in self.spans[w].items():
                for col, p in enumerate(positions):
                    if p is not None and first <= p <= last:
                        span_logits[row, col, TECHNIQUES.index(technique)] = _logit(prob)
        return {"stance": stance_logits, "rhetoric": rhet_logits, "spans": span_logits}


def _single_token_words(model_dir: Path, n: int) -> list[str]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    vocab = sorted(w for w in tok.get_vocab() if w.isascii() and w.isalpha() and w.islower() and len(w) >= 5)
    words = [w for w in vocab[::97] if len(tok.encode(w, add_special_tokens=False).ids) == 1][:n]
    assert len(words) == n
    return words


def test_long_text_windows_merge_exactly(tiny_model, tmp_path):
    """README, Long texts: stance is the mean over windows, techniques the max, spans mapped and merged."""
    model_dir = _model_copy(
        tiny_model,
        tmp_path / "m",
        thresholds={**dict.fromkeys(TECHNIQUES, 0.5), "doubt": 0.75, "flag_waving": 0.6},
        span_threshold=0.5,
    )
    predictor = stance.load(model_dir)
    meta = predictor.meta
    words = _single_token_words(model_dir, 60)
    text = " ".join(words)
    starts = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    from tokenizers import Tokenizer

    vocab = Tokenizer.from_file(str(model_dir / "tokenizer.json")).get_vocab()
    step = meta.max_length - 2 - meta.stride  # content tokens per window, less the overlap
    n_windows = math.ceil((len(words) - meta.stride) / step)
    assert n_windows == 3, (meta.max_length, meta.stride)  # the tiny model: 32 tokens, stride 8
    stub = StubNetwork(
        {vocab[w]: i for i, w in enumerate(words)},
        step,
        stance=[
            _distribution(defiant=0.8),  # max-pooling or the first window would say defiant,
            _distribution(accusatory=0.6, neutral=0.3),
            _distribution(neutral=0.55, accusatory=0.35),  # the last window neutral; the mean is accusatory
        ],
        rhetoric=[
            {"loaded_language": 0.8, "name_calling": 0.3},
            {"name_calling": 0.95, "doubt": 0.7},
            {"doubt": 0.78, "flag_waving": 0.58, "slogans": 0.4},
        ],
        spans=[
            {"loaded_language": (20, 27, 0.8)},  # words 22..29 are in windows 0 and 1: one merged span
            {"loaded_language": (24, 33, 0.6)},
            {"name_calling": (50, 52, 0.7)},
        ],
    )
    predictor.model = stub
    p = predictor.predict(text)
    # every window was read, the last one up to the end of the text
    assert sorted(set(stub.windows)) == [(0, 29), (22, 51), (44, 59)]
    mean = [sum(w[j] for w in stub.stance) / 3 for j in range(len(STANCES))]
    assert p.stance == "accusatory"
    assert [p.stance_scores[s] for s in STANCES] == pytest.approx(mean, abs=1e-6)
    assert p.rhetoric_scores["name_calling"] == pytest.approx(0.95, abs=1e-6)
    assert p.rhetoric_scores["doubt"] == pytest.approx(0.78, abs=1e-6)  # the max; the mean is below 0.75
    assert p.rhetoric_scores["flag_waving"] == pytest.approx(0.58, abs=1e-6)
    assert p.rhetoric == ("name_calling", "loaded_language", "doubt")  # flag_waving: under its 0.6
    merged = stance.Span(starts[20], starts[33] + len(words[33]), "", "loaded_language", 0.8)
    assert [(s.start, s.end, s.technique) for s in p.spans] == [
        (merged.start, merged.end, "loaded_language"),
        (starts[50], starts[52] + len(words[52]), "name_calling"),
    ]
    assert p.spans[0].text == " ".join(words[20:34]) and p.spans[1].text == " ".join(words[50:53])
    assert p.spans[0].score == pytest.approx(0.8, abs=1e-6)  # the higher of the two windows' runs
    assert p.spans[1].score == pytest.approx(0.7, abs=1e-6)


class FixedRhetoric(torch.nn.Module):
    """Every row gets the same technique probabilities and a neutral stance; no spans."""

    def __init__(self, probs: dict[str, float]):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.probs = probs

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        rows, width = input_ids.shape
        logits = torch.tensor([_logit(self.probs.get(t, 0.01)) for t in TECHNIQUES])
        return {
            "stance": torch.zeros(rows, len(STANCES)),
            "rhetoric": logits.expand(rows, -1).clone(),
            "spans": torch.full((rows, width, len(TECHNIQUES)), -30.0),
        }


def test_rhetoric_is_the_techniques_over_their_thresholds_most_likely_first(tiny_model, tmp_path):
    thresholds = {
        **dict.fromkeys(TECHNIQUES, 0.5),
        "name_calling": 0.95,  # 0.9 is the highest score but under its own threshold
        "appeal_to_fear": 0.3,
        "doubt": 0.65,
        "slogans": 0.1,  # 0.2 is low but over its threshold
    }
    predictor = stance.load(_model_copy(tiny_model, tmp_path / "m", thresholds=thresholds))
    predictor.model = FixedRhetoric(
        {"name_calling": 0.9, "appeal_to_fear": 0.85, "doubt": 0.7, "loaded_language": 0.6, "slogans": 0.2}
    )
    one, two = predictor.predict(["They are traitors.", "Vote for us, or lose everything."])
    assert one.rhetoric == ("appeal_to_fear", "doubt", "loaded_language", "slogans")
    assert two.rhetoric == one.rhetoric
    assert one.rhetoric_scores["name_calling"] == pytest.approx(0.9, abs=1e-6)
    assert one.rhetoric_scores["repetition"] == pytest.approx(0.01, abs=1e-6)
    assert one.stance_scores == pytest.approx(dict.fromkeys(STANCES, 1 / 9), abs=1e-6)
    assert one.spans == ()


# ---------------------------------------------------------------- threads equal serial calls

TEXTS = [f"Statement number {i} about the vote and the {'very ' * (i % 7)}long count." for i in range(40)]
CHUNKS = [TEXTS[i : i + 5] for i in range(0, len(TEXTS), 5)]
ARTICLES = [
    f'"We will {verb} the vote," the mayor said on day {i}. Critics said the count was "a farce".'
    for i, verb in enumerate(["win", "contest", "audit", "delay", "certify", "repeat", "challenge", "accept"])
]


def _in_threads(fn, items: list) -> list:
    """fn over items in 4 threads, the first 4 calls released together so that they race."""
    start = threading.Barrier(4)

    def call(k: int):
        if k < 4:
            start.wait()
        return fn(items[k])

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(call, range(len(items))))


def test_int8_predictor_threads_match_serial(tiny_model):
    fast = stance.load(tiny_model, quantize=True)
    serial = [fast.predict(c) for c in CHUNKS]
    assert _in_threads(fast.predict, CHUNKS) == serial


@pytest.fixture
def default_home(tiny_model, tmp_path, monkeypatch):
    """The tiny model as the default (`$STANCE_HOME/models/default`), a fresh process-wide cache, and a count
    of the predictors built."""
    shutil.copytree(tiny_model, tmp_path / "home" / "models" / "default")
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STANCE_MODEL", raising=False)
    monkeypatch.setattr(predict_module, "_predictors", {})  # a fresh process-wide cache
    built = []
    real = predict_module.Predictor

    class Counting(real):
        def __init__(self, *args, **kwargs):
            built.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(predict_module, "Predictor", Counting)
    return tmp_path / "home" / "models" / "default", built


def test_predict_without_a_model_uses_the_cached_default(default_home):
    directory, built = default_home
    first = stance.predict("We will win the vote.")
    assert first == stance.load(directory).predict("We will win the vote.")
    assert stance.predict(["We will win the vote."]) == [first]
    stance.analyze('"We will win," she said.')
    assert built == [(None,), (directory,)]  # the default once (model None), then the explicit load above


def test_default_predictor_threads_match_serial(default_home):
    _, built = default_home
    parallel = _in_threads(stance.predict, CHUNKS)  # the first calls race to build the default
    assert len(built) == 1
    assert parallel == [stance.predict(c) for c in CHUNKS]
    assert len(built) == 1


def test_analyze_threads_match_serial(tiny_model, default_home):
    parallel = _in_threads(stance.analyze, ARTICLES)
    serial = [stance.analyze(a) for a in ARTICLES]
    assert parallel == serial and all(len(quotes) == 2 for quotes in serial)
    with_model = _in_threads(lambda a: stance.analyze(a, model=tiny_model), ARTICLES)
    assert [[q.text for q in qs] for qs in with_model] == [[q.text for q in qs] for qs in serial]
    assert with_model == [stance.analyze(a, model=tiny_model) for a in ARTICLES]
