"""Bad input gets a clear error: the right exception type, and a message naming the argument.

One table per public function of ``shapes`` and ``ops``; every row is (function, arguments,
exception, regex that the message must match). Students call these functions from notebooks, so
a bare IndexError or a NumPy broadcasting error would count as a bug.
"""

import numpy as np
import pytest
from torch import nn

from convolved import ops, shapes


def case(id, func, *args, raises, match, **kwargs):
    return pytest.param(func, args, kwargs, raises, match, id=f"{func.__name__}: {id}")


def image(*shape):
    return np.ones(shape, dtype=np.float32)


# ----------------------------------------------------------------------------------------------
# shapes

CONV_OUTPUT_SIZE = [
    case("zero size", shapes.conv_output_size, 0, 3, raises=ValueError, match=r"^size must be >= 1"),
    case("size as string", shapes.conv_output_size, "32", 3, raises=TypeError,
         match=r"^size must be an int"),
    case("float kernel", shapes.conv_output_size, 32, 2.0, raises=TypeError,
         match=r"^kernel_size must be an int, got float"),
    case("zero kernel", shapes.conv_output_size, 32, 0, raises=ValueError,
         match=r"^kernel_size must be >= 1"),
    case("bool stride", shapes.conv_output_size, 32, 3, stride=True, raises=TypeError,
         match=r"^stride must be an int, got bool"),
    case("zero stride", shapes.conv_output_size, 32, 3, stride=0, raises=ValueError,
         match=r"^stride must be >= 1"),
    case("zero dilation", shapes.conv_output_size, 32, 3, dilation=0, raises=ValueError,
         match=r"^dilation must be >= 1"),
    case("negative padding", shapes.conv_output_size, 32, 3, padding=-1, raises=ValueError,
         match=r"^padding must be >= 0"),
    case("negative padding in tuple", shapes.conv_output_size, (32, 32), 3, padding=(1, -1),
         raises=ValueError, match=r"^padding\[1\] must be >= 0"),
    case("unknown padding string", shapes.conv_output_size, 32, 3, padding="full",
         raises=ValueError, match=r"^padding must be one of 'valid', 'same'"),
    case("same with stride 2", shapes.conv_output_size, 32, 3, stride=2, padding="same",
         raises=ValueError, match=r'^padding="same" needs stride 1'),
    case("kernel larger than input", shapes.conv_output_size, 4, 5, raises=ValueError,
         match=r"^kernel_size too large in dimension 0"),
    case("dilated kernel larger than padded input", shapes.conv_output_size, (9, 9), 3,
         padding=(2, 0), dilation=5, raises=ValueError, match=r"kernel_size too large in dimension 1"),
    case("tuple of wrong length", shapes.conv_output_size, (32, 32), (3, 3, 3), raises=ValueError,
         match=r"^kernel_size must be an int or a tuple of 2 ints"),
]

CONV_TRANSPOSE_OUTPUT_SIZE = [
    case("output_padding equal to stride", shapes.conv_transpose_output_size, 7, 3, stride=2,
         output_padding=2, raises=ValueError, match=r"^output_padding must be smaller than"),
    case("output_padding equal to dilation", shapes.conv_transpose_output_size, 7, 3,
         dilation=2, output_padding=2, raises=ValueError, match=r"^output_padding must be"),
    case("negative output_padding", shapes.conv_transpose_output_size, 7, 3, output_padding=-1,
         raises=ValueError, match=r"^output_padding must be >= 0"),
    case("padding crops everything", shapes.conv_transpose_output_size, 1, 1, padding=1,
         raises=ValueError, match=r"^padding too large"),
    case("zero stride", shapes.conv_transpose_output_size, 7, 3, stride=0, raises=ValueError,
         match=r"^stride must be >= 1"),
    case("zero dilation", shapes.conv_transpose_output_size, 7, 3, dilation=0, raises=ValueError,
         match=r"^dilation must be >= 1"),
    case("bool dilation", shapes.conv_transpose_output_size, 7, 3, dilation=True,
         raises=TypeError, match=r"^dilation must be an int, got bool"),
    case("float kernel", shapes.conv_transpose_output_size, 7, 3.0, raises=TypeError,
         match=r"^kernel_size must be an int"),
    case("tuple of wrong length", shapes.conv_transpose_output_size, (7, 7), 3,
         output_padding=(0,), raises=ValueError, match=r"^output_padding must be an int or a tuple"),
]

