"""Exercises of notebook 03, "Code challenge: choose the parameters".

Each challenge is a target: an input shape (channels, rows, columns) and the output shape a single
``nn.Conv2d`` must turn it into. Answers are not unique, so :func:`check_challenge` never compares
parameters with ours: it builds the learner's layer in torch, runs a tensor of the input shape
through it (on the "meta" device: shapes only, no memory, no arithmetic) and compares the shape.
:func:`hint` gives three hints per challenge, computed with :func:`convolved.shapes.solve_conv_params`.
The stretch challenge, :func:`check_stack`, runs a small stack of convolution layers (no pooling:
that is notebook 05) on a real tensor and reports the shape after every layer.
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass

import torch
from torch import nn

from ..shapes import ConvParams, solve_conv_params
from . import Feedback, correct, not_attempted, record, reference_answer, register, solution, wrong

__all__ = [
    "CHALLENGES",
    "STACK",
    "WORKED_EXAMPLE",
    "Challenge",
    "Hint",
    "challenge",
    "check_challenge",
    "check_stack",
    "explorer_presets",
    "hint",
    "preferred_solution",
    "shape_text",
    "solution_table",
    "solutions",
]

TIMES = "×"
MAX_KERNEL_SIZE = 11  # solve_conv_params's default bound, used for counts and hints
MAX_STACK_LAYERS = 3
MAX_STACK_KERNEL = 5  # the stack's kernels are at most 5×5, with a stride no larger than the kernel


@dataclass(frozen=True)
class Challenge:
    """A target for one layer (or, for :data:`STACK`, a few): input shape → output shape (C, H, W)."""

    number: int | str
    name: str
    input_shape: tuple[int, int, int]
    output_shape: tuple[int, int, int]

    @property
    def target(self) -> str:
        return f"{shape_text(self.input_shape)} → {shape_text(self.output_shape)}"

    @property
    def label(self) -> str:
        return "the worked example" if self.number == 0 else f"challenge {self.number}"

    @property
    def key(self) -> str:
        """The name of its reference solution (and of its row in the learner's progress)."""
        return "stack" if self.number == "stack" else f"challenge_{self.number}"

    @property
    def heading(self) -> str:
        """The challenge's heading in the notebook."""
        if self.number == "stack":
            return f"Stretch challenge · Convolutions only: {self.target}"
        return f"Challenge {self.number} · {self.name[0].upper()}{self.name[1:]}: {self.target}"


WORKED_EXAMPLE = Challenge(0, "worked example: stride (1, 3)", (1, 256, 256), (1, 252, 84))
CHALLENGES = (
    Challenge(1, "LeNet-5's first layer", (1, 32, 32), (6, 28, 28)),
    Challenge(2, 'a VGG "same" layer', (64, 224, 224), (64, 224, 224)),
    Challenge(3, "halve the size, double the channels", (32, 64, 64), (64, 32, 32)),
    Challenge(4, "AlexNet's first layer", (3, 227, 227), (96, 55, 55)),
    Challenge(5, "AlexNet at 224, the torchvision way", (3, 224, 224), (64, 55, 55)),
    Challenge(6, "a 16:9 video frame, two strides", (3, 90, 160), (16, 45, 32)),
    Challenge(7, "a spectrogram: keep the frequencies, shrink time", (1, 64, 401), (8, 64, 100)),
)
STACK = Challenge("stack", "LeNet-5's features with convolutions only", (1, 32, 32), (16, 5, 5))

CONV_KEYS = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
             "bias", "padding_mode")
SCAFFOLD_KEYS = ("out_channels", "kernel_size", "stride", "padding")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def shape_text(shape) -> str:
    """(3, 227, 227) → "3×227×227"."""
    return TIMES.join(str(int(v)) for v in shape)


def challenge(number) -> Challenge:
    """Challenge ``number`` (0 is the worked example, "stack" the stretch challenge)."""
    if number == "stack":
        return STACK
    if isinstance(number, bool) or not isinstance(number, numbers.Integral) \
            or not 0 <= number <= len(CHALLENGES):
        raise ValueError(f"there is no challenge {number!r}: the challenges are numbered 1 to "
                         f"{len(CHALLENGES)} (0 is the worked example, 'stack' the stretch challenge)")
    return WORKED_EXAMPLE if number == 0 else CHALLENGES[number - 1]


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _axes(ch: Challenge):
    """Per spatial dimension: (name, input size, output size)."""
    return [("rows", ch.input_shape[1], ch.output_shape[1]),
            ("columns", ch.input_shape[2], ch.output_shape[2])]


