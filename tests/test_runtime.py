"""The plain-torch inference network and tokenizer give what the transformers training model gives."""

import pytest
import torch

from stance.labels import STANCES, TECHNIQUES
from stance.runtime import BertConfigError, load_network, load_tokenizer
from training.modeling import load_model

TEXTS = [
    "Short.",
    "They are criminals and liars who destroyed our country, and we will never forgive them.",
    "Ünïcödé, emoji 🙂 and 中文 text still go through the same tokenizer.",
    "The committee meets again on 4 March. " * 30,  # longer than max_length: several windows
]


def _hf_windows(tokenizer, meta, texts):
    enc = tokenizer(
        texts,
        truncation=True,
        max_length=meta.max_length,
        stride=meta.stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    return enc["input_ids"], [list(map(tuple, o)) for o in enc["offset_mapping"]]


def test_tokenizer_windows_match_transformers(tiny_model):
    _, hf_tokenizer, meta = load_model(tiny_model)
    tokenizer = load_tokenizer(tiny_model, meta.max_length, meta.stride)
    ids, offsets = [], []
    for encoding in tokenizer.encode_batch(TEXTS):
        for window in (encoding, *encoding.overflowing):
            ids.append(window.ids)
            offsets.append(list(map(tuple, window.offsets)))
    assert (ids, offsets) == _hf_windows(hf_tokenizer, meta, TEXTS)
    assert len(ids) > len(TEXTS)  # the long text was windowed


def test_network_matches_training_model(tiny_model):
    model, hf_tokenizer, meta = load_model(tiny_model)
    net = load_network(tiny_model, len(STANCES), len(TECHNIQUES))
    ids, _ = _hf_windows(hf_tokenizer, meta, TEXTS)
    width = max(map(len, ids))
    input_ids = torch.zeros(len(ids), width, dtype=torch.long)
    mask = torch.zeros_like(input_ids)
    for row, window in enumerate(ids):
        input_ids[row, : len(window)], mask[row, : len(window)] = torch.tensor(window), 1
    with torch.inference_mode():
        ours, theirs = net(input_ids, mask), model(input_ids, mask)
        unpadded = net(input_ids[:1, : len(ids[0])], mask[:1, : len(ids[0])])
    for key in ("stance", "rhetoric"):
        torch.testing.assert_close(ours[key], theirs[key], atol=1e-5, rtol=1e-4)
    keep = mask.bool()  # padded positions are never read
    torch.testing.assert_close(ours["spans"][keep], theirs["spans"][keep], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(unpadded["stance"][0], ours["stance"][0], atol=1e-5, rtol=1e-4)


def test_unsupported_encoder_is_refused(tiny_model, tmp_path):
    import json
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(tiny_model, copy)
    config = json.loads((copy / "config.json").read_text())
    config["position_embedding_type"] = "relative_key"
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(BertConfigError, match="position_embedding_type 'relative_key'"):
        load_network(copy, len(STANCES), len(TECHNIQUES))


def test_prediction_never_imports_transformers(tiny_model):
    import subprocess
    import sys

    code = (
        f"import sys, stance; stance.predict('We will win.', model={str(tiny_model)!r}); "
        "print(sorted(m for m in ('transformers', 'mlflow', 'training') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