POOL_OUTPUT_SIZE = [
    case("padding more than half the kernel", shapes.pool_output_size, 8, 2, padding=2,
         raises=ValueError, match=r"^padding must be at most half the kernel_size"),
    case("padding more than half a dilated kernel", shapes.pool_output_size, 20, 3, padding=2,
         dilation=2, raises=ValueError, match=r"^padding must be at most half the kernel_size"),
    case("kernel larger than input", shapes.pool_output_size, 3, 5, stride=2, raises=ValueError,
         match=r"^kernel_size too large"),
    case("kernel larger than input, ceil_mode", shapes.pool_output_size, 3, 5, stride=2,
         ceil_mode=True, raises=ValueError, match=r"^kernel_size too large"),
    case("int ceil_mode", shapes.pool_output_size, 8, 2, ceil_mode=1, raises=TypeError,
         match=r"^ceil_mode must be True or False"),
    case("zero stride", shapes.pool_output_size, 8, 2, stride=0, raises=ValueError,
         match=r"^stride must be >= 1"),
    case("float kernel", shapes.pool_output_size, 8, 2.0, raises=TypeError,
         match=r"^kernel_size must be an int"),
    case("zero dilation", shapes.pool_output_size, 8, 2, dilation=0, raises=ValueError,
         match=r"^dilation must be >= 1"),
    case("negative padding", shapes.pool_output_size, 8, 2, padding=-1, raises=ValueError,
         match=r"^padding must be >= 0"),
    case("tuple of wrong length", shapes.pool_output_size, (8, 8, 8), (2, 2), raises=ValueError,
         match=r"^kernel_size must be an int or a tuple of 3 ints"),
]

SAME_PADDING = [
    case("zero in_channels", shapes.conv_multiply_adds, 0, 4, 3, 8, raises=ValueError,
         match=r"^in_channels must be >= 1"),
    case("channels not divisible by groups", shapes.conv_multiply_adds, 3, 4, 3, 8, groups=2,
         raises=ValueError, match=r"^in_channels \(3\) and out_channels \(4\) must both be divisible"),
    case("float output size", shapes.conv_multiply_adds, 3, 4, 3, 8.0, raises=TypeError,
         match=r"^output_size must be an int"),
    case("zero kernel", shapes.same_padding, 0, raises=ValueError,
         match=r"^kernel_size must be >= 1"),
    case("float kernel", shapes.same_padding, 3.0, raises=TypeError,
         match=r"^kernel_size must be an int"),
    case("zero dilation", shapes.same_padding, 3, 0, raises=ValueError,
         match=r"^dilation must be >= 1"),
    case("tuple of wrong length", shapes.same_padding, (3, 3), (1, 1, 1), raises=ValueError,
         match=r"^dilation must be an int or a tuple of 2 ints"),
]

RECEPTIVE_FIELD = [
    case("empty list", shapes.receptive_field, [], raises=ValueError,
         match=r"^layers must contain at least one conv or pool layer"),
    case("only activations", shapes.receptive_field, nn.Sequential(nn.ReLU(), nn.Flatten()),
         raises=ValueError, match=r"^layers must contain at least one"),
    case("not a sequence", shapes.receptive_field, 5, raises=TypeError,
         match=r"^layers must be a sequence"),
    case("zero stride", shapes.receptive_field, [(3, 1), (3, 0)], raises=ValueError,
         match=r"^layers\[1\] stride must be >= 1"),
    case("bool stride", shapes.receptive_field, [(3, True)], raises=TypeError,
         match=r"^layers\[0\] stride must be an int, got bool"),
    case("float kernel", shapes.receptive_field, [(3.0, 1)], raises=TypeError,
         match=r"^layers\[0\] kernel_size must be an int"),
    case("zero dilation", shapes.receptive_field, [(3, 1, 0)], raises=ValueError,
         match=r"^layers\[0\] dilation must be >= 1"),
    case("tuple too long", shapes.receptive_field, [(3, 1, 1, 1)], raises=ValueError,
         match=r"^layers\[0\] must be \(kernel_size"),
    case("empty tuple", shapes.receptive_field, [()], raises=ValueError,
         match=r"^layers\[0\] must be \(kernel_size"),
    case("dict with a wrong key", shapes.receptive_field, [{"kernel": 3}], raises=ValueError,
         match=r"^layers\[0\] as a dict needs 'kernel_size'"),
    case("2-D and 3-D layers mixed", shapes.receptive_field, [((3, 3), 1), ((3, 3, 3), 1)],
         raises=ValueError, match=r"^layers\[1\] kernel_size must be an int or a tuple of 2"),
    case("a bare int among layers", shapes.receptive_field, [(3, 1), 5], raises=TypeError,
         match=r"^layers\[1\] must be a \(kernel_size, stride\[, dilation\]\) tuple"),
    case("index counts skipped layers", shapes.receptive_field, [nn.ReLU(), (3, 0)], raises=ValueError,
         match=r"^layers\[1\] stride must be >= 1"),
    case("transpose convolution", shapes.receptive_field, [nn.ConvTranspose2d(1, 1, 3)],
         raises=ValueError, match=r"^layers\[0\] is a transpose convolution"),
]