# ----------------------------------------------------------------------------------------------
# Solutions within bounds: counts, a preferred one, the table


def solutions(number, max_kernel_size: int = MAX_KERNEL_SIZE) -> list[ConvParams]:
    """Every (kernel_size, stride, padding) of challenge ``number`` within solve_conv_params's bounds."""
    ch = challenge(number)
    return solve_conv_params(ch.input_shape[1:], ch.output_shape[1:], max_kernel_size=max_kernel_size)


def _axis_solutions(m: int, n: int, max_kernel_size: int = MAX_KERNEL_SIZE) -> list[ConvParams]:
    return solve_conv_params(m, n, max_kernel_size=max_kernel_size)


def _axis_preference(m: int, option: ConvParams):
    """Odd kernels of 3 or more first (they have a centre), then no unused border pixels, small
    padding, small kernel."""
    k, s, p = option
    exact = (m + 2 * p - k) % s == 0
    return (k < 3, k % 2 == 0, not exact, p, k)


def preferred_solution(number, max_kernel_size: int = MAX_KERNEL_SIZE) -> dict | None:
    """One readable solution of challenge ``number`` as a scaffold dict (None if none in bounds)."""
    ch = challenge(number)
    chosen = []
    for _, m, n in _axes(ch):
        options = _axis_solutions(m, n, max_kernel_size)
        if not options:
            return None
        chosen.append(min(options, key=lambda option, m=m: _axis_preference(m, option)))

    def merge(values):
        return values[0] if values[0] == values[1] else tuple(values)

    return {"out_channels": ch.output_shape[0],
            "kernel_size": merge([c.kernel_size for c in chosen]),
            "stride": merge([c.stride for c in chosen]),
            "padding": merge([c.padding for c in chosen])}


def solution_table(max_kernel_size: int = MAX_KERNEL_SIZE) -> str:
    """How many (kernel, stride, padding) choices reach each target, per dimension and in all."""
    lines = [f"Solutions with kernel ≤ {max_kernel_size}, stride ≤ kernel, padding ≤ kernel // 2 "
             "(out_channels is fixed by the target):",
             f"{'':3} {'target':<27} {'rows':>5} {'cols':>5} {'in all':>7}  name"]
    for ch in (WORKED_EXAMPLE, *CHALLENGES):
        counts = [len(_axis_solutions(m, n, max_kernel_size)) for _, m, n in _axes(ch)]
        total = len(solutions(ch.number, max_kernel_size))
        lines.append(f"{ch.number:>3} {ch.target:<27} {counts[0]:>5} {counts[1]:>5} {total:>7}  "
                     f"{ch.name}")
    return "\n".join(lines)


def explorer_presets() -> dict:
    """Input and target shapes of the worked example and every challenge, for the explorer."""
    return {f"{'example' if ch.number == 0 else f'challenge {ch.number}'}: {ch.target}":
            (ch.input_shape, ch.output_shape) for ch in (WORKED_EXAMPLE, *CHALLENGES)}


# ----------------------------------------------------------------------------------------------
# Hints


@dataclass(frozen=True)
class Hint:
    """A hint, shown as its text."""

    text: str

    def __repr__(self) -> str:
        return self.text


FORMULA = "N = ⌊(M + 2p − k) / s⌋ + 1"


def _same_axes(ch: Challenge) -> bool:
    return ch.input_shape[1] == ch.input_shape[2] and ch.output_shape[1] == ch.output_shape[2]


def _hint_formula(ch: Challenge) -> str:
    c_in, c_out = ch.input_shape[0], ch.output_shape[0]
    lines = [f"Hint 1 for {ch.label} ({ch.target}): one equation per dimension.",
             f"  channels: in_channels = {c_in} is fixed by the input; out_channels = {c_out}, "
             "one kernel per output channel.",
             f"  sizes: {FORMULA}, where M is the input size, k the kernel, s the stride and p the "
             "padding:"]
    axes = _axes(ch)[:1] if _same_axes(ch) else _axes(ch)
    for name, m, n in axes:
        who = "rows and columns:" if _same_axes(ch) else f"{name + ':':<8}"
        lines.append(f"    {who} {n} = ⌊({m} + 2p − k) / s⌋ + 1")
    lines.append("  Find a k, s and p for each dimension (they may differ between rows and columns).")
    return "\n".join(lines)


