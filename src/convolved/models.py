"""Small networks for the handwritten digits, and tools to look inside a conv/pool stack.

- :func:`digits_cnn` builds the course's tiny CNN, conv → pool → conv → pool → dense, or the same
  network with strided convolutions in place of the pooling layers;
- :func:`dense_net` builds a fully connected network for the same task;
- :func:`layer_table` lists what each layer produces: shape, channels, pixels, parameters and
  receptive field (:func:`format_layer_table` prints it);
- :func:`input_gradient` back-propagates from one output unit to the input, and
  :func:`nonzero_box` measures the region the gradient reaches: the receptive field, measured.

Models are ``torch.nn.Sequential``, so ``model[:i + 1]`` is the network up to layer ``i``.
"""

from __future__ import annotations

import copy
import functools
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import shapes
from ._validate import as_int, as_tuple, one_of

__all__ = [
    "LayerRow",
    "dense_net",
    "digits_cnn",
    "format_layer_table",
    "global_pool_cnn",
    "input_gradient",
    "layer_table",
    "matching_width",
    "multiply_adds",
    "nonzero_box",
    "with_open_paths",
]

DOWNSAMPLING = ("pool", "stride", "all-conv")


def _channels(channels) -> tuple[int, int]:
    if not isinstance(channels, (tuple, list)) or len(channels) != 2:
        raise ValueError(f"channels must be a pair (first, second) of ints, got {channels!r}")
    return tuple(as_int(c, f"channels[{i}]", minimum=1) for i, c in enumerate(channels))


def digits_cnn(downsample: str = "pool", channels=(8, 16), image_size=8, n_classes: int = 10):
    """A tiny CNN for (1, H, W) images: two 3×3 convolutions with padding 1 (ReLU after each),
    each halving the size, then one dense layer to the classes. How they halve it:

    - ``"pool"``: each convolution is followed by 2×2 max pooling with stride 2 (no parameters);
    - ``"stride"``: each convolution has stride 2 itself, and there is no pooling: the same
      parameters, a quarter of the convolution outputs;
    - ``"all-conv"``: each pooling layer is replaced by a learned 3×3 convolution with stride 2
      (as in the "all convolutional net" of Springenberg et al., 2014): more parameters.
    """

    one_of(downsample, "downsample", DOWNSAMPLING)
    first, second = _channels(channels)
    size = as_tuple(image_size, "image_size", 2, minimum=4)
    n_classes = as_int(n_classes, "n_classes", minimum=2)

    def block(c_in, c_out):
        if downsample == "stride":
            return [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU()]
        conv = [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
        if downsample == "pool":
            return [*conv, nn.MaxPool2d(2)]
        return [*conv, nn.Conv2d(c_out, c_out, 3, stride=2, padding=1), nn.ReLU()]

    layers = [*block(1, first), *block(first, second)]
    with torch.no_grad():  # the flattened size: one blank image through the (tiny) layers
        features = nn.Sequential(*layers)(torch.zeros(1, 1, *size)).shape[1:].numel()
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(features, n_classes))


def dense_net(hidden=(64, 64), image_size=8, n_classes: int = 10):
    """A fully connected network for (1, H, W) images: Flatten, then Linear + ReLU per hidden layer."""

    if not isinstance(hidden, (tuple, list)) or not hidden:
        raise ValueError(f"hidden must be a non-empty list of layer widths, got {hidden!r}")
    widths = [as_int(h, f"hidden[{i}]", minimum=1) for i, h in enumerate(hidden)]
    height, width = as_tuple(image_size, "image_size", 2, minimum=1)
    n_classes = as_int(n_classes, "n_classes", minimum=2)
    layers, previous = [nn.Flatten()], height * width
    for h in widths:
        layers += [nn.Linear(previous, h), nn.ReLU()]
        previous = h
    return nn.Sequential(*layers, nn.Linear(previous, n_classes))


# ----------------------------------------------------------------------------------------------
# What each layer produces


class LayerRow(NamedTuple):
    """One row of :func:`layer_table`; ``receptive_field`` and ``jump`` are None after Flatten."""

    name: str
    shape: tuple[int, ...]  # the output of one example, without the batch axis
    channels: int | None
    pixels: int | None  # per channel (H·W); None for flat outputs
    values: int
    parameters: int
    receptive_field: int | tuple[int, ...] | None
    jump: int | tuple[int, ...] | None