SOLVE_CONV_PARAMS = [
    case("bool in_size", shapes.solve_conv_params, True, 3, raises=TypeError,
         match=r"^in_size must be an int, got bool"),
    case("bool out_size", shapes.solve_conv_params, 32, False, raises=TypeError,
         match=r"^out_size must be an int, got bool"),
    case("bool max_kernel_size", shapes.solve_conv_params, 32, 28, max_kernel_size=True,
         raises=TypeError, match=r"^max_kernel_size must be an int, got bool"),
    case("bool max_stride", shapes.solve_conv_params, 32, 28, max_stride=True, raises=TypeError,
         match=r"^max_stride must be an int, got bool"),
    case("bool dilation", shapes.solve_conv_params, 32, 28, dilation=True, raises=TypeError,
         match=r"^dilation must be an int, got bool"),
    case("float in_size", shapes.solve_conv_params, 32.0, 28, raises=TypeError,
         match=r"^in_size must be an int"),
    case("zero in_size", shapes.solve_conv_params, 0, 28, raises=ValueError,
         match=r"^in_size must be >= 1"),
    case("zero max_kernel_size", shapes.solve_conv_params, 32, 28, max_kernel_size=0,
         raises=ValueError, match=r"^max_kernel_size must be >= 1"),
    case("zero max_stride", shapes.solve_conv_params, 32, 28, max_stride=0, raises=ValueError,
         match=r"^max_stride must be >= 1"),
    case("tuples of different lengths", shapes.solve_conv_params, (32, 32), (28, 28, 28),
         raises=ValueError, match=r"^out_size must be an int or a tuple of 2 ints"),
]


# ----------------------------------------------------------------------------------------------
# ops: the convolutions share one table, built for each function and its number of dimensions