def _hint_constraint(ch: Challenge) -> str:
    lines = [f"Hint 2 for {ch.label} ({ch.target}): the floor allows a small range.",
             "  ⌊x⌋ = N − 1 means N − 1 ≤ x < N, so (N − 1)·s ≤ M + 2p − k ≤ N·s − 1."]
    axes = _axes(ch)[:1] if _same_axes(ch) else _axes(ch)
    for name, m, n in axes:
        who = "rows and columns" if _same_axes(ch) else name
        options = _axis_solutions(m, n)
        strides = sorted({option.stride for option in options})
        if not strides:
            lines.append(f"  {who} ({m} → {n}): no solution with kernels up to {MAX_KERNEL_SIZE}; "
                         "try a bigger kernel or dilation.")
            continue
        listed = " or ".join(str(s) for s in strides)
        lines.append(f"  {who} ({m} → {n}): the stride can only be {listed} "
                     f"(with k ≤ {MAX_KERNEL_SIZE}, p ≤ k // 2, s ≤ k).")
        for s in strides:
            low, high = (n - 1) * s, n * s - 1
            span = f"{low}" if low == high else f"between {low} and {high}"
            k_low, k_high = m - high, m - low
            k_span = f"= {k_low}" if k_low == k_high else f"between {k_low} and {k_high}"
            lines.append(f"    with s = {s}: {m} + 2p − k must be {span}, so k − 2p {k_span}.")
    return "\n".join(lines)


def _hint_solution(ch: Challenge) -> str:
    answer = preferred_solution(ch.number)
    count = len(solutions(ch.number))
    lines = [f"Hint 3 for {ch.label} ({ch.target}): one solution of {count} "
             f"(kernels up to {MAX_KERNEL_SIZE}):",
             f"  {answer}"]
    for i, (name, m, _) in enumerate(_axes(ch)):
        k, s, p = (_pair(answer[key])[i] for key in ("kernel_size", "stride", "padding"))
        lines.append(f"  {name}: ⌊({m} + {2 * p} − {k}) / {s}⌋ + 1 = {(m + 2 * p - k) // s + 1}")
    return "\n".join(lines)


def _ranges(sizes) -> str:
    """[6, 7, 8, 14, 15] → "6–8, 14–15"."""
    runs: list[list[int]] = []
    for size in sorted(sizes):
        if runs and size == runs[-1][-1] + 1:
            runs[-1].append(size)
        else:
            runs.append([size])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)


def _stack_reach(m: int, n: int) -> list[ConvParams]:
    """One-layer solutions within the stack's rules (kernel ≤ 5, stride ≤ kernel, p ≤ k // 2)."""
    return solve_conv_params(m, n, max_kernel_size=MAX_STACK_KERNEL)


def _stack_hint(step: int) -> str:
    ch = STACK
    m, n = ch.input_shape[1], ch.output_shape[1]
    k = MAX_STACK_KERNEL
    if step == 1:
        return (f"Hint 1 for the stack ({ch.target}): rows and columns alike, one layer at a time.\n"
                f"  Each conv follows {FORMULA}. With k ≤ {k} and s ≤ k, one layer shrinks at most "
                f"about k times: ⌊({m} − {k}) / {k}⌋ + 1 = {(m - k) // k + 1}, not {n}. So you need "
                "at least two layers.\n"
                f"  Channels: the last conv has out_channels = {ch.output_shape[0]}; each conv's "
                "in_channels is the previous conv's out_channels.")
    if step == 2:
        firsts = [size for size in range(n, m + 2 * k) if _stack_reach(m, size)]
        seconds = [size for size in firsts if _stack_reach(size, n)]
        return (f"Hint 2 for the stack: two layers are enough, {m} → M → {n}.\n"
                f"  In one layer (k ≤ {k}, s ≤ k, p ≤ k // 2) {m} can become {_ranges(firsts)}; "
                f"of these, {_ranges(seconds)} can become {n} in one more layer.\n"
                f"  Pick a middle size M and solve two one-layer problems, e.g. with "
                f"shapes.solve_conv_params({m}, M, max_kernel_size={k}).")
    return ("Hint 3 for the stack: one solution, in three layers.\n"
            "  nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),\n"
            "                nn.Conv2d(8, 16, 4, stride=2, padding=1), nn.ReLU(),\n"
            f"                nn.Conv2d(16, {ch.output_shape[0]}, 4, stride=3))\n"
            "  32 → ⌊(32 + 2 − 3) / 1⌋ + 1 = 32 → ⌊(32 + 2 − 4) / 2⌋ + 1 = 16 "
            "→ ⌊(16 + 0 − 4) / 3⌋ + 1 = 5")


