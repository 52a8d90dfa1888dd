"""A model directory describes itself: `ModelMeta`, the JSON beside the weights (training writes it, inference reads it)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
    # added to the stance logits: alpha * log(real-news prior / training prior), alpha chosen on the real dev
    # fold (training.eval_real); None for models without real quotes
    stance_bias: list[float] | None = None
    # token ids of "[Q]" and "[/Q]" as the tokenizer splits them, for a model whose stance head reads the
    # quote's own tokens beside the whole input (config `pooling: mean+quote`); None: the whole-input mean only
    quote_markers: list[list[int]] | None = None
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
