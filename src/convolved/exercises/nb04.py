"""Exercises of notebook 04, "Transpose convolution"."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import checker, correct, is_whole, not_attempted, rounded, solution, wrong
from .kinds import check_shapes, first_disagreement

# ----------------------------------------------------------------------------------------------
# Exercise 1: predict the output shapes of transpose convolutions

#: (description, input shape, ConvTranspose2d keyword arguments) of the layers to predict.
SHAPE_QUESTIONS = [
    ("a 3×3 kernel, stride 1", (1, 8, 7, 7),
     {"in_channels": 8, "out_channels": 4, "kernel_size": 3}),
    ("a 4×4 kernel, stride 2, padding 1 (the usual 2× upsampler)", (2, 64, 16, 16),
     {"in_channels": 64, "out_channels": 32, "kernel_size": 4, "stride": 2, "padding": 1}),
    ("a 3×3 kernel, stride 2, padding 1, output_padding 1", (1, 16, 5, 5),
     {"in_channels": 16, "out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1,
      "output_padding": 1}),
    ("a 1×5 kernel, strides (1, 3), padding (0, 1)", (1, 3, 10, 10),
     {"in_channels": 3, "out_channels": 6, "kernel_size": (1, 5), "stride": (1, 3),
      "padding": (0, 1)}),
]


def _true_shape(input_shape, layer_kwargs) -> tuple[int, ...]:

    layer = nn.ConvTranspose2d(**layer_kwargs)  # on the CPU: torch checks output_padding there
    return tuple(layer(torch.zeros(input_shape)).shape)


def shape_questions() -> str:
    """The layers of exercise 1, one line each, as the learner reads them."""
    lines = []
    for number, (_, input_shape, kwargs) in enumerate(SHAPE_QUESTIONS, start=1):
        arguments = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
        lines.append(f"layer {number}: nn.ConvTranspose2d({arguments}) on input {input_shape}")
    return "\n".join(lines)


@solution("transpose_shapes")
def solution_output_shapes():
    # Each side: N = s(M − 1) + k − 2p + output_padding; the batch stays, C becomes out_channels.
    # layer 1: rows and columns 1·(7 − 1) + 3 − 2·0 = 9
    # layer 2: rows and columns 2·(16 − 1) + 4 − 2·1 = 32           (batch 2, 32 channels)
    # layer 3: rows and columns 2·(5 − 1) + 3 − 2·1 + 1 = 10
    # layer 4: rows 1·(10 − 1) + 1 − 2·0 = 10; columns 3·(10 − 1) + 5 − 2·1 = 30
    return [(1, 4, 9, 9), (2, 32, 32, 32), (1, 1, 10, 10), (1, 6, 10, 30)]


@checker("fill my_shapes with one (N, C, H, W) tuple per layer",
         solution='transpose_shapes', title='Exercise 1 · Predict the output shapes')
def check_output_shapes(my_shapes):
    """Each predicted shape must equal the shape the layer produces in torch."""

    def hint(question, answer, expected):
        _, shape, kwargs = question
        if answer[:2] == expected[:2]:
            return _guess_spatial(answer[2:], shape[2:], kwargs) or (
                "the batch and channels are right; recompute H and W with "
                "s(M − 1) + k − 2p + output_padding, one dimension at a time.")
        if answer[1] == kwargs["in_channels"] and answer[1] != kwargs["out_channels"]:
            return ("C is the number of output channels: ConvTranspose2d(in_channels, out_channels, "
                    "...) makes out_channels maps, like Conv2d.")
        return ("N stays the batch size and C becomes out_channels (the second argument of "
                "ConvTranspose2d); each side follows N_out = s(M − 1) + k − 2p + output_padding.")

    return check_shapes(my_shapes, "my_shapes", SHAPE_QUESTIONS, example="(1, 4, 9, 9)",
                        true_shape=lambda question: _true_shape(*question[1:]), hint=hint)


def _guess_spatial(answer, sizes, kwargs) -> str | None:
    """A specific hint when the spatial answer matches a typical slip."""
    from convolved.shapes import conv_output_size

    def pair(value):
        return tuple(value) if isinstance(value, tuple) else (value, value)

    k, s, p = pair(kwargs["kernel_size"]), pair(kwargs.get("stride", 1)), pair(kwargs.get("padding", 0))
    op = pair(kwargs.get("output_padding", 0))
    slips = {
        "that is the size of a forward Conv2d with these settings: a transpose convolution "
        "enlarges, N = s(M − 1) + k − 2p + output_padding.":
            [conv_output_size(m, kk, ss, pp) if m + 2 * pp >= kk else None
             for m, kk, ss, pp in zip(sizes, k, s, p, strict=True)],
        "padding crops the output of a transpose convolution: subtract 2p, do not add it.":
            [ss * (m - 1) + kk + 2 * pp + o for m, kk, ss, pp, o in zip(sizes, k, s, p, op, strict=True)],
        "the stride multiplies M − 1, not M: the last kernel copy starts at s(M − 1).":
            [ss * m + kk - 2 * pp + o for m, kk, ss, pp, o in zip(sizes, k, s, p, op, strict=True)],
        "output_padding adds its rows and columns once, on one side: + output_padding.":
            [ss * (m - 1) + kk - 2 * pp for m, kk, ss, pp in zip(sizes, k, s, p, strict=True)],
    }
    for hint, guess in slips.items():
        if list(answer) == guess:
            return hint
    return None


# ----------------------------------------------------------------------------------------------
# Exercise 2: an exact 3× upsampler whose kernel copies overlap evenly

UPSAMPLE_IN, UPSAMPLE_OUT, UPSAMPLE_FACTOR = 16, 48, 3
_UPSAMPLE_KEYS = ("kernel_size", "stride", "padding", "output_padding")
CHECKERBOARD_NOTE = ("Even coverage removes the uneven overlap, but a learned kernel can still produce a "
                     "checkerboard (Odena, Dumoulin and Olah, 2016): resizing, then convolving, is the "
                     "reliable fix.")


@solution("upsampler")
def solution_upsampler():
    # stride 3: copies 3 pixels apart; kernel 6, a multiple of 3 and larger than 3: even overlap.
    # rows and columns: 3·(16 − 1) + 6 − 2·2 + 1 = 45 + 6 − 4 + 1 = 48   (output_padding 1 < stride 3)
    # (kernel 9, padding 3 works too: 3·(16 − 1) + 9 − 2·3 + 0 = 48)
    return {"kernel_size": 6, "stride": 3, "padding": 2, "output_padding": 1}


def _layer_settings(answer) -> dict:
    """A dict of ConvTranspose2d arguments, or a ConvTranspose2d layer → its square settings."""

    if isinstance(answer, nn.ConvTranspose2d):
        return {"kernel_size": answer.kernel_size, "stride": answer.stride,
                "padding": answer.padding, "output_padding": answer.output_padding,
                "dilation": answer.dilation, "in_channels": answer.in_channels}
    if not isinstance(answer, dict):
        raise TypeError("expected a dict or an nn.ConvTranspose2d")
    return dict(answer)


@checker("fill in my_upsampler's kernel_size, stride and padding",
         solution='upsampler', title='Exercise 2 · A 3× upsampler with evenly overlapping copies')
def check_upsampler(my_upsampler):
    """A ConvTranspose2d that turns 16×16 into exactly 48×48, stride 3, kernel copies that overlap
    (kernel larger than the stride) and cover every interior pixel equally often."""

    try:
        settings = _layer_settings(my_upsampler)
    except TypeError:
        return wrong(f"my_upsampler is {my_upsampler!r}",
                     "give a dict like {'kernel_size': ..., 'stride': ..., 'padding': ...} or an "
                     "nn.ConvTranspose2d(1, 1, ...).")
    if isinstance(my_upsampler, dict):
        unknown = sorted(set(settings) - set(_UPSAMPLE_KEYS))
        if unknown:
            return wrong(f"my_upsampler has the unexpected key(s) {unknown}",
                         f"use only {', '.join(_UPSAMPLE_KEYS)} (output_padding may be left out).")
        if all(settings.get(key) is None for key in _UPSAMPLE_KEYS[:3]):
            return not_attempted("fill in my_upsampler's kernel_size, stride and padding")
        if settings.get("output_padding") is None:
            settings["output_padding"] = 0
        missing = [key for key in _UPSAMPLE_KEYS if settings.get(key) is None]
        if missing:
            return wrong(f"{' and '.join(missing)} still None", "give every setting a whole number.")
        for key in _UPSAMPLE_KEYS:
            value = settings[key]
            values = value if isinstance(value, tuple) and len(value) == 2 else (value,)
            if not all(is_whole(v) for v in values):
                return wrong(f"{key} is {value!r}", "use whole numbers (or (rows, columns) pairs).")
            smallest = 1 if key in ("kernel_size", "stride") else 0
            if min(values) < smallest:
                return wrong(f"{key} is {value!r}", f"{key} must be at least {smallest}.")
        layer = nn.ConvTranspose2d(1, 1, settings["kernel_size"], stride=settings["stride"],
                                   padding=settings["padding"],
                                   output_padding=settings["output_padding"])
    else:
        layer = my_upsampler
        if settings["in_channels"] != 1:
            return wrong(f"your layer expects {settings['in_channels']} input channels",
                         "build it as nn.ConvTranspose2d(1, 1, ...): one channel in, one out.")
    try:
        with torch.no_grad():
            size = tuple(layer(torch.zeros(1, layer.in_channels, UPSAMPLE_IN, UPSAMPLE_IN)).shape[2:])
    except RuntimeError as error:
        first_line = str(error).splitlines()[0]
        return wrong(f"torch refuses this layer: {first_line}",
                     "output_padding must be smaller than the stride, and padding may not crop "
                     "the whole output.")
    ks, ss = layer.kernel_size, layer.stride
    description = (f"kernel {_pair_text(ks)}, stride {_pair_text(ss)}, padding "
                   f"{_pair_text(layer.padding)}, output_padding {_pair_text(layer.output_padding)}")
    m, n, f = UPSAMPLE_IN, UPSAMPLE_OUT, UPSAMPLE_FACTOR
    if layer.dilation != (1, 1):
        return wrong(f"your layer has dilation {_pair_text(layer.dilation)}",
                     "leave dilation at 1 for this exercise.")
    if size != (n, n):
        axis = 0 if size[0] != n else 1
        k, s, p, op = ks[axis], ss[axis], layer.padding[axis], layer.output_padding[axis]
        return wrong(f"with {description} the {m}×{m} input becomes {size[0]}×{size[1]}",
                     f"N = s(M − 1) + k − 2p + output_padding = {s}·{m - 1} + {k} − {2 * p} + {op} = "
                     f"{s * (m - 1) + k - 2 * p + op} for the {('rows', 'columns')[axis]}; you need "
                     f"{n}. Start from stride {f}, and remember output_padding (smaller than the stride).")
    if ss != (f, f):
        return wrong(f"{description} gives {n}×{n}, but with stride {_pair_text(ss)}",
                     f"a {f}× upsampler places the copies of neighbouring input pixels {f} output pixels "
                     f"apart: stride {f}, so that each input pixel stands for a {f}×{f} block.")
    for axis, (k, s) in zip(("rows", "columns"), zip(ks, ss, strict=True), strict=True):
        if k < s:
            return wrong(f"{description} gives {n}×{n}, but along the {axis} the kernel ({k}) is "
                         f"shorter than the stride ({s}): some output pixels get no copy at all",
                         "the kernel must be larger than the stride, so that neighbouring copies overlap.")
        if k == s:
            return wrong(f"{description} gives {n}×{n}, but along the {axis} the copies only touch: "
                         f"each input pixel paints its own {s}-pixel block (a blocky resize)",
                         "make the kernel larger than the stride, so neighbouring copies overlap and "
                         "blend, but keep it a multiple of the stride.")
        if k % s:
            return wrong(f"{description} gives {n}×{n}, but with uneven overlap: along the {axis} the "
                         f"kernel size {k} is not a multiple of the stride {s}, so some output pixels get "
                         "more kernel copies than their neighbours (a checkerboard, even with equal weights)",
                         "choose a kernel size the stride divides, larger than the stride, and adjust "
                         "the padding and output_padding.")
    return correct(f"{description}: {m}×{m} → {n}×{n}; the copies overlap, and the stride divides the "
                   "kernel, so every interior pixel gets the same number of kernel copies. "
                   + CHECKERBOARD_NOTE)


def _pair_text(value) -> str:
    value = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    return str(value[0]) if value[0] == value[1] else f"{value}"


# ----------------------------------------------------------------------------------------------
# Exercise 3: the scatter loop of a 1-D transpose convolution


@solution("conv_transpose1d")
def solution_conv_transpose1d(signal, kernel, stride=1, padding=0):
    # Every input value stamps a scaled copy of the kernel, copies `stride` apart; then crop.
    k = len(kernel)
    canvas = np.zeros(stride * (len(signal) - 1) + k)
    for i in range(len(signal)):
        canvas[i * stride:i * stride + k] += signal[i] * kernel
    return canvas[padding:len(canvas) - padding]


def _transpose1d_cases(count=40, seed=4):
    """Random (signal, kernel, stride, padding) cases, the first one small and readable."""
    rng = np.random.default_rng(seed)
    cases = [(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, -1.0]), 1, 0),
             (np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]), 2, 0)]
    for _ in range(count):
        k, s = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        m = int(rng.integers(1, 10))
        n_full = s * (m - 1) + k
        p = int(rng.integers(0, (n_full - 1) // 2 + 1))  # keep at least one output value
        cases.append((rng.standard_normal(m), rng.standard_normal(k), s, p))
    return cases


def _transpose1d_torch(signal, kernel, stride, padding):

    return F.conv_transpose1d(torch.tensor(signal)[None, None], torch.tensor(kernel)[None, None],
                              stride=stride, padding=padding)[0, 0].numpy()




@checker("write the loop in my_conv_transpose1d so that it returns the output",
         solution='conv_transpose1d', title='Exercise 3 · The scatter loop in 1-D')
def check_conv_transpose1d(my_conv_transpose1d):
    """Compare ``my_conv_transpose1d(signal, kernel, stride, padding)`` with ``F.conv_transpose1d``."""

    def describe(signal, kernel, stride, padding):
        if len(signal) <= 4:
            return f"signal={rounded(signal)}, kernel={rounded(kernel)}, stride={stride}, padding={padding}"
        return (f"a signal of length {len(signal)}, a kernel of length {len(kernel)}, "
                f"stride={stride}, padding={padding}")

    def shape_hint(case, got, expected):
        signal, kernel, stride, padding = case
        if padding and len(got) == stride * (len(signal) - 1) + len(kernel):
            return "you kept the padding: crop `padding` values from each end of the canvas."
        if len(got) == (len(signal) - len(kernel)) // stride + 1:
            return ("that is the length of a forward convolution; a transpose convolution "
                    "scatters, and its output is longer than its input.")
        return ("the output has stride·(len(signal) − 1) + len(kernel) − 2·padding values: "
                "build the full canvas, then crop `padding` values from each end.")

    def flipped(case, got):
        signal, kernel, stride, padding = case
        if np.allclose(kernel, kernel[::-1]):
            return None
        if np.allclose(got, _transpose1d_torch(signal, kernel[::-1].copy(), stride, padding), atol=1e-6):
            return wrong(f"for {describe(*case)} you placed the kernel flipped",
                         "copy the kernel as it is: canvas[i·stride + j] += signal[i]·kernel[j].")
        return None

    cases = _transpose1d_cases()
    problem = first_disagreement(
        my_conv_transpose1d, cases, signature="my_conv_transpose1d(signal, kernel, stride=1, padding=0)",
        todo="fill in my_conv_transpose1d so that it returns the output",
        crash_hint="make the canvas long enough for the last copy: it starts at "
                   "stride·(len(signal) − 1) and is len(kernel) long.",
        shape="one per output position", describe=describe, torch_output=_transpose1d_torch,
        shape_hint=shape_hint, mistake=flipped,
        value_hint=lambda *_: ("canvas[i·stride + j] += signal[i]·kernel[j] for every i and j (add, do not "
                               "overwrite: copies overlap), then crop `padding` from each end."))
    if problem is not None:
        return problem
    return correct(f"my_conv_transpose1d matches torch.nn.functional.conv_transpose1d on {len(cases)} "
                   "cases (random lengths, strides 1–3, paddings).")