def hint(number, step: int = 1) -> Hint:
    """Hint ``step`` (1: the formula with this target's numbers; 2: a constraint; 3: one solution)."""
    try:
        ch = challenge(number)
    except ValueError as error:
        return Hint(f"No hint: {error}.")
    if isinstance(step, bool) or step not in (1, 2, 3):
        return Hint(f"No hint: step must be 1, 2 or 3, got {step!r}.")
    if ch is STACK:
        return Hint(_stack_hint(step))
    return Hint({1: _hint_formula, 2: _hint_constraint, 3: _hint_solution}[step](ch))


# ----------------------------------------------------------------------------------------------
# Checking one layer


class _Refusal(Exception):
    """An answer we can explain without running it: becomes a ✗ with this message and hint."""

    def __init__(self, message: str, hint_text: str):
        super().__init__(message)
        self.message, self.hint = message, hint_text


def _whole(value, name: str, minimum: int, *, allow_pair: bool = True) -> None:
    values = value if allow_pair and isinstance(value, (tuple, list)) else (value,)
    if allow_pair and isinstance(value, (tuple, list)) and len(value) != 2:
        raise _Refusal(f"{name} has {len(value)} entries: {tuple(value)!r}",
                       f"give {name} one int, or a pair (rows, columns).")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            example = {"out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1}.get(name, 1)
            pair = ", or a pair (rows, columns) of ints" if allow_pair else ""
            raise _Refusal(f"{name} must be a whole number, got {v!r} ({type(v).__name__})",
                           f"use an int such as {example}{pair}.")
        if v < minimum:
            what = "0 or more" if minimum == 0 else f"{minimum} or more"
            raise _Refusal(f"{name} must be {what}, got {v}",
                           {"padding": "padding adds rows and columns; it cannot remove them.",
                            "stride": "the stride is the step between windows: 1 means every position."}
                           .get(name, f"{name} counts something: it must be at least {minimum}."))


def _check_settings(settings: dict) -> None:
    """Refuse values torch would reject, or (on the meta device) silently accept."""
    _whole(settings["out_channels"], "out_channels", 1, allow_pair=False)
    _whole(settings["kernel_size"], "kernel_size", 1)
    _whole(settings.get("stride", 1), "stride", 1)
    _whole(settings.get("dilation", 1), "dilation", 1)
    _whole(settings.get("groups", 1), "groups", 1, allow_pair=False)
    padding = settings.get("padding", 0)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise _Refusal(f"padding={padding!r} is not a padding torch knows",
                           "padding is an int, a pair (rows, columns), 'same' or 'valid'.")
    else:
        _whole(padding, "padding", 0)
    mode = settings.get("padding_mode", "zeros")
    if mode not in PADDING_MODES:
        raise _Refusal(f"padding_mode={mode!r} is not a padding mode torch knows",
                       f"padding_mode is one of {', '.join(map(repr, PADDING_MODES))}.")
    if not isinstance(settings.get("bias", True), bool):
        raise _Refusal(f"bias must be True or False, got {settings['bias']!r}",
                       "bias=True (the default) adds one learned number per output channel.")


def _plain(value):
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return int(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value


def _layer_settings(layer) -> dict:
    return {key: getattr(layer, key) for key in CONV_KEYS if key != "bias"} | \
        {"bias": layer.bias is not None}


def _answer_name(number) -> str:
    return "my_layer_5" if number == 5 else f"my_answer_{number}"


def _build_layer(answer, ch: Challenge):
    """The learner's answer as a Conv2d on the meta device, and the settings it was built from."""

    c_in = ch.input_shape[0]
    name = _answer_name(ch.number)
    example = ("{'out_channels': 6, 'kernel_size': 3, 'stride': 1, 'padding': 1} or "
               f"nn.Conv2d({c_in}, 6, kernel_size=3, stride=1, padding=1)")
    if isinstance(answer, nn.Module):
        if not isinstance(answer, nn.Conv2d):
            raise _Refusal(f"{name} is a {type(answer).__name__} layer, not a Conv2d",
                           f"this challenge wants one convolution layer: {example}.")
        settings = _layer_settings(answer)
        if settings["in_channels"] != c_in:
            raise _Refusal(f"your layer has in_channels={settings['in_channels']}, but the input "
                           f"{shape_text(ch.input_shape)} has {c_in} channels",
                           f"in_channels must match the input: nn.Conv2d({c_in}, ...).")
        _check_settings(settings)
        layer = copy.deepcopy(answer).to("meta")
        return layer, settings
    if not isinstance(answer, dict):
        raise _Refusal(f"{name} is a {type(answer).__name__} ({answer!r:.60})",
                       f"give a dict of Conv2d arguments or a layer, e.g. {example}.")
    unknown = [key for key in answer if key not in CONV_KEYS]
    if unknown:
        raise _Refusal(f"{name} has keys Conv2d does not know: {', '.join(map(repr, unknown))}",
                       f"use the names of nn.Conv2d's arguments: {', '.join(CONV_KEYS)}.")
    missing = [key for key in ("out_channels", "kernel_size") if key not in answer]
    if missing:
        raise _Refusal(f"{name} has no {' and no '.join(missing)}",
                       "a Conv2d needs at least out_channels and kernel_size; stride, padding and "
                       "dilation default to 1, 0 and 1.")
    settings = {"in_channels": c_in, **answer}
    if settings["in_channels"] != c_in:
        raise _Refusal(f"in_channels={settings['in_channels']!r}, but the input "
                       f"{shape_text(ch.input_shape)} has {c_in} channels",
                       f"in_channels must match the input ({c_in}); you may also leave it out.")
    _check_settings(settings)
    settings = {key: _plain(value) for key, value in settings.items()}  # np.int64(3) → 3
    layer = nn.Conv2d(**settings, device="meta")
    return layer, settings


def _axis_story(m: int, n_got: int, n_target: int, name: str, k, s, p, d) -> str:
    if isinstance(p, str):
        return f"{name}: padding={p!r} gives {m} → {n_got}, but the target is {n_target}"
    kernel = f"{k}" if d == 1 else f"{d}·({k} − 1) − 1"  # a dilated kernel spans d(k − 1) + 1
    return f"{name}: ⌊({m} + {2 * p} − {kernel}) / {s}⌋ + 1 = {n_got}, but the target is {n_target}"


def _explain_mismatch(ch: Challenge, settings: dict, got: tuple) -> str:
    parts = []
    if got[0] != ch.output_shape[0]:
        parts.append(f"channels: out_channels={got[0]} makes {got[0]} feature maps; the target has "
                     f"{ch.output_shape[0]} (one kernel per output channel)")
    ks, ss, ds = (_pair(settings.get(key, 1)) for key in ("kernel_size", "stride", "dilation"))
    padding = settings.get("padding", 0)
    ps = (padding, padding) if isinstance(padding, str) else _pair(padding)
    stories = [_axis_story(m, got[i + 1], n, name, ks[i], ss[i], ps[i], ds[i])
               for i, (name, m, n) in enumerate(_axes(ch)) if got[i + 1] != n]
    if len(stories) == 2 and stories[0][len("rows"):] == stories[1][len("columns"):]:
        stories = ["rows and columns" + stories[0][len("rows"):]]
    parts += stories
    return "; ".join(parts) + f". Stuck? ex.hint({ch.number}, 1)"


for _challenge in (*CHALLENGES, STACK):
    register(__name__, _challenge.key, _challenge.heading)


def check_challenge(number, answer, batch: int = 1) -> Feedback:
    """✓ when ``answer`` (an ``nn.Conv2d`` or a dict of its arguments) maps challenge ``number``'s
    input shape to its output shape, as torch computes it; ✗ with a hint otherwise."""
    try:
        ch = challenge(number)
    except ValueError as error:
        return wrong(str(error), f"call ex.check_challenge(n, answer) with n from 1 to {len(CHALLENGES)}.")
    if ch is STACK:
        return wrong("the stack is checked by ex.check_stack", "call ex.check_stack(my_stack).")
    if ch is WORKED_EXAMPLE:
        return _check_challenge(ch, answer, batch)
    return record(__name__, ch.key, _check_challenge(ch, reference_answer(ch.key, answer), batch))


def _check_challenge(ch: Challenge, answer, batch: int) -> Feedback:
    name = _answer_name(ch.number)
    if answer is None:
        return not_attempted(f"set {name} for {ch.label} ({ch.target})")
    if isinstance(answer, dict):
        unanswered = [key for key, value in answer.items() if value is None]
        if unanswered:
            return not_attempted(f"fill in {', '.join(unanswered)} in {name} for {ch.label} "
                                 f"({ch.target}); None means “no answer yet”")
    try:

        layer, settings = _build_layer(answer, ch)
        with torch.no_grad():
            out = layer(torch.empty(batch, *ch.input_shape, device="meta"))
    except _Refusal as refusal:
        return wrong(f"{ch.label}: {refusal.message}", refusal.hint)
    except Exception as exc:  # noqa: BLE001 - torch's own complaint becomes feedback
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return wrong(f"{ch.label}: torch could not run your layer ({type(exc).__name__}: {first_line})",
                     f"check each value against {FORMULA}; the kernel must fit in the padded input.")
    got = tuple(out.shape[1:])
    layer_text = repr(layer)
    if got != ch.output_shape:
        return wrong(f"{ch.label}: {layer_text} turns {shape_text(ch.input_shape)} into "
                     f"{shape_text(got)}, not {shape_text(ch.output_shape)}",
                     _explain_mismatch(ch, settings, got))
    count = len(solutions(ch.number))
    return correct(f"{ch.label} solved: {layer_text} turns {shape_text(ch.input_shape)} into "
                   f"{shape_text(got)}. ({count} kernel/stride/padding choices with kernels up to "
                   f"{MAX_KERNEL_SIZE} do it: can you find another?)")


# ----------------------------------------------------------------------------------------------
# The stretch challenge: a small stack of convolution layers, no pooling


def _kind(module) -> str:

    if isinstance(module, nn.Conv2d):
        return "conv"
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveMaxPool2d, nn.AdaptiveAvgPool2d,
                           nn.LPPool2d, nn.FractionalMaxPool2d)):
        return "pool"
    return "other"


