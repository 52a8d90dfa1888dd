"""The inference network in plain torch, and the tokenizer from `tokenizers`: no transformers on the prediction path.

Training builds `training.modeling.StanceModel` on a `transformers` encoder (BERT: MiniLM; MPNet: all-mpnet-base-v2).
Inference needs only its forward pass, so this module re-implements both (embeddings, post-LayerNorm blocks, GELU
feed-forward; MPNet adds a learned bias on each head's attention by bucketed relative position) with fused
query/key/value projections and `scaled_dot_product_attention`, and loads the same `model.safetensors`. It
skips `import transformers` and the model-building machinery behind it (several seconds of cold start on two
cores) and some per-layer overhead. `tests/test_runtime.py` checks it against the training model, output by output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from stance.model import WEIGHTS_FILE

ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu}


class BertConfigError(ValueError):
    """The encoder in config.json is not one this runtime implements."""


ENCODERS = ("bert", "mpnet")
MPNET_PADDING_IDX = 1  # MPNet numbers positions from padding_idx + 1, whatever the tokenizer's pad id


def _encoder_config(directory: Path) -> dict[str, Any]:
    config = json.loads((directory / "config.json").read_text())
    problems = []
    if config.get("model_type") not in ENCODERS:
        problems.append(f"model_type {config.get('model_type')!r} (only {' or '.join(map(repr, ENCODERS))})")
    if config.get("position_embedding_type", "absolute") != "absolute":
        problems.append(f"position_embedding_type {config['position_embedding_type']!r}")
    if config.get("hidden_act", "gelu") not in ACTIVATIONS:
        problems.append(f"hidden_act {config['hidden_act']!r}")
    if config.get("is_decoder"):
        problems.append("is_decoder true")
    if problems:
        raise BertConfigError(f"{directory}/config.json: unsupported {', '.join(problems)}")
    return config


class Layer(nn.Module):
    """One post-LayerNorm transformer block, attention over the padded batch with a key mask."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float, act: str):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=eps)
        self.ff_in = nn.Linear(hidden, intermediate)
        self.ff_out = nn.Linear(intermediate, hidden)
        self.ff_norm = nn.LayerNorm(hidden, eps=eps)
        self.act = ACTIVATIONS[act]

    def forward(self, x: torch.Tensor, keys: torch.Tensor | None) -> torch.Tensor:
        b, n, h = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=keys)
        x = self.attn_norm(x + self.attn_out(a.transpose(1, 2).reshape(b, n, h)))
        return self.ff_norm(x + self.ff_out(self.act(self.ff_in(x))))


def relative_buckets(n: int, buckets: int = 32, max_distance: int = 128) -> torch.Tensor:
    """MPNet's (T5's) bucket of every (query, key) offset in a window of `n` tokens: exact for small offsets,
    logarithmic up to `max_distance`, half the buckets for keys before the query and half for keys after.

    >>> relative_buckets(3).tolist()
    [[0, 17, 18], [1, 0, 17], [2, 1, 0]]
    """
    import math

    positions = torch.arange(n)
    distance = positions[:, None] - positions[None, :]  # query - key: positive where the key comes first
    half = buckets // 2
    after = (distance < 0).long() * half
    distance = distance.abs()
    exact = half // 2
    scaled = torch.log(distance.float().clamp(min=1) / exact) / math.log(max_distance / exact)
    far = exact + (scaled * (half - exact)).long()
    return after + torch.where(distance < exact, distance, far.clamp(max=half - 1))


def marker_starts(input_ids: torch.Tensor, marker: list[int]) -> torch.Tensor:
    """True where the token sequence `marker` (a marker as the tokenizer splits it) begins, per row.

    >>> marker_starts(torch.tensor([[5, 1, 2, 7, 1, 2]]), [1, 2]).tolist()
    [[False, True, False, False, True, False]]
    """
    b, n = input_ids.shape
    hit = torch.zeros((b, n), dtype=torch.bool, device=input_ids.device)
    width = n - len(marker) + 1
    if width <= 0:
        return hit
    found = torch.ones((b, width), dtype=torch.bool, device=input_ids.device)
    for j, token in enumerate(marker):
        found &= input_ids[:, j : j + width] == token
    hit[:, :width] = found
    return hit


