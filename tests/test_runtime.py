"""The plain-torch inference network and tokenizer give what the transformers training model gives."""

from pathlib import Path

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


def _runtime_against_training(model_dir):
    """Run the runtime network and the transformers training model on the same padded windows (zeros, as the
    Predictor pads) and check every output they share; returns the training model's outputs and the windows."""
    model, hf_tokenizer, meta = load_model(model_dir)
    net = load_network(model_dir, len(STANCES), len(TECHNIQUES))
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
    return theirs, ids


def test_network_matches_training_model(tiny_model):
    _runtime_against_training(tiny_model)


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


def test_quote_mask_covers_the_quote_between_the_markers_as_the_tokenizer_splits_them(tiny_encoder):
    from transformers import AutoTokenizer

    from stance.runtime import pool, quote_mask
    from training.modeling import marker_ids

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_encoder), local_files_only=True)
    markers = marker_ids(tokenizer)
    assert markers[0] != markers[1] and all(len(m) > 1 for m in markers)  # plain text: no new embeddings
    texts = [
        "Democrats accused [Q]the GOP of stoking the issue[/Q].",
        "We will never give up.",  # a plain statement: no quote, the stance head reads the mean twice
        "He said [Q]the talks are over",  # a window cut inside the quote keeps it to the end
    ]
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    mask = quote_mask(enc["input_ids"], markers) * enc["attention_mask"]
    inside = [tokenizer.decode(enc["input_ids"][r][mask[r].bool()]) for r in range(len(texts))]
    assert inside == ["the gop of stoking the issue", "", "the talks are over [SEP]"]
    x = torch.randn(*enc["input_ids"].shape, 4)
    mean, both = pool(x, enc["attention_mask"], enc["input_ids"], markers)
    assert both.shape == (3, 8)
    torch.testing.assert_close(both[:, :4], mean)
    torch.testing.assert_close(both[0, 4:], x[0][mask[0].bool()].mean(0))
    torch.testing.assert_close(both[1, 4:], mean[1])
    plain_mean, plain_input = pool(x, enc["attention_mask"], enc["input_ids"], None)
    assert plain_input is plain_mean and torch.equal(plain_mean, mean)  # a mean-pooling model, as before


def test_a_quote_pooling_model_runs_the_same_in_the_runtime_and_in_training(tiny_encoder, tmp_path):
    from stance.predict import Predictor
    from training.config import load_config
    from training.train import run

    config = load_config(
        Path(__file__).parents[1] / "configs" / "tiny.yaml",
        {"encoder": str(tiny_encoder), "output_dir": str(tmp_path), "pooling": "mean+quote"},
    )
    directory = Path(run(config)["model_dir"])
    model, hf_tokenizer, meta = load_model(directory)
    assert meta.quote_markers and model.stance_head.in_features == 2 * model.encoder.config.hidden_size
    net = load_network(directory, len(STANCES), len(TECHNIQUES), meta.quote_markers)
    texts = [*TEXTS, 'Democrats accused [Q]the GOP of stoking the issue[/Q]. "We will win," she said.']
    enc = hf_tokenizer(texts, truncation=True, max_length=meta.max_length, padding=True, return_tensors="pt")
    with torch.inference_mode():
        ours, theirs = (
            net(enc["input_ids"], enc["attention_mask"]),
            model(enc["input_ids"], enc["attention_mask"]),
        )
    torch.testing.assert_close(ours["stance"], theirs["stance"], atol=1e-5, rtol=1e-4)
    # predict() reads the model's markers from its meta and gives the training model's probabilities
    text = "They said [Q]the talks are over[/Q] today."
    enc = hf_tokenizer([text], return_tensors="pt")
    with torch.inference_mode():
        expected = model(enc["input_ids"], enc["attention_mask"])["stance"].softmax(-1)[0]
    got = Predictor(directory).predict(text).stance_scores
    torch.testing.assert_close(torch.tensor([got[s] for s in STANCES]), expected, atol=1e-5, rtol=1e-4)
    # the "usual way" export of the benchmark folds the head for plain statements (no markers): same logits
    from transformers import AutoModelForSequenceClassification

    from bench.hf import export

    pipeline_model = AutoModelForSequenceClassification.from_pretrained(
        str(export(directory, tmp_path / "hf"))
    )
    plain = hf_tokenizer(TEXTS[:3], padding=True, return_tensors="pt")
    with torch.inference_mode():
        folded = pipeline_model(**plain).logits
        ours = net(plain["input_ids"], plain["attention_mask"])["stance"]
    torch.testing.assert_close(folded, ours, atol=1e-5, rtol=1e-4)


@pytest.fixture(scope="module")
def tiny_mpnet_model(tiny_mpnet_encoder, tmp_path_factory):
    """A `StanceModel` on the tiny random MPNet encoder, saved as a model directory (128-token windows)."""
    from transformers import AutoTokenizer

    from stance.model import ModelMeta
    from training.modeling import build_model, save_model

    torch.manual_seed(0)
    model = build_model(tiny_mpnet_encoder).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_mpnet_encoder), local_files_only=True)
    meta = ModelMeta(stances=list(STANCES), techniques=list(TECHNIQUES), max_length=128, stride=16)
    return save_model(model, tokenizer, meta, tmp_path_factory.mktemp("tiny-mpnet") / "model")


def test_an_mpnet_network_matches_its_training_model(tiny_mpnet_model):
    """MPNet's relative-position bias, position offset and weight names, checked as BERT's are: padded batches,
    windows longer than the bias's exact range (128 tokens: logarithmic buckets), and the prediction path."""
    import stance

    theirs, ids = _runtime_against_training(tiny_mpnet_model)
    assert max(map(len, ids)) == 128
    got = stance.load(tiny_mpnet_model).predict(TEXTS[1]).stance_scores
    expected = theirs["stance"][1].softmax(-1)
    torch.testing.assert_close(torch.tensor([got[s] for s in STANCES]), expected, atol=1e-5, rtol=1e-4)