def _conv_breaks_rules(module) -> str | None:
    """What a conv layer of the stack does against the rules (kernel ≤ 5, stride ≤ kernel), if any."""
    kernel, stride, dilation = (_pair(getattr(module, key)) for key in ("kernel_size", "stride",
                                                                          "dilation"))
    if dilation != (1, 1):
        return f"{module} is dilated; this challenge keeps dilation at 1"
    if max(kernel) > MAX_STACK_KERNEL:
        return (f"{module} has a {kernel[0]}×{kernel[1]} kernel; the rule is at most "
                f"{MAX_STACK_KERNEL}×{MAX_STACK_KERNEL}")
    if any(s > k for s, k in zip(stride, kernel, strict=True)):
        return (f"{module} has a stride larger than its kernel, so it skips pixels; the rule is "
                "stride ≤ kernel size")
    return None


def check_stack(model, batch: int = 1) -> Feedback:
    """✓ when ``model`` (nn.Sequential or a list of layers) turns 1×32×32 into 16×5×5 with at most
    three Conv2d layers (kernels at most 5×5, stride at most the kernel, no pooling); reports the
    shape after every layer."""
    return record(__name__, STACK.key, _check_stack(reference_answer(STACK.key, model), batch))


def _check_stack(model, batch: int) -> Feedback:
    ch = STACK
    if model is None:
        return not_attempted(f"set my_stack to an nn.Sequential of Conv2d layers ({ch.target})")
    rows = [("input", tuple(ch.input_shape))]  # (layer, shape after it), filled as the stack runs
    try:

        if isinstance(model, (list, tuple)):
            strays = [type(layer).__name__ for layer in model if not isinstance(layer, nn.Module)]
            if strays:
                raise _Refusal(f"my_stack holds things that are not layers: {', '.join(strays)}",
                               "put torch layers in it, e.g. [nn.Conv2d(1, 6, 5), nn.ReLU(), ...].")
            model = nn.Sequential(*model)
        if not isinstance(model, nn.Module):
            raise _Refusal(f"my_stack is a {type(model).__name__}, not a torch layer",
                           "build it with nn.Sequential(nn.Conv2d(...), nn.ReLU(), nn.Conv2d(...)).")
        model = copy.deepcopy(model).eval()
        layers = []  # (module, kind, whether it changed the shape)

        def before(module, inputs):
            if isinstance(module, nn.Conv2d):
                _check_settings(_layer_settings(module))
                channels = inputs[0].shape[1]
                if module.in_channels != channels:
                    raise _Refusal(f"{module} expects in_channels={module.in_channels}, but the "
                                   f"layer before it gives {channels} channels "
                                   f"(shapes so far: {_rows_text(rows)})",
                                   "each conv's in_channels must equal the previous conv's "
                                   "out_channels.")

        def after(module, inputs, output):
            rows.append((repr(module), tuple(output.shape[1:])))
            layers.append((module, _kind(module), tuple(inputs[0].shape[1:]) != tuple(output.shape[1:])))

        leaves = [m for m in model.modules() if not list(m.children())]
        handles = [h for m in leaves for h in (m.register_forward_pre_hook(before),
                                               m.register_forward_hook(after))]
        try:
            with torch.no_grad():
                out = model(torch.zeros(batch, *ch.input_shape))
        finally:
            for handle in handles:
                handle.remove()
    except _Refusal as refusal:
        return wrong(f"stack: {refusal.message}", refusal.hint)
    except Exception as exc:  # noqa: BLE001 - a learner's stack may fail in any way
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return wrong(f"stack: running your stack raised {type(exc).__name__}: {first_line} "
                     f"(shapes so far: {_rows_text(rows)})",
                     "check each layer's kernel against the size it receives (the shapes above).")
    table = _rows_text(rows, multiline=True)
    pools = [module for module, kind, _ in layers if kind == "pool"]
    if pools:
        return wrong(f"stack: your stack uses {type(pools[0]).__name__}, a pooling layer:\n{table}",
                     "this challenge is convolutions only (pooling is notebook 05's subject): let a "
                     "strided Conv2d shrink the maps, as in challenge 3.")
    for module, kind, _ in layers:
        broken = _conv_breaks_rules(module) if kind == "conv" else None
        if broken:
            return wrong(f"stack: {broken}:\n{table}",
                         f"every kernel at most {MAX_STACK_KERNEL}×{MAX_STACK_KERNEL}, stride at most "
                         "the kernel size, dilation 1: use more layers instead (ex.hint('stack', 1)).")
    if not hasattr(out, "shape") or tuple(out.shape[1:]) != ch.output_shape:
        got = shape_text(out.shape[1:]) if hasattr(out, "shape") else type(out).__name__
        return wrong(f"stack: your stack gives {got}, not {shape_text(ch.output_shape)}:\n{table}",
                     "work backwards from 5×5, one layer at a time (ex.hint('stack', 1)).")
    others = [module for module, kind, changes in layers if kind == "other" and changes]
    if others:
        return wrong(f"stack: your stack reaches {shape_text(ch.output_shape)}, but "
                     f"{type(others[0]).__name__} changes the shape:\n{table}",
                     "reach the target with nn.Conv2d layers only; activations such as nn.ReLU() "
                     "are fine, they keep the shape.")
    conv = sum(kind == "conv" for _, kind, _ in layers)
    if conv > MAX_STACK_LAYERS:
        return wrong(f"stack: your stack reaches {shape_text(ch.output_shape)} with {conv} conv "
                     f"layers:\n{table}",
                     f"use at most {MAX_STACK_LAYERS} (LeNet-5 needed two convolutions and two "
                     "pooling layers; can three strided convolutions do it?).")
    return correct(f"stack: {conv} conv layers turn {shape_text(ch.input_shape)} into "
                   f"{shape_text(ch.output_shape)}:\n{table}")