def quote_mask(input_ids: torch.Tensor, markers: list[list[int]]) -> torch.Tensor:
    """1 on the tokens between an opening and a closing quote marker (`[Q]` and `[/Q]`, `markers` = their
    token ids), 0 elsewhere; a window that ends inside a quote keeps the quote's tokens up to its end.

    >>> quote_mask(torch.tensor([[101, 9, 1, 2, 5, 6, 3, 2, 8, 102]]), [[1, 2], [3, 2]]).tolist()
    [[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]]
    """
    opener, closer = markers
    opened = marker_starts(input_ids, opener).long()
    # a quote starts on the token after the opener's last one (the starts shifted right by the opener's
    # length), and ends before the closer's first one
    starts = F.pad(opened, (len(opener), 0))[:, : opened.shape[1]]
    depth = starts.cumsum(1) - marker_starts(input_ids, closer).long().cumsum(1)
    return (depth > 0).float()


def pool(
    x: torch.Tensor,
    attention_mask: torch.Tensor,
    input_ids: torch.Tensor,
    markers: list[list[int]] | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(the mean of every token, what the stance head reads): with quote `markers`, the stance head reads the
    whole-input mean beside the mean of the quote's own tokens (the whole-input mean again where a row has no
    marked quote, as a plain statement), so it sees the quote apart from its reporting sentence."""
    mask = attention_mask.unsqueeze(-1).to(x.dtype)
    mean = (x * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    if not markers:
        return mean, mean
    inside = quote_mask(input_ids, markers).to(x.dtype).unsqueeze(-1) * mask
    count = inside.sum(1)
    quote = torch.where(count > 0, (x * inside).sum(1) / count.clamp(min=1.0), mean)
    return mean, torch.cat([mean, quote], -1)


class Network(nn.Module):
    """BERT or MPNet encoder + the stance, rhetoric and span heads of `StanceModel`, same outputs, inference only."""

    def __init__(
        self,
        config: dict[str, Any],
        n_stances: int,
        n_techniques: int,
        quote_markers: list[list[int]] | None = None,
    ):
        super().__init__()
        self.quote_markers = quote_markers
        hidden, eps = config["hidden_size"], config.get("layer_norm_eps", 1e-12)
        mpnet = config["model_type"] == "mpnet"
        # BERT's positions start at 0; MPNet's after its padding index. BERT adds a token-type embedding (type 0:
        # single-segment inputs only); MPNet has none (zeros). MPNet biases attention by relative position.
        self.first_position = MPNET_PADDING_IDX + 1 if mpnet else 0
        heads, buckets = config["num_attention_heads"], config.get("relative_attention_num_buckets", 32)
        self.relative = nn.Embedding(buckets, heads, _weight=torch.empty(buckets, heads)) if mpnet else None
        # The loaded weights replace these (assign=True): empty tensors skip the random initialisation.
        self.words = nn.Embedding(
            config["vocab_size"], hidden, _weight=torch.empty(config["vocab_size"], hidden)
        )
        self.positions = nn.Embedding(
            config["max_position_embeddings"],
            hidden,
            _weight=torch.empty(config["max_position_embeddings"], hidden),
        )
        self.token_type = nn.Parameter(torch.zeros(hidden))
        self.embed_norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(
            Layer(
                hidden,
                config["num_attention_heads"],
                config["intermediate_size"],
                eps,
                config.get("hidden_act", "gelu"),
            )
            for _ in range(config["num_hidden_layers"])
        )
        self.stance_head = nn.Linear(hidden * (2 if quote_markers else 1), n_stances)
        self.rhetoric_head = nn.Linear(hidden, n_techniques)
        self.span_head = nn.Linear(hidden, n_techniques)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        n = input_ids.shape[1]
        start = self.first_position
        x = self.words(input_ids) + self.positions.weight[start : start + n] + self.token_type
        x = self.embed_norm(x)
        padded = not bool(attention_mask.all())
        keys = attention_mask.bool()[:, None, None, :] if padded else None
        # MPNet: one additive mask, the heads' position bias plus the lowest float on padding keys
        if self.relative is not None:
            bias = self.relative(relative_buckets(n).to(input_ids.device)).permute(2, 0, 1).unsqueeze(0)
            keys = bias if keys is None else bias.masked_fill(~keys, torch.finfo(bias.dtype).min)
        for layer in self.layers:
            x = layer(x, keys)
        mean, stance_input = pool(x, attention_mask, input_ids, self.quote_markers)
        return {
            "stance": self.stance_head(stance_input),
            "rhetoric": self.rhetoric_head(mean),
            "spans": self.span_head(x),
        }


# where each piece of a layer sits in the transformers weights: (query, key, value), attention output, its LayerNorm
_ATTENTION_NAMES = {
    "bert": (
        ("attention.self.query", "attention.self.key", "attention.self.value"),
        "attention.output.dense",
        "attention.output.LayerNorm",
    ),
    "mpnet": (
        ("attention.attn.q", "attention.attn.k", "attention.attn.v"),
        "attention.attn.o",
        "attention.LayerNorm",
    ),
}


def _state(weights: dict[str, torch.Tensor], config: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Rename `StanceModel` weights (transformers BertModel or MPNetModel names, by the encoder's `model_type`) to
    this network's, fusing q, k and v. MPNet has no token-type embedding (zeros here) and adds the relative-position
    bias table."""
    mpnet = config["model_type"] == "mpnet"
    e = "encoder.embeddings."
    words = weights[e + "word_embeddings.weight"]
    out = {
        "words.weight": words,
        "positions.weight": weights[e + "position_embeddings.weight"],
        "token_type": torch.zeros(words.shape[1], dtype=words.dtype)
        if mpnet
        else weights[e + "token_type_embeddings.weight"][0],
        "embed_norm.weight": weights[e + "LayerNorm.weight"],
        "embed_norm.bias": weights[e + "LayerNorm.bias"],
    }
    if mpnet:
        out["relative.weight"] = weights["encoder.encoder.relative_attention_bias.weight"]
    for head in ("stance_head", "rhetoric_head", "span_head"):
        for p in ("weight", "bias"):
            out[f"{head}.{p}"] = weights[f"{head}.{p}"]
    qkv, attn_out, attn_norm = _ATTENTION_NAMES[config["model_type"]]
    for i in range(config["num_hidden_layers"]):
        src, dst = f"encoder.encoder.layer.{i}.", f"layers.{i}."
        for p in ("weight", "bias"):
            out[dst + "qkv." + p] = torch.cat([weights[f"{src}{m}.{p}"] for m in qkv])
            out[dst + "attn_out." + p] = weights[f"{src}{attn_out}.{p}"]
            out[dst + "attn_norm." + p] = weights[f"{src}{attn_norm}.{p}"]
            out[dst + "ff_in." + p] = weights[f"{src}intermediate.dense.{p}"]
            out[dst + "ff_out." + p] = weights[f"{src}output.dense.{p}"]
            out[dst + "ff_norm." + p] = weights[f"{src}output.LayerNorm.{p}"]
    return out


def load_network(
    directory: Path, n_stances: int, n_techniques: int, quote_markers: list[list[int]] | None = None
) -> Network:
    """The model directory's weights in the inference network (safetensors only, strict: every weight used);
    `quote_markers` (the model's meta) for a model whose stance head also reads the quote's own tokens."""
    from safetensors.torch import load_file

    config = _encoder_config(directory)
    net = Network(config, n_stances, n_techniques, quote_markers)
    net.load_state_dict(_state(load_file(str(directory / WEIGHTS_FILE)), config), assign=True)
    return net.eval()


def load_tokenizer(directory: Path, max_length: int, stride: int) -> Any:
    """The model's fast tokenizer (tokenizer.json), truncating into overlapping windows of `max_length` tokens."""
    from tokenizers import Tokenizer

    path = directory / "tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(f"{directory} has no tokenizer.json: re-export the model with `make train`")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length, stride=stride, strategy="longest_first", direction="right")
    return tokenizer