def _short_name(layer) -> str:
    """``Conv2d 3×3, 8→8, stride 2`` style names: kernel, channels, and what is not the default."""
    kind = type(layer).__name__

    def pair(value):
        return tuple(value) if isinstance(value, (tuple, list)) else (value, value)

    def text(value):  # 2 for (2, 2), 2×3 for (2, 3)
        rows, cols = pair(value)
        return str(rows) if rows == cols else f"{rows}×{cols}"

    if hasattr(layer, "kernel_size"):
        kernel = pair(layer.kernel_size)
        stride = pair(layer.stride if layer.stride is not None else layer.kernel_size)
        name = f"{kind} {kernel[0]}×{kernel[1]}"
        if hasattr(layer, "in_channels"):
            name += f", {layer.in_channels}→{layer.out_channels}"
        if stride != (kernel if "Pool" in kind else (1, 1)):
            name += f", stride {text(stride)}"
        if pair(getattr(layer, "dilation", 1)) != (1, 1):
            name += f", dilation {text(layer.dilation)}"
        return name
    if hasattr(layer, "in_features"):
        return f"{kind} {layer.in_features}→{layer.out_features}"
    return kind


def _is_pointwise(layer, before, after) -> bool:
    """Activations, dropout, identity: no parameters, no window, the same shape out as in."""
    return (not any(True for _ in layer.parameters()) and not hasattr(layer, "kernel_size")
            and tuple(before) == tuple(after))


def layer_table(model, input_shape, include_pointwise: bool = False) -> list[LayerRow]:
    """Run a copy of ``model`` (an ``nn.Sequential``) on one blank input of ``input_shape``
    (C, H, W) and describe each layer's output. Pointwise layers (ReLU, dropout) are left out unless asked.

    The first row is the input itself. Receptive fields come from
    :func:`convolved.shapes.receptive_field` of the layers so far; after a Flatten every output
    depends on the whole input, and the field is None.
    """

    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
    shape = tuple(as_int(v, f"input_shape[{i}]", minimum=1) for i, v in enumerate(input_shape))
    layers = list(model)
    shadows = list(copy.deepcopy(model).eval())  # a copy runs the blank input: the model is untouched
    rows = [LayerRow("input", shape, shape[0], shape[1] * shape[2], int(np.prod(shape)), 0, 1, 1)]
    flat = False
    x = torch.zeros(1, *shape)
    with torch.no_grad():
        for i, (layer, shadow) in enumerate(zip(layers, shadows, strict=True)):
            before, x = x.shape, shadow(x)
            out = tuple(x.shape[1:])
            flat = flat or len(out) != 3
            if not include_pointwise and _is_pointwise(layer, before, x.shape):
                continue
            field = jump = None
            if not flat:
                try:
                    field, jump = shapes.receptive_field(layers[:i + 1])
                except ValueError:  # no conv or pool layer yet
                    field, jump = 1, 1
            rows.append(LayerRow(_short_name(layer), out, out[0] if len(out) == 3 else None,
                                 out[1] * out[2] if len(out) == 3 else None, int(np.prod(out)),
                                 sum(p.numel() for p in layer.parameters()), field, jump))
    return rows


def format_layer_table(rows: list[LayerRow]) -> str:
    """The rows of :func:`layer_table` as an aligned text table."""

    def text(value):
        if value is None:
            return "—"
        if isinstance(value, tuple) and len(set(value)) == 1 and len(value) == 2:
            value = value[0]
        return "×".join(map(str, value)) if isinstance(value, tuple) else f"{value:,}"

    header = ("layer", "output (C, H, W)", "channels", "pixels", "values", "parameters",
              "receptive field", "jump")
    body = [(row.name, str(row.shape), text(row.channels), text(row.pixels), text(row.values),
             text(row.parameters), "whole input" if row.receptive_field is None and row.name != "input"
             else text(row.receptive_field), text(row.jump)) for row in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip()
             for line in [header, *body]]
    return "\n".join([lines[0], "─" * len(lines[0]), *lines[1:]])


# ----------------------------------------------------------------------------------------------
# The receptive field, measured with gradients