def _rows_text(rows, multiline: bool = False) -> str:
    if not multiline:
        return " → ".join(shape_text(shape) for _, shape in rows)
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"    {name:<{width}}  {shape_text(shape)}" for name, shape in rows)


# ----------------------------------------------------------------------------------------------
# Reference solutions (one of many each)


@solution("challenge_1")
def solution_challenge_1():
    # LeNet-5's own layer C1: six 5×5 kernels, stride 1, no padding
    # channels: 1 in (fixed by the input), 6 out (one kernel per feature map)
    # rows and columns: ⌊(32 + 2·0 − 5) / 1⌋ + 1 = 27 + 1 = 28
    return {"out_channels": 6, "kernel_size": 5, "stride": 1, "padding": 0}


@solution("challenge_2")
def solution_challenge_2():
    # VGG's own layer: 3×3 kernels with padding 1 (at stride 1 the size stays when 2p = k − 1)
    # channels: 64 in, 64 out
    # rows and columns: ⌊(224 + 2·1 − 3) / 1⌋ + 1 = 223 + 1 = 224
    return {"out_channels": 64, "kernel_size": 3, "stride": 1, "padding": 1}


@solution("challenge_3")
def solution_challenge_3():
    # ResNet's downsampling convolution: 3×3, stride 2 (which halves), padding 1
    # channels: 32 in, 64 out
    # rows and columns: ⌊(64 + 2·1 − 3) / 2⌋ + 1 = ⌊31.5⌋ + 1 = 32
    return {"out_channels": 64, "kernel_size": 3, "stride": 2, "padding": 1}


