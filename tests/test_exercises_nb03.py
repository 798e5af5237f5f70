"""Notebook 03's challenges: every valid answer passes, wrong ones get a hint, never a traceback."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from helpers import assert_wrong_with_hint
from torch import nn

from convolved.exercises import nb03, reveal
from convolved.shapes import conv_output_size, solve_conv_params

NUMBERS = [ch.number for ch in nb03.CHALLENGES]




def as_dict(params, out_channels: int) -> dict:
    return {"out_channels": out_channels, "kernel_size": params.kernel_size, "stride": params.stride,
            "padding": params.padding}


class TestChallenges:
    def test_at_least_six_challenges_with_the_promised_architectures(self):
        assert len(nb03.CHALLENGES) >= 6
        assert list(range(1, len(NUMBERS) + 1)) == NUMBERS
        targets = {(ch.input_shape, ch.output_shape) for ch in nb03.CHALLENGES}
        assert ((1, 32, 32), (6, 28, 28)) in targets  # LeNet-5 C1
        assert ((3, 227, 227), (96, 55, 55)) in targets  # AlexNet conv1
        assert ((64, 224, 224), (64, 224, 224)) in targets  # VGG "same"
        assert any(ch.input_shape[1] != ch.input_shape[2] for ch in nb03.CHALLENGES)  # non-square

    def test_every_target_is_reachable_within_the_solver_bounds(self):
        for number in [0, *NUMBERS]:
            assert nb03.solutions(number), number

    def test_the_alexnet_story_numbers(self):
        assert (224 - 11) / 4 + 1 == 54.25 and conv_output_size(224, 11, 4) == 54
        assert (227 - 11) / 4 + 1 == 55 and conv_output_size(227, 11, 4) == 55
        assert conv_output_size(224, 11, 4, 2) == 55  # torchvision's padding 2
        # the key points' claim: from 224, exactly paddings 2 and 3 give 55
        assert [p for p in range(8) if conv_output_size(224, 11, 4, p) == 55] == [2, 3]

    def test_worked_example(self):
        layer = nn.Conv2d(1, 1, kernel_size=5, stride=(1, 3))
        assert layer(torch.zeros(1, 1, 256, 256)).shape == (1, 1, 252, 84)
        assert nb03.check_challenge(0, layer).passed


class TestCheckChallenge:
    @pytest.mark.parametrize("number", NUMBERS)
    def test_reference_solution_passes(self, number):
        assert nb03.check_challenge(number, nb03.REFERENCE_SOLUTIONS[number]()).passed

    @pytest.mark.parametrize("number", NUMBERS)
    def test_every_solver_solution_passes_as_a_dict_and_as_a_layer(self, number):
        ch = nb03.challenge(number)
        options = nb03.solutions(number)
        # every solution for the small count, an even spread of them for the big ones
        for params in options[:: max(1, len(options) // 25)]:
            answer = as_dict(params, ch.output_shape[0])
            assert nb03.check_challenge(number, answer).passed, answer
        layer = nn.Conv2d(ch.input_shape[0], ch.output_shape[0], *options[-1])
        assert nb03.check_challenge(number, layer).passed

    def test_answers_outside_the_solver_bounds_pass_too(self):
        dilated = nn.Conv2d(3, 96, kernel_size=6, stride=4, dilation=2)  # spans 11 pixels, like k=11
        assert nb03.check_challenge(4, dilated).passed
        assert nb03.check_challenge(1, {"out_channels": 6, "kernel_size": 3, "dilation": 2}).passed
        assert nb03.check_challenge(1, {"out_channels": 6, "kernel_size": 13, "padding": 4}).passed
        assert nb03.check_challenge(3, {"out_channels": 64, "kernel_size": 1, "stride": 2}).passed
        assert nb03.check_challenge(2, {"out_channels": 64, "kernel_size": 3, "padding": "same"}).passed
        assert nb03.check_challenge(2, nn.Conv2d(64, 64, 3, padding=1, padding_mode="reflect")).passed
        assert nb03.check_challenge(2, nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False)).passed
        assert nb03.check_challenge(1, {"in_channels": 1, "out_channels": 6, "kernel_size": 5}).passed
        numpy_ints = {"out_channels": np.int64(6), "kernel_size": np.int64(5), "stride": (1, 1)}
        assert nb03.check_challenge(1, numpy_ints).passed
        assert nb03.check_challenge(6, {"out_channels": 16, "kernel_size": [3, 5], "stride": [2, 5],
                                        "padding": [1, 0]}).passed
        assert nb03.check_challenge(1, nb03.solution_challenge_1(), batch=4).passed

    def test_the_checker_does_not_change_the_learners_layer(self):
        layer = nn.Conv2d(1, 6, 5)
        weight = layer.weight.detach().clone()
        assert nb03.check_challenge(1, layer).passed
        assert layer.weight.device.type == "cpu" and torch.equal(layer.weight, weight)

    @pytest.mark.parametrize(
        ("number", "answer", "fragments"),
        [
            (1, {"out_channels": 6, "kernel_size": 3, "stride": 1, "padding": 1},
             ["into 6×32×32", "rows and columns: ⌊(32 + 2 − 3) / 1⌋ + 1 = 32, but the target is 28"]),
            (1, {"out_channels": 8, "kernel_size": 5, "stride": 1, "padding": 0},
             ["into 8×28×28", "out_channels=8", "the target has 6"]),
            (4, {"out_channels": 96, "kernel_size": 11, "stride": 4, "padding": 0, "dilation": 2},
             ["into 96×52×52", "⌊(227 + 0 − 2·(11 − 1) − 1) / 4⌋ + 1 = 52"]),
            (5, nn.Conv2d(3, 64, kernel_size=11, stride=4),
             ["into 64×54×54", "⌊(224 + 0 − 11) / 4⌋ + 1 = 54"]),
            (6, {"out_channels": 16, "kernel_size": 5, "stride": 2, "padding": 2},
             ["into 16×45×80", "columns: ⌊(160 + 4 − 5) / 2⌋ + 1 = 80, but the target is 32"]),
            (7, {"out_channels": 8, "kernel_size": 5, "stride": 4, "padding": 0},
             ["into 8×15×100", "rows: ⌊(64 + 0 − 5) / 4⌋ + 1 = 15"]),
            (2, {"out_channels": 64, "kernel_size": 3, "padding": "valid"}, ["into 64×222×222", "'valid'"]),
        ],
        ids=["too-big", "channels", "dilation", "alexnet-224-no-padding", "one-stride", "square-stride",
             "valid"],
    )
    def test_wrong_shapes_name_the_shape_obtained(self, number, answer, fragments):
        assert_wrong_with_hint(nb03.check_challenge(number, answer), "turns", *fragments,
                               f"ex.hint({number}, 1)")

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            ("Conv2d(3, 96, 11, 4)", "is a str"),
            (42, "is a int"),
            ((96, 11, 4, 0), "is a tuple"),
            (nn.Linear(3, 96), "Linear layer, not a Conv2d"),
            (nn.Sequential(nn.Conv2d(3, 96, 11, 4)), "Sequential layer"),
            (nn.ConvTranspose2d(3, 96, 11, 4), "ConvTranspose2d"),
            (nn.Conv2d(1, 96, 11, 4), "in_channels=1, but the input 3×227×227 has 3 channels"),
            ({"in_channels": 1, "out_channels": 96, "kernel_size": 11, "stride": 4}, "in_channels=1"),
            ({"out_channels": 96, "kernel_size": -11, "stride": 4}, "kernel_size must be 1 or more"),
            ({"out_channels": 96, "kernel_size": 11, "stride": -4}, "stride must be 1 or more"),
            ({"out_channels": 96, "kernel_size": 11, "stride": 0}, "stride must be 1 or more"),
            ({"out_channels": 96, "kernel_size": 11, "padding": -1}, "padding must be 0 or more"),
            ({"out_channels": -96, "kernel_size": 11, "stride": 4}, "out_channels must be 1 or more"),
            ({"out_channels": 96, "kernel_size": 11.0, "stride": 4}, "whole number, got 11.0"),
            ({"out_channels": 96, "kernel_size": "11", "stride": 4}, "whole number, got '11'"),
            ({"out_channels": 96, "kernel_size": True, "stride": 4}, "whole number, got True"),
            ({"out_channels": 96, "kernel_size": (11, 11, 11), "stride": 4}, "has 3 entries"),
            ({"out_channels": 96, "kernel_size": 11, "padding": "full"}, "not a padding torch knows"),
            ({"out_channels": 96, "kernel_size": 11, "padding_mode": "mirror"}, "padding_mode='mirror'"),
            ({"out_channels": 96, "kernel_size": 11, "bias": "yes"}, "bias must be True or False"),
            ({"out_channels": 96, "kernel": 11, "stride": 4}, "keys Conv2d does not know: 'kernel'"),
            ({"out_channels": 96}, "has no kernel_size"),
            ({}, "has no out_channels and no kernel_size"),
            ({"out_channels": 96, "kernel_size": 300}, "torch could not run your layer"),
            ({"out_channels": 96, "kernel_size": 11, "stride": 2, "padding": "same"}, "torch could not run"),
            ({"out_channels": 96, "kernel_size": 11, "groups": 2}, "torch could not run"),
            (nn.Conv2d(3, 96, 11, 4, padding=-1), "padding must be 0 or more"),
        ],
        ids=lambda value: None if not isinstance(value, str) else value[:20],
    )
    def test_garbage_gets_a_cross_not_a_traceback(self, answer, fragment):
        assert_wrong_with_hint(nb03.check_challenge(4, answer), fragment)

    def test_unknown_challenges_and_the_stack_are_refused_politely(self):
        answer = {"out_channels": 1, "kernel_size": 1}
        assert_wrong_with_hint(nb03.check_challenge(9, answer), "no challenge 9")
        assert_wrong_with_hint(nb03.check_challenge("one", None), "no challenge 'one'")
        assert_wrong_with_hint(nb03.check_challenge("stack", None), "check_stack")

    def test_challenge_5_names_the_layer_variable(self):
        assert "my_layer_5" in repr(nb03.check_challenge(5, None))
        assert "my_answer_4" in repr(nb03.check_challenge(4, None))


class TestHints:
    @pytest.mark.parametrize("number", [0, *NUMBERS, "stack"])
    @pytest.mark.parametrize("step", [1, 2, 3])
    def test_every_challenge_has_three_hints(self, number, step):
        text = repr(nb03.hint(number, step))
        assert text.startswith(f"Hint {step} for") and "Traceback" not in text

    @pytest.mark.parametrize("number", NUMBERS)
    def test_step_1_fills_the_formula_with_the_challenges_numbers(self, number):
        ch = nb03.challenge(number)
        text = repr(nb03.hint(number, 1))
        assert f"out_channels = {ch.output_shape[0]}" in text
        assert f"{ch.output_shape[1]} = ⌊({ch.input_shape[1]} + 2p − k) / s⌋ + 1" in text
        assert f"{ch.output_shape[2]} = ⌊({ch.input_shape[2]} + 2p − k) / s⌋ + 1" in text

    @pytest.mark.parametrize("number", NUMBERS)
    def test_step_2_names_exactly_the_possible_strides(self, number):
        ch = nb03.challenge(number)
        text = repr(nb03.hint(number, 2))
        for m, n in zip(ch.input_shape[1:], ch.output_shape[1:], strict=True):
            strides = sorted({option.stride for option in solve_conv_params(m, n)})
            assert f"({m} → {n}): the stride can only be {' or '.join(map(str, strides))}" in text

    @pytest.mark.parametrize("number", [0, *NUMBERS])
    def test_step_3_is_a_solution_the_checker_accepts(self, number):
        answer = nb03.preferred_solution(number)
        assert str(answer) in repr(nb03.hint(number, 3))
        assert nb03.check_challenge(number, answer).passed

    def test_the_stack_hint_solution_passes(self):
        text = repr(nb03.hint("stack", 3))
        code = text[text.index("nn.Sequential"):text.index("\n  32 →")]
        assert nb03.check_stack(eval(code, {"nn": nn})).passed

    def test_bad_requests_explain_themselves(self):
        assert "step must be 1, 2 or 3" in repr(nb03.hint(1, 4))
        assert "step must be 1, 2 or 3" in repr(nb03.hint(1, True))
        assert "no challenge 8" in repr(nb03.hint(8, 1))

    def test_solution_table_counts_what_the_solver_finds(self):
        table = nb03.solution_table()
        for ch in (nb03.WORKED_EXAMPLE, *nb03.CHALLENGES):
            rows = len(solve_conv_params(ch.input_shape[1], ch.output_shape[1]))
            cols = len(solve_conv_params(ch.input_shape[2], ch.output_shape[2]))
            line = next(line for line in table.splitlines() if line.startswith(f"{ch.number:>3} "))
            assert line.split()[-len(ch.name.split()) - 3:-len(ch.name.split())] == \
                [str(rows), str(cols), str(rows * cols)], line
        assert "kernel ≤ 7" in nb03.solution_table(max_kernel_size=7)

    def test_explorer_presets_cover_every_challenge(self):
        presets = nb03.explorer_presets()
        assert len(presets) == len(nb03.CHALLENGES) + 1
        assert presets["example: 1×256×256 → 1×252×84"] == ((1, 256, 256), (1, 252, 84))


class TestCheckStack:
    def test_reference_solution_passes_and_reports_every_layer(self):
        feedback = nb03.check_stack(nb03.solution_stack())
        assert feedback.passed
        text = repr(feedback)
        for shape in ["1×32×32", "6×14×14", "16×5×5"]:
            assert shape in text

    @pytest.mark.parametrize(
        "stack",
        [
            [nn.Conv2d(1, 6, 5, stride=2), nn.Conv2d(6, 16, 5, stride=2)],
            nn.Sequential(nn.Conv2d(1, 8, 4, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 4, stride=3)),
            nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 4, stride=2, padding=1),
                          nn.ReLU(), nn.Conv2d(16, 16, 4, stride=3)),
            nn.Sequential(nn.Conv2d(1, 8, 5, stride=5), nn.Tanh(), nn.Conv2d(8, 16, 2)),  # 32 → 6 → 5
            nn.Sequential(nn.Sequential(nn.Conv2d(1, 6, (5, 4), stride=(2, 4)), nn.ReLU()),
                          # rows 14 → 5, columns 8 → 5
                          nn.Sequential(nn.Conv2d(6, 16, (5, 4), stride=(2, 1)), nn.BatchNorm2d(16))),
            nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, padding_mode="reflect"), nn.Conv2d(16, 16, 5, 5),
                          nn.Conv2d(16, 16, 2, groups=16)),
        ],
        ids=["list", "two-layers", "three-layers", "k-equals-s", "rectangular-nested", "groups"],
    )
    def test_other_valid_stacks_pass(self, stack):
        assert nb03.check_stack(stack).passed

    def test_the_learners_model_is_untouched(self):
        model = nb03.solution_stack()
        nb03.check_stack(model)
        assert not model[0]._forward_hooks and not model[0]._forward_pre_hooks and model.training

    def test_unanswered_is_not_attempted(self):
        assert nb03.check_stack(None).status == "not attempted"

    @pytest.mark.parametrize(
        ("stack", "fragment"),
        [
            (nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5, stride=2)),
             "uses MaxPool2d, a pooling layer"),
            (nn.Sequential(nn.Conv2d(1, 16, 5), nn.AvgPool2d(2), nn.Conv2d(16, 16, 5, stride=2)),
             "convolutions only"),
            (nn.Sequential(nn.Conv2d(1, 16, 5), nn.AdaptiveAvgPool2d(5)), "AdaptiveAvgPool2d"),
            (nn.Sequential(nn.Conv2d(1, 16, 12, stride=5)), "12×12 kernel"),
            (nn.Sequential(nn.Conv2d(1, 16, (5, 7), stride=(2, 3)), nn.Conv2d(16, 16, (5, 3), 2)),
             "5×7 kernel"),
            (nn.Sequential(nn.Conv2d(1, 16, 5, stride=6)), "stride larger than its kernel"),
            (nn.Sequential(nn.Conv2d(1, 16, 5, stride=5, dilation=2)), "dilated"),
            (nn.Sequential(nn.Conv2d(1, 6, 5, stride=2), nn.Conv2d(6, 16, 5)), "gives 16×10×10, not 16×5×5"),
            ([nn.Conv2d(1, 4, 2, stride=2), nn.Conv2d(4, 8, 2, stride=2), nn.Conv2d(8, 8, 2),
              nn.Conv2d(8, 16, 3)], "with 4 conv layers"),
            (nn.Sequential(nn.Conv2d(1, 6, 5, stride=2), nn.Conv2d(8, 16, 5, stride=2)),
             "expects in_channels=8, but the layer before it gives 6 channels"),
            ([nn.Conv2d(1, 6, 5, stride=5), nn.Conv2d(6, 8, 5, stride=5), nn.Conv2d(8, 16, 5)],
             "Kernel size can't be greater"),
            (nn.Sequential(nn.Conv2d(1, 16, 5, padding=-1)), "padding must be 0 or more"),
            (nn.Sequential(nn.Conv2d(1, 6, 5, stride=2), nn.Conv2d(6, 16, 5, stride=2), nn.Flatten()),
             "gives 400, not 16×5×5"),
            (nn.Sequential(nn.Conv2d(1, 16, 5, stride=2), nn.Conv2d(16, 16, 3, stride=2), nn.Upsample(5)),
             "Upsample changes the shape"),
            ([nn.Conv2d(1, 6, 5), "conv"], "not layers: str"),
            ("nn.Sequential()", "is a str"),
            (nn.Conv2d(1, 6, 5), "not 16×5×5"),
        ],
        ids=["max-pool", "avg-pool", "adaptive", "big-kernel", "rectangular-big", "skips-pixels", "dilated",
             "wrong-size", "four-layers", "channel-mismatch", "kernel-too-big-for-input", "negative-padding",
             "flatten", "upsample", "string-in-list", "string", "single-conv"],
    )
    def test_wrong_stacks_get_a_hint_with_the_shapes(self, stack, fragment):
        assert_wrong_with_hint(nb03.check_stack(stack), fragment)

    def test_stack_hints_are_computed_from_the_rules(self):
        text = repr(nb03.hint("stack", 2))
        firsts = [m for m in range(5, 42) if solve_conv_params(32, m, max_kernel_size=5)]
        assert firsts[0] == 6 and max(firsts) == 33 and "6–11, 14–17, 28–33" in text
        # one layer within the rules never gets from 32 to 5, which is what makes it a stack
        assert not solve_conv_params(32, 5, max_kernel_size=5)
        assert "at least two layers" in repr(nb03.hint("stack", 1))


class TestSolutions:
    @pytest.mark.parametrize("name", [f"challenge_{n}" for n in NUMBERS] + ["stack"])
    def test_every_solution_can_be_revealed(self, name):
        assert reveal(name).startswith("```python\ndef solution_")

    @pytest.mark.parametrize("name", [f"challenge_{n}" for n in NUMBERS] + ["stack"])
    def test_every_solution_shows_arithmetic_that_holds(self, name):
        """Worked arithmetic with literal values, per dimension, and every step of it right."""
        source = reveal(name)
        assert "shapes." not in source and "solve_conv_params" not in source  # no helper call
        steps = ARITHMETIC.findall(source)
        assert steps, source
        for m, p, k, s, floored, n in steps:
            m, p, k, s, n = int(m), int(p), int(k), int(s), int(n)
            assert conv_output_size(m, k, s, p) == n, (m, p, k, s, n)
            if floored:
                assert float(floored) == (m + 2 * p - k) / s
        assert "rows" in source or "layer 1" in source


#: "⌊(224 + 2·2 − 11) / 4⌋ + 1 = ⌊54.25⌋ + 1 = 55" or "⌊(32 + 2·0 − 5) / 1⌋ + 1 = 27 + 1 = 28"
ARITHMETIC = re.compile(r"⌊\((\d+) \+ 2·(\d+) − (\d+)\) / (\d+)⌋ \+ 1 = (?:⌊?([\d.]+)⌋? \+ 1 = )?(\d+)")