@functools.cache
def _open_max_pool_class():
    """nn.MaxPool2d's stand-in for :func:`with_open_paths` (defined on first use: torch is slow to import)."""

    class OpenMaxPool(nn.Module):
        """Sums each window that the max pooling it replaces would read: same windows, same
        output size (padding and ceil_mode included), but gradient flows to every pixel."""

        def __init__(self, pool):
            super().__init__()
            self.pool = pool

        def forward(self, x):
            pool = self.pool
            (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
                as_tuple(v, name, 2) for v, name in [(pool.kernel_size, "kernel_size"),
                                                      (pool.stride, "stride"), (pool.padding, "padding"),
                                                      (pool.dilation, "dilation")])
            batch, channels, height, width = x.shape
            oh, ow = shapes.pool_output_size((height, width), (kh, kw), (sh, sw), (ph, pw), (dh, dw),
                                             pool.ceil_mode)
            # ceil_mode's last window may hang past the padding: pad that far side too.
            extra_h = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - (height + 2 * ph))
            extra_w = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - (width + 2 * pw))
            flat = F.pad(x.reshape(batch * channels, 1, height, width),
                         (pw, pw + extra_w, ph, ph + extra_h))
            out = F.conv2d(flat, x.new_ones(1, 1, kh, kw), stride=(sh, sw), dilation=(dh, dw))
            return out.reshape(batch, channels, oh, ow)

    return OpenMaxPool


_POINTWISE = ("ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Tanh", "Sigmoid", "Hardtanh",
              "Dropout", "Dropout2d")


def with_open_paths(model):
    """A copy of ``model`` in which every input pixel that *can* affect an output does.

    Convolution and linear weights become 1 and biases 0, activations and dropout become the
    identity, and max pooling becomes a sum over the same windows (a max sends its gradient to
    one winner only). Back-propagating through the copy then reaches exactly the receptive field.
    """

    model = copy.deepcopy(model).eval()

    def open_up(module):
        for name, child in module.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(module, name, _open_max_pool_class()(child))
            elif type(child).__name__ in _POINTWISE:
                setattr(module, name, nn.Identity())
            else:
                open_up(child)

    open_up(model)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.fill_(1.0)
                if module.bias is not None:
                    module.bias.zero_()
    return model