@solution("challenge_4")
def solution_challenge_4():
    # AlexNet's own layer: 11×11 kernels at stride 4, no padding
    # channels: 3 in (colour), 96 out
    # rows and columns: ⌊(227 + 2·0 − 11) / 4⌋ + 1 = ⌊54⌋ + 1 = 55   (216 / 4 is exact)
    return {"out_channels": 96, "kernel_size": 11, "stride": 4, "padding": 0}


@solution("challenge_5")
def solution_challenge_5():
    from torch import nn

    # torchvision's AlexNet: 11×11 kernels at stride 4, padding 2
    # channels: 3 in, 64 out
    # rows and columns: ⌊(224 + 2·2 − 11) / 4⌋ + 1 = ⌊54.25⌋ + 1 = 55
    # (padding 3 works too: ⌊(224 + 2·3 − 11) / 4⌋ + 1 = ⌊54.75⌋ + 1 = 55)
    return nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)


@solution("challenge_6")
def solution_challenge_6():
    # channels: 3 in, 16 out
    # rows:    ⌊(90 + 2·2 − 5) / 2⌋ + 1 = ⌊44.5⌋ + 1 = 45
    # columns: ⌊(160 + 2·0 − 5) / 5⌋ + 1 = ⌊31⌋ + 1 = 32
    return {"out_channels": 16, "kernel_size": 5, "stride": (2, 5), "padding": (2, 0)}


