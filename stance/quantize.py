"""The int8 fast path: dynamic int8 linear layers in the encoder, a few outlier input channels kept in fp32.

`torch`'s dynamic quantisation gives each activation tensor one scale. BERT's hidden states have a handful of
channels 5-15x larger than the rest (the LayerNorm outlier dimensions), so one scale wastes most of the 8 bits:
quantised as is, our model changed 42 of 708 dev stance labels. Here every encoder linear layer splits its input
(the LLM.int8() decomposition, with a fixed channel set): the `OUTLIERS` channels with the largest
calibrated magnitude are multiplied in fp32, the rest in int8 with the full 8-bit activation range: 6 to 11
of 708 dev stance labels change, depending on how statements fall into batches. The heads stay in fp32.

The activation scale is per call, so a statement's int8 scores depend a little on the other statements in its
batch (up to 0.08 in a stance probability on the benchmark statements); the exact path's do not. Per-token
scales (each row divided by its own maximum before a static-scale int8 product) cut that to 0.004 but cost
23% of the speed, and left the test deltas about where they were.

The outlier channels come from one forward pass over `CALIBRATION_TEXTS` when the predictor loads (or the
texts you pass). `bench/accuracy.py` decides whether the path is offered: within 0.5 points of the exact
path on the test split.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import torch
from torch import nn

from stance.runtime import Network

OUTLIERS = 8  # fp32 input channels per linear layer
# Weights in [-63, 63]: fbgemm's AVX2 kernel multiplies uint8 activations by int8 weights in pairs summed into
# int16 (vpmaddubsw), which saturates above 32767; 255 * 63 * 2 = 32130 never does. 7-bit weights with one
# scale per output channel keep the 8-bit activation range, which is where the precision was lost.
WEIGHT_MAX = 63.0


class OutlierInt8Linear(nn.Module):
    """`linear`, as int8 on all input channels but `outliers`, which stay fp32.

    y = int8(x with the outlier channels zeroed) @ int8(W)ᵀ + x[:, outliers] @ W[:, outliers]ᵀ + b.
    Weights: 7-bit (see WEIGHT_MAX), one symmetric scale per output channel. Activations: one asymmetric
    uint8 scale per call over the non-outlier channels, the full 0-255 range.
    """

    def __init__(self, linear: nn.Linear, outliers: torch.Tensor):
        super().__init__()
        weight = linear.weight.detach().float()
        self.register_buffer("outliers", outliers.sort().values)
        self.register_buffer("outlier_weight", weight[:, self.outliers].t().contiguous())
        rest = weight.index_fill(1, self.outliers, 0.0)
        scales = (rest.abs().amax(1) / WEIGHT_MAX).clamp(min=1e-12).double()
        with warnings.catch_warnings():  # torch 2.13 marks quantized tensors deprecated; pinned, so it works
            warnings.simplefilter("ignore", UserWarning)
            qweight = torch.quantize_per_channel(
                rest, scales, torch.zeros_like(scales, dtype=torch.long), 0, torch.qint8
            )
        bias = None if linear.bias is None else linear.bias.detach().float()
        self._packed = torch.ops.quantized.linear_prepack(qweight, bias)
        self.in_features, self.out_features = linear.in_features, linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        outliers = x.index_select(1, self.outliers)
        # Zero the outlier columns in place for the int8 product, then put them back: two writes of a few
        # columns instead of a copy of the whole input (for qkv and ff_in the input is the residual stream).
        x.index_fill_(1, self.outliers, 0.0)
        try:
            y = torch.ops.quantized.linear_dynamic(x, self._packed, False)
        finally:
            x.index_copy_(1, self.outliers, outliers)
        y.addmm_(outliers, self.outlier_weight)
        return y.view(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, fp32 channels={len(self.outliers)}"


def _linears(net: Network) -> Iterable[tuple[nn.Module, str, nn.Linear]]:
    for layer in net.layers:
        for name in ("qkv", "attn_out", "ff_in", "ff_out"):
            yield layer, name, getattr(layer, name)


@torch.no_grad()
def channel_peaks(net: Network, run: Callable[[], object]) -> list[torch.Tensor]:
    """Largest |activation| of every input channel of every encoder linear layer while `run()` runs `net`
    (such as `lambda: predictor._forward(ids, 64)`)."""
    peaks: list[torch.Tensor | None] = []
    hooks = []
    for _, _, linear in _linears(net):
        slot = len(peaks)
        peaks.append(None)

        def hook(module, inputs, output, slot=slot):
            x = inputs[0].detach().reshape(-1, inputs[0].shape[-1]).abs().amax(0)
            peaks[slot] = x if peaks[slot] is None else torch.maximum(peaks[slot], x)

        hooks.append(linear.register_forward_hook(hook))
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    if any(p is None for p in peaks):
        raise ValueError("calibration ran no text through the network: give it at least one statement")
    return peaks  # type: ignore[return-value]


@torch.no_grad()
def quantize_network(net: Network, peaks: list[torch.Tensor], outliers: int = OUTLIERS) -> Network:
    """Replace the encoder's linear layers, in place, by `OutlierInt8Linear` with the `outliers` largest channels."""
    for (layer, name, linear), peak in zip(list(_linears(net)), peaks, strict=True):
        k = min(outliers, linear.in_features)
        setattr(layer, name, OutlierInt8Linear(linear, peak.topk(k).indices))
    return net