def conv_table(conv, ndim):
    kernel = (3,) * ndim
    x = image(2, *(6,) * ndim)  # unbatched, 2 channels
    w = image(4, 2, *kernel)
    return [
        case("input without channels", conv, image(*(6,) * ndim), w, raises=ValueError,
             match=rf"^input must have {ndim + 1} or {ndim + 2} dimensions"),
        case("input with too many dimensions", conv, image(1, 1, 2, *(6,) * ndim), w,
             raises=ValueError, match=r"^input must have"),
        case("weight without out_channels", conv, x, image(2, *kernel), raises=ValueError,
             match=rf"^weight must have {ndim + 2} dimensions"),
        case("kernel of size 0", conv, x, image(4, 2, *kernel[:-1], 0), raises=ValueError,
             match=r"^weight must have at least one output channel and a kernel of size >= 1"),
        case("no output channels", conv, x, image(0, 2, *kernel), raises=ValueError,
             match=r"^weight must have at least one output channel"),
        case("channel mismatch", conv, image(3, *(6,) * ndim), w, raises=ValueError,
             match=r"^channel mismatch: input has 3 channels but weight expects 2"),
        case("groups not dividing in_channels", conv, image(3, *(6,) * ndim),
             image(4, 1, *kernel), groups=2, raises=ValueError, match=r"^groups=2 must divide"),
        case("groups not dividing out_channels", conv, x, image(3, 1, *kernel), groups=2,
             raises=ValueError, match=r"^groups=2 must divide"),
        case("zero groups", conv, x, w, groups=0, raises=ValueError,
             match=r"^groups must be >= 1"),
        case("float groups", conv, x, w, groups=1.0, raises=TypeError,
             match=r"^groups must be an int"),
        case("kernel larger than padded input", conv, x, image(4, 2, *(9,) * ndim), padding=1,
             raises=ValueError, match=r"^kernel too large in spatial dimension 0"),
        case("dilated kernel larger than input", conv, x, w, dilation=3, raises=ValueError,
             match=r"^kernel too large"),
        case("negative padding", conv, x, w, padding=-1, raises=ValueError,
             match=r"^padding must be >= 0"),
        case("zero stride", conv, x, w, stride=0, raises=ValueError,
             match=r"^stride must be >= 1"),
        case("zero dilation", conv, x, w, dilation=0, raises=ValueError,
             match=r"^dilation must be >= 1"),
        case("bool stride", conv, x, w, stride=True, raises=TypeError,
             match=r"^stride must be an int, got bool"),
        case("float dilation", conv, x, w, dilation=1.0, raises=TypeError,
             match=r"^dilation must be an int, got float"),
        case("stride tuple of wrong length", conv, x, w, stride=(1,) * (ndim + 1),
             raises=ValueError, match=rf"^stride must be an int or a tuple of {ndim} ints"),
        case("padding pairs for too many dimensions", conv, x, w, padding=((1, 1),) * (ndim + 1),
             raises=ValueError, match=r"^padding must have one \(before, after\) pair"),
        case("unknown padding string", conv, x, w, padding="full", raises=ValueError,
             match=r"^padding must be one of 'valid', 'same'"),
        case("same with stride 2", conv, x, w, stride=2, padding="same", raises=ValueError,
             match=r'^padding="same" needs stride 1'),
        case("bias of wrong length", conv, x, w, image(3), raises=ValueError,
             match=r"^bias must have out_channels=4 values, got 3"),
        case("bias as a matrix", conv, x, w, image(4, 1), raises=ValueError,
             match=r"^bias must have 1 dimension "),
        case("input as a string", conv, "image.png", w, raises=TypeError,
             match=r"^input must be a NumPy array or a torch tensor"),
        case("input of strings", conv, np.full((2, *(6,) * ndim), "a"), w, raises=TypeError,
             match=r"^input must hold numbers"),
        case("boolean weight", conv, x, np.ones((4, 2, *kernel), dtype=bool), raises=TypeError,
             match=r"^weight must hold numbers"),
        case("weight as None", conv, x, None, raises=TypeError,
             match=r"^weight must be a NumPy array or a torch tensor"),
    ]


CONVOLUTIONS = [
    *conv_table(ops.conv1d, 1),
    *conv_table(ops.conv2d, 2),
    *conv_table(ops.conv3d, 3),
    *conv_table(ops.conv2d_fast, 2),
]

X, W = image(2, 5, 5), image(2, 3, 3, 3)  # transpose conv: weight is (in, out/groups, kH, kW)
CONV_TRANSPOSE2D = [
    case("input without channels", ops.conv_transpose2d, image(5, 5), W, raises=ValueError,
         match=r"^input must have 3 or 4 dimensions"),
    case("weight of a 1-D conv", ops.conv_transpose2d, X, image(2, 3, 3), raises=ValueError,
         match=r"^weight must have 4 dimensions"),
    case("channel mismatch", ops.conv_transpose2d, image(3, 5, 5), W, raises=ValueError,
         match=r"^channel mismatch: input has 3 channels but weight's first dimension"),
    case("groups not dividing channels", ops.conv_transpose2d, image(3, 5, 5),
         image(3, 1, 3, 3), groups=2, raises=ValueError, match=r"^groups=2 must divide"),
    case("zero groups", ops.conv_transpose2d, X, W, groups=0, raises=ValueError,
         match=r"^groups must be >= 1"),
    case("output_padding equal to stride", ops.conv_transpose2d, X, W, stride=2,
         output_padding=2, raises=ValueError, match=r"^output_padding must be smaller"),
    case("output_padding with stride 1", ops.conv_transpose2d, X, W, output_padding=1,
         raises=ValueError, match=r"^output_padding must be smaller"),
    case("output_padding tuple of wrong length", ops.conv_transpose2d, X, W, stride=2,
         output_padding=(1, 1, 1), raises=ValueError, match=r"^output_padding must be an int or"),
    case("negative padding", ops.conv_transpose2d, X, W, padding=-1, raises=ValueError,
         match=r"^padding must be >= 0"),
    case("padding crops everything", ops.conv_transpose2d, image(2, 1, 1), image(2, 3, 1, 1),
         padding=1, raises=ValueError, match=r"^padding too large"),
    case("zero stride", ops.conv_transpose2d, X, W, stride=0, raises=ValueError,
         match=r"^stride must be >= 1"),
    case("bool stride", ops.conv_transpose2d, X, W, stride=True, raises=TypeError,
         match=r"^stride must be an int, got bool"),
    case("zero dilation", ops.conv_transpose2d, X, W, dilation=0, raises=ValueError,
         match=r"^dilation must be >= 1"),
    case("bias of wrong length", ops.conv_transpose2d, X, W, image(2), raises=ValueError,
         match=r"^bias must have out_channels=3 values, got 2"),
    case("input as a string", ops.conv_transpose2d, "x", W, raises=TypeError,
         match=r"^input must be a NumPy array"),
]