def input_gradient(model, input_shape=None, *, unit=None, open_paths: bool = True, input=None):
    """|∂ output unit / ∂ input|, summed over input channels: an (H, W) NumPy array.

    Give ``input_shape`` (C, H, W) to start from an input of ones, or an ``input`` tensor
    (C, H, W) or (1, C, H, W). ``unit`` picks the output: (channel, row, column) for feature maps,
    default channel 0 at the centre; an int for flat outputs, default 0. With ``open_paths``
    (default) the gradient goes through :func:`with_open_paths`, so its non-zero region is the
    whole receptive field; without it, ReLUs and max pooling decide which pixels it reaches.
    """

    if not isinstance(open_paths, bool):
        raise TypeError(f"open_paths must be True or False, got {open_paths!r}")
    if (input is None) == (input_shape is None):
        raise ValueError("give exactly one of input_shape (C, H, W) and input (a tensor)")
    if input is None:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
            raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
        shape = tuple(as_int(v, f"input_shape[{i}]", minimum=1) for i, v in enumerate(input_shape))
        x = torch.ones(1, *shape)
    else:
        x = torch.as_tensor(input, dtype=torch.float32).detach().clone()
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[0] != 1:
            raise ValueError(f"input must be (C, H, W) or (1, C, H, W), got shape {tuple(x.shape)}")
    net = with_open_paths(model) if open_paths else model
    x.requires_grad_(True)
    out = net(x)[0]
    if out.ndim == 3:
        c, h, w = unit if unit is not None else (0, out.shape[1] // 2, out.shape[2] // 2)
        if not (0 <= c < out.shape[0] and 0 <= h < out.shape[1] and 0 <= w < out.shape[2]):
            raise ValueError(f"unit must index the output of shape {tuple(out.shape)}, got {unit!r}")
        chosen = out[c, h, w]
    elif out.ndim == 1:
        index = 0 if unit is None else as_int(unit, "unit", minimum=0)
        if index >= out.shape[0]:
            raise ValueError(f"unit must be below {out.shape[0]}, got {index}")
        chosen = out[index]
    else:
        raise ValueError(f"the model's output must be (C, H, W) or flat per example, got {tuple(out.shape)}")
    (grad,) = torch.autograd.grad(chosen, x)
    return grad[0].abs().sum(0).numpy()


def nonzero_box(gradient) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the smallest box holding every non-zero entry of a 2-D array.

    For an :func:`input_gradient`, height × width is the receptive field, as long as the box does
    not touch the input's border (there the image, not the network, would limit it).
    """
    array = np.asarray(gradient)
    if array.ndim != 2:
        raise ValueError(f"gradient must be a 2-D array, got shape {array.shape}")
    rows, cols = np.nonzero(array)
    if rows.size == 0:
        return (0, 0, 0, 0)
    return (int(rows.min()), int(cols.min()), int(rows.max() - rows.min() + 1),
            int(cols.max() - cols.min() + 1))


# ----------------------------------------------------------------------------------------------
# Global pooling, a dense net of a given size, and the cost of a forward pass


def global_pool_cnn(channels=(8, 16), n_classes: int = 10):
    """The ``"pool"`` CNN of :func:`digits_cnn` with global average pooling before its dense layer.

    ``nn.AdaptiveAvgPool2d(1)`` turns each channel of the last feature maps into one number, its
    mean, so the dense layer reads one number per channel whatever the image size: the network
    takes (1, H, W) images of any size from 4×4 up, and its parameter count does not depend on it.

    >>> import torch
    >>> model = global_pool_cnn((8, 16))
    >>> [tuple(model(torch.zeros(1, 1, side, side)).shape) for side in (8, 28)]
    [(1, 10), (1, 10)]
    >>> sum(p.numel() for p in model.parameters())  # 80 + 1,168 + (16 + 1)·10
    1418
    """

    first, second = _channels(channels)
    n_classes = as_int(n_classes, "n_classes", minimum=2)
    return nn.Sequential(nn.Conv2d(1, first, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(first, second, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(second, n_classes))


def matching_width(n_parameters: int, image_size=8, n_classes: int = 10) -> int:
    """The width of one hidden layer that gives ``dense_net([width])`` the parameter count
    closest to ``n_parameters``: a dense network on the same parameter budget as another model.

    One hidden layer of width h on P pixels has (P + 1)·h + (h + 1)·n_classes parameters.

    >>> matching_width(1898)  # the parameters of digits_cnn("pool")
    25
    >>> sum(p.numel() for p in dense_net([25]).parameters())  # 65·25 + 26·10
    1885
    """
    n_parameters = as_int(n_parameters, "n_parameters", minimum=1)
    height, width = as_tuple(image_size, "image_size", 2, minimum=1)
    n_classes = as_int(n_classes, "n_classes", minimum=2)
    per_unit = height * width + 1 + n_classes  # each hidden unit: its weights and bias, its outgoing weights
    return max(1, round((n_parameters - n_classes) / per_unit))


def multiply_adds(model, input_shape) -> int:
    """Multiply-adds of one forward pass of ``model`` (an ``nn.Sequential``) on one input of
    ``input_shape`` (C, H, W).

    Each ``Conv2d`` costs :func:`convolved.shapes.conv_multiply_adds` at the size it outputs,
    each ``Linear`` in_features × out_features; pooling, activations and additions of biases are
    not counted (a max or a mean over a window is a few comparisons or additions per output,
    no multiplications by weights). torch's ``FlopCounterMode`` counts the same work as
    2 operations per multiply-add.

    >>> multiply_adds(digits_cnn("pool"), (1, 8, 8))  # 8·8·8·1·9 + 16·4·4·8·9 + 64·10
    23680
    >>> multiply_adds(digits_cnn("stride"), (1, 8, 8))  # 8·4·4·1·9 + 16·2·2·8·9 + 64·10
    6400
    """

    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
    shape = tuple(as_int(v, f"input_shape[{i}]", minimum=1) for i, v in enumerate(input_shape))
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential, got {type(model).__name__}")

    def layers(sequence):  # nested Sequentials run their layers in order
        for layer in sequence:
            yield from layers(layer) if isinstance(layer, nn.Sequential) else [layer]

    total = 0
    x = torch.zeros(1, *shape)
    with torch.no_grad():
        for layer in layers(copy.deepcopy(model).eval()):
            x = layer(x)
            if isinstance(layer, nn.Conv2d):
                total += shapes.conv_multiply_adds(layer.in_channels, layer.out_channels, layer.kernel_size,
                                                   tuple(x.shape[-2:]), groups=layer.groups)
            elif isinstance(layer, nn.Linear):
                total += layer.in_features * layer.out_features
            elif any(True for _ in layer.parameters()):
                raise ValueError(f"multiply_adds counts Conv2d and Linear layers only, not "
                                 f"{type(layer).__name__}")
    return total
