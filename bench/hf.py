"""The usual way: our weights as a transformers text-classification model, for `pipeline()`.

Our stance head reads the mean of the token vectors; `BertForSequenceClassification` reads the pooler's
[CLS] vector, so it would not give our answers. `MeanPoolBertForSequenceClassification` is that class with
mean pooling, registered with the Auto classes so `pipeline("text-classification", model=dir)` loads it
from a directory like any hub model.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    BertModel,
    BertPreTrainedModel,
)
from transformers.modeling_outputs import SequenceClassifierOutput

MODEL_TYPE = "stance-mean-pool-bert"
_REPLACED = ("model_type", "architectures", "id2label", "label2id", "num_labels", "transformers_version")


class MeanPoolBertConfig(BertConfig):
    model_type = MODEL_TYPE


class MeanPoolBertForSequenceClassification(BertPreTrainedModel):
    """BERT + a linear layer on the attention-masked mean of the last hidden states (the stance head)."""

    config_class = MeanPoolBertConfig

    def __init__(self, config: MeanPoolBertConfig):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs):
        tokens = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        if attention_mask is None:
            attention_mask = torch.ones(tokens.shape[:2], dtype=torch.long, device=tokens.device)
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return SequenceClassifierOutput(logits=self.classifier(pooled))


AutoConfig.register(MODEL_TYPE, MeanPoolBertConfig, exist_ok=True)
AutoModelForSequenceClassification.register(
    MeanPoolBertConfig, MeanPoolBertForSequenceClassification, exist_ok=True
)


def export(model_dir: str | Path, out_dir: str | Path) -> Path:
    """Write the encoder and stance head of a stance model directory as a pipeline-loadable model.

    >>> export("~/.local/share/stance/models/default", "/tmp/hf-stance")  # doctest: +SKIP
    """
    from safetensors.torch import load_file

    from stance.labels import STANCES
    from stance.model import WEIGHTS_FILE

    model_dir, out_dir = Path(model_dir).expanduser(), Path(out_dir)
    base = AutoConfig.from_pretrained(str(model_dir), local_files_only=True)
    if base.model_type != "bert":
        raise ValueError(f"{model_dir} has a {base.model_type!r} encoder; this export handles 'bert' only")
    config = MeanPoolBertConfig(
        **{k: v for k, v in base.to_dict().items() if k not in _REPLACED},
        id2label=dict(enumerate(STANCES)),
        label2id={s: i for i, s in enumerate(STANCES)},
        architectures=[MeanPoolBertForSequenceClassification.__name__],
    )
    state = load_file(str(model_dir / WEIGHTS_FILE))
    mapped = {"bert." + k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    mapped = {k: v for k, v in mapped.items() if not k.startswith("bert.pooler.")}
    mapped |= {
        "classifier." + k[len("stance_head.") :]: v for k, v in state.items() if k.startswith("stance_head.")
    }
    weight = mapped["classifier.weight"]
    if weight.shape[1] == 2 * base.hidden_size:
        # a quote-pooling head (meta quote_markers) reads [mean, quote mean]; a plain statement has no [Q]…[/Q],
        # so both halves are the mean and the head folds exactly into one mean-pooled classifier
        mapped["classifier.weight"] = weight[:, : base.hidden_size] + weight[:, base.hidden_size :]
    model = MeanPoolBertForSequenceClassification(config)
    missing, unexpected = model.load_state_dict(mapped, strict=False)
    if unexpected or [k for k in missing if not k.endswith("position_ids")]:
        raise ValueError(
            f"weights do not map onto the pipeline model: missing {missing}, unexpected {unexpected}"
        )
    model.save_pretrained(str(out_dir))
    AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True).save_pretrained(str(out_dir))
    return out_dir