def pool_table(pool):
    x = image(1, 6, 6)
    return [
        case("input without channels", pool, image(6), 2, raises=ValueError,
             match=r"^input must have 3 or 4 dimensions"),
        case("zero kernel", pool, x, 0, raises=ValueError, match=r"^kernel_size must be >= 1"),
        case("float kernel", pool, x, 2.0, raises=TypeError,
             match=r"^kernel_size must be an int, got float"),
        case("kernel tuple of wrong length", pool, x, (2, 2, 2), raises=ValueError,
             match=r"^kernel_size must be an int or a tuple of 2 ints"),
        case("kernel larger than input", pool, x, 7, raises=ValueError,
             match=r"^kernel_size too large"),
        case("zero stride", pool, x, 2, stride=0, raises=ValueError,
             match=r"^stride must be >= 1"),
        case("bool stride", pool, x, 2, stride=True, raises=TypeError,
             match=r"^stride must be an int, got bool"),
        case("padding more than half the kernel", pool, x, 2, padding=2, raises=ValueError,
             match=r"^padding must be at most half the kernel_size"),
        case("negative padding", pool, x, 2, padding=-1, raises=ValueError,
             match=r"^padding must be >= 0"),
        case("string ceil_mode", pool, x, 2, ceil_mode="yes", raises=TypeError,
             match=r"^ceil_mode must be True or False"),
        case("input of strings", pool, np.full((1, 6, 6), "a"), 2, raises=TypeError,
             match=r"^input must hold numbers"),
    ]


MAX_POOL2D = [
    *pool_table(ops.max_pool2d),
    case("zero dilation", ops.max_pool2d, image(1, 6, 6), 2, dilation=0, raises=ValueError,
         match=r"^dilation must be >= 1"),
    case("padding more than half a dilated kernel", ops.max_pool2d, image(1, 9, 9), 3,
         padding=2, dilation=2, raises=ValueError, match=r"^padding must be at most half"),
]

AVG_POOL2D = [
    *pool_table(ops.avg_pool2d),
    case("string count_include_pad", ops.avg_pool2d, image(1, 6, 6), 2,
         count_include_pad="no", raises=TypeError, match=r"^count_include_pad must be True"),
]

