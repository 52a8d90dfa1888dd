"""The int8 fast path: outlier channels in fp32, the rest int8, found by calibration."""

import warnings

import pytest
import torch
from torch import nn

import stance
from stance.labels import STANCES
from stance.quantize import OutlierInt8Linear


def _with_outliers(rows: int = 512, width: int = 96, outliers=(5, 40, 77)) -> torch.Tensor:
    torch.manual_seed(0)
    x = torch.randn(rows, width)
    x[:, list(outliers)] *= 30.0  # the LayerNorm outlier dimensions of BERT, exaggerated
    return x


def _relative_error(y: torch.Tensor, ref: torch.Tensor) -> float:
    return float((y - ref).norm() / ref.norm())


def test_outlier_channels_keep_int8_close_to_fp32():
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    torch.manual_seed(1)
    linear = nn.Linear(96, 64)
    x = _with_outliers()
    before = x.clone()
    with torch.inference_mode():
        ref = linear(x)
        ours = OutlierInt8Linear(linear, torch.tensor([77, 5, 40]))(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plain = quantize_dynamic(nn.Sequential(linear), {nn.Linear: per_channel_dynamic_qconfig})(x)
    assert torch.equal(x, before)  # the outlier columns are zeroed in place and put back
    assert ours.shape == ref.shape
    assert _relative_error(ours, ref) < 0.01
    # plain dynamic quantisation: one activation scale for all channels, outliers included
    assert _relative_error(ours, ref) < _relative_error(plain, ref) / 4


def test_outlier_channels_are_exact():
    """Input only on the outlier channels: the fp32 part alone gives the output, bit for bit up to fp32 sums."""
    linear = nn.Linear(96, 64)
    x = torch.zeros(8, 3, 96)  # batch, tokens, hidden: any leading shape
    x[..., [5, 40]] = torch.randn(8, 3, 2) * 50
    with torch.inference_mode():
        out = OutlierInt8Linear(linear, torch.tensor([5, 40]))(x)
        torch.testing.assert_close(out, linear(x), atol=1e-4, rtol=1e-5)


def test_quantized_predictor_agrees_with_exact(tiny_model):
    texts = ["We will win.", "Nothing more than lies.", "Talks resume on Monday, the ministry said."]
    exact = stance.load(tiny_model).predict(texts)
    fast = stance.load(tiny_model, quantize=True)
    assert fast.quantized and "OutlierInt8Linear" in repr(fast.model)
    for a, b in zip(exact, fast.predict(texts), strict=True):
        assert b.stance == a.stance
        assert max(abs(a.stance_scores[s] - b.stance_scores[s]) for s in STANCES) < 0.02


def test_calibration_texts_are_checked(tiny_model):
    custom = stance.load(tiny_model, quantize=True, calibration=["We will win.", "They lost."])
    again = stance.load(tiny_model, quantize=True, calibration=["We will win.", "They lost."])
    assert custom.predict("Talks resume.") == again.predict("Talks resume.")
    assert custom.predict("Talks resume.").stance == stance.load(tiny_model).predict("Talks resume.").stance
    with pytest.raises(ValueError, match="only used with quantize=True"):
        stance.load(tiny_model, calibration=["We will win."])
    with pytest.raises(ValueError, match="calibration is empty"):
        stance.load(tiny_model, quantize=True, calibration=[])
    with pytest.raises(ValueError, match="empty or whitespace-only text at index 1"):
        stance.load(tiny_model, quantize=True, calibration=["ok", " "])