@solution("challenge_7")
def solution_challenge_7():
    # channels: 1 in, 8 out
    # rows (keep the 64 bands): ⌊(64 + 2·1 − 3) / 1⌋ + 1 = 63 + 1 = 64
    # columns (a quarter):      ⌊(401 + 2·0 − 5) / 4⌋ + 1 = ⌊99⌋ + 1 = 100   (396 / 4 is exact)
    return {"out_channels": 8, "kernel_size": (3, 5), "stride": (1, 4), "padding": (1, 0)}


@solution("stack")
def solution_stack():
    from torch import nn

    # rows and columns alike; 5×5 kernels at stride 2 (stride ≤ kernel, so every pixel is read):
    # layer 1: ⌊(32 + 2·0 − 5) / 2⌋ + 1 = ⌊13.5⌋ + 1 = 14
    # layer 2: ⌊(14 + 2·0 − 5) / 2⌋ + 1 = ⌊4.5⌋ + 1 = 5
    # channels: 1 → 6 → 16 (the last conv's out_channels is the target's 16)
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, stride=2), nn.ReLU(),
        nn.Conv2d(6, 16, kernel_size=5, stride=2), nn.ReLU(),
    )


REFERENCE_SOLUTIONS = {1: solution_challenge_1, 2: solution_challenge_2, 3: solution_challenge_3,
                       4: solution_challenge_4, 5: solution_challenge_5, 6: solution_challenge_6,
                       7: solution_challenge_7}