PAD = [
    case("unknown mode", ops.pad, image(1, 4, 4), 1, "mirror", raises=ValueError,
         match=r"^mode must be one of 'constant', 'zeros', 'circular', 'reflect', 'replicate'"),
    case("cropping more than the input", ops.pad, image(1, 4, 4), -3, raises=ValueError,
         match=r"^pad \(-3, -3\) crops more than the 4 positions"),
    case("negative amount with reflect past the edge", ops.pad, image(1, 4, 4), (1, 4), "reflect",
         raises=ValueError, match=r'^mode="reflect" needs pad < input size'),
    case("float pad", ops.pad, image(1, 4, 4), 1.5, raises=TypeError,
         match=r"^pad must be an int, got float"),
    case("bool pad", ops.pad, image(1, 4, 4), True, raises=TypeError,
         match=r"^pad must be an int, got bool"),
    case("odd number of entries", ops.pad, image(1, 4, 4), (1, 1, 1), raises=ValueError,
         match=r"^pad must have an even number of entries"),
    case("empty tuple", ops.pad, image(1, 4, 4), (), raises=ValueError,
         match=r"^pad must have an even number of entries"),
    case("more dimensions than the input", ops.pad, image(4), (1, 1, 1, 1), raises=ValueError,
         match=r"^pad covers 2 dimensions but input has only 1"),
    case("a pair inside the tuple", ops.pad, image(1, 4, 4), ((1, 2), 1), raises=TypeError,
         match=r"^pad\[0\] must be an int, got tuple"),
    case("reflect as much as the size", ops.pad, image(1, 4, 4), 4, "reflect",
         raises=ValueError, match=r'^mode="reflect" needs pad < input size'),
    case("circular more than the size", ops.pad, image(1, 4, 4), (0, 0, 5, 0), "circular",
         raises=ValueError, match=r'^mode="circular" needs pad <= input size'),
    case("string value", ops.pad, image(1, 4, 4), 1, value="0", raises=TypeError,
         match=r"^value must be a number, got str"),
    case("input as a string", ops.pad, "x", 1, raises=TypeError,
         match=r"^input must be a NumPy array"),
    case("input with 6 dimensions", ops.pad, image(1, 1, 1, 1, 1, 1), 1, raises=ValueError,
         match=r"^input must have 1, 2, 3, 4 or 5 dimensions"),
]


def plain_table(func):
    return [
        case("kernel with other ndim", func, image(5), image(2, 2), raises=ValueError,
             match=r"^kernel must have as many dimensions as x \(1\), got 2"),
        case("unknown mode", func, image(5), image(2), "same", raises=ValueError,
             match=r"^mode must be one of 'valid', 'full'"),
        case("4-D x", func, image(2, 2, 2, 2), image(1, 1, 1, 1), raises=ValueError,
             match=r"^x must have 1, 2 or 3 dimensions"),
        case("kernel longer than x", func, image(3), image(5), raises=ValueError,
             match=r"^kernel too large"),
        case("x as a string", func, "signal", image(2), raises=TypeError,
             match=r"^x must be a NumPy array"),
        case("kernel of strings", func, image(5), ["a", "b"], raises=TypeError,
             match=r"^kernel must hold numbers"),
        case("ragged x", func, [[1.0, 2.0], [3.0]], image(1, 1), raises=ValueError,
             match=r"^x must be a rectangular array"),
        case("complex kernel", func, image(5), [1j, 1.0], raises=TypeError,
             match=r"^kernel must hold real numbers"),
    ]


FLIP_KERNEL = [
    case("4-D kernel", ops.flip_kernel, image(1, 1, 3, 3), raises=ValueError,
         match=r"^kernel must have 1, 2 or 3 dimensions"),
    case("kernel as a string", ops.flip_kernel, "sobel", raises=TypeError,
         match=r"^kernel must be a NumPy array"),
    case("boolean kernel", ops.flip_kernel, np.eye(3, dtype=bool), raises=TypeError,
         match=r"^kernel must hold numbers"),
]


TABLES = [
    CONV_OUTPUT_SIZE, CONV_TRANSPOSE_OUTPUT_SIZE, POOL_OUTPUT_SIZE, SAME_PADDING, RECEPTIVE_FIELD,
    SOLVE_CONV_PARAMS, CONVOLUTIONS, CONV_TRANSPOSE2D, MAX_POOL2D, AVG_POOL2D, PAD,
    plain_table(ops.convolve), plain_table(ops.correlate), FLIP_KERNEL,
]


@pytest.mark.parametrize("func, args, kwargs, raises, match",
                         [row for table in TABLES for row in table])
def test_bad_input_raises_a_clear_error(func, args, kwargs, raises, match):
    with pytest.raises(raises, match=match):
        func(*args, **kwargs)


def test_every_public_function_has_a_table():
    """A new public function must come with its bad-input rows."""
    tested = {row.values[0].__name__ for table in TABLES for row in table}
    public = {name for module in (shapes, ops) for name in module.__all__
              if callable(getattr(module, name)) and name[0].islower()}
    assert public <= tested, f"no bad-input rows for {sorted(public - tested)}"
