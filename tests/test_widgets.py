"""The explorers draw, react to their controls, and leave a static PNG for saved notebooks."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from helpers import JPEG_SIGNATURE, PNG_SIGNATURE, assert_looks_the_same

from convolved import kernels, plotting
from convolved.widgets import ConvGeometryExplorer, KernelExplorer


@pytest.fixture()
def explorer():
    return KernelExplorer(image="camera", kernel="vertical edges", size=64)


def test_default_view_is_drawn_once(explorer):
    assert bytes(explorer.view.value).startswith(JPEG_SIGNATURE)  # a photo explorer
    assert explorer.draws == 1
    assert np.array_equal(explorer.kernel, kernels.get_kernel("vertical edges"))


def test_a_preset_fills_the_grid_and_redraws_once(explorer):
    before = bytes(explorer.view.value)
    explorer.preset.value = "box blur"
    assert np.allclose(explorer.kernel, 1 / 9)
    assert explorer.preset.value == "box blur"
    assert bytes(explorer.view.value) != before and explorer.draws == 2


def test_editing_a_cell_makes_the_kernel_custom_and_redraws_once(explorer):
    explorer.preset.value = "identity"
    drawn = explorer.draws
    before = bytes(explorer.view.value)
    explorer.cells[4].value = -1.0
    assert explorer.preset.value == "custom"
    assert explorer.kernel[1, 1] == -1.0
    assert bytes(explorer.view.value) != before and explorer.draws == drawn + 1
    # The title shows the label in force when the figure was drawn: custom, as in a fresh draw.
    fresh = bytes(explorer.view.value)
    explorer.refresh()
    assert bytes(explorer.view.value) == fresh


def test_setting_a_cell_back_to_the_preset_value_keeps_the_preset(explorer):
    explorer.cells[0].value = -1.0  # the value it already has in "vertical edges"
    assert explorer.preset.value == "vertical edges"


def test_another_photo_redraws(explorer):
    before = bytes(explorer.view.value)
    explorer.photo.value = "coins"
    assert bytes(explorer.view.value) != before


def test_holding_draws_once_even_when_nested(explorer):
    drawn = explorer.draws
    with explorer.holding():
        explorer.photo.value = "moon"
        with explorer.holding():
            explorer.preset.value = "sharpen"
        explorer.cells[0].value = 2.0
    assert explorer.draws == drawn + 1
    sharpen = kernels.get_kernel("sharpen")
    assert explorer.kernel[0, 0] == 2.0 and np.array_equal(explorer.kernel.flat[1:], sharpen.flat[1:])
    assert explorer.preset.value == "custom"


def test_a_redraw_into_the_kept_figure_is_the_picture_a_new_figure_gives(explorer):
    for control, value in [(explorer.photo, "coins"), (explorer.preset, "box blur"),
                           (explorer.preset, "sharpen")]:  # gray, then red/blue with a colour bar
        control.value = value
        fresh = KernelExplorer(image=explorer.photo.value, kernel=explorer.preset.value, size=64)
        kept, new = explorer.picture, fresh.picture
        # The same axes, placed within half a pixel (the layout was computed for another
        # picture's colour-bar labels), showing the same images and titles.
        assert len(kept.axes) == len(new.axes)
        for a, b in zip(kept.axes, new.axes, strict=True):
            assert np.abs(a.get_window_extent().extents - b.get_window_extent().extents).max() < 0.5
            assert a.get_title() == b.get_title()
            assert all(np.array_equal(x.get_array(), y.get_array()) and x.get_clim() == y.get_clim()
                       for x, y in zip(a.images, b.images, strict=True))
        assert [t.get_text() for t in kept.axes[-1].get_yticklabels()] == \
            [t.get_text() for t in new.axes[-1].get_yticklabels()], value  # the colour bar's


def test_saved_notebooks_keep_a_png_of_the_view(explorer):
    bundle = explorer._repr_mimebundle_()
    png = base64.b64decode(bundle["image/png"])
    assert png == plotting.to_png(explorer.picture, dpi=explorer.dpi)
    assert_looks_the_same(png, bytes(explorer.view.value))
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Kernel explorer")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image": "lena"}, ValueError, "image must be one of"),
        ({"kernel": "custom"}, ValueError, "kernel must be one of"),
        ({"size": 8}, ValueError, "size must be >= 16"),
        ({"size": 64.0}, TypeError, "size must be an int"),
    ],
)
def test_kernel_explorer_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        KernelExplorer(**kwargs)


class TestConvGeometryExplorer:
    @pytest.fixture()
    def geometry(self):
        return ConvGeometryExplorer(size=7, kernel_size=3, padding=1, stride=2)

    def test_output_pixel_range_follows_the_output_size(self, geometry):
        assert geometry.position.max == 4 * 4 - 1  # floor((7 + 2 - 3) / 2) + 1 = 4
        geometry.stride.value = 1
        assert geometry.position.max == 7 * 7 - 1

    def test_the_pixel_range_follows_changes_made_while_holding(self, geometry):
        with geometry.holding():
            geometry.stride.value = 1
            geometry.padding.value = 0
        assert geometry.position.max == 5 * 5 - 1  # 7 - 3 + 1 = 5

    def test_every_control_redraws(self, geometry):
        for control, value in [(geometry.position, 5), (geometry.mode, "circular"),
                               (geometry.dilation, 2), (geometry.kernel_size, 2),
                               (geometry.padding, 0), (geometry.input_size, 9)]:
            before = bytes(geometry.view.value)
            control.value = value
            assert bytes(geometry.view.value) != before, control.description

    def test_impossible_settings_show_a_message_instead_of_failing(self, geometry):
        with geometry.holding():
            geometry.input_size.value, geometry.padding.value = 3, 0
            geometry.kernel_size.value, geometry.dilation.value = 7, 3
        assert bytes(geometry.view.value).startswith(PNG_SIGNATURE)
        assert "kernel_size too large" in geometry.message  # the picture says why
        with geometry.holding():  # a 3×3 kernel without dilation fits a 3×3 input: a picture again
            geometry.kernel_size.value, geometry.dilation.value = 3, 1
        assert geometry.message is None and geometry.position.max == 0  # one output pixel

    def test_reflect_padding_larger_than_the_input_is_explained(self, geometry):
        with geometry.holding():
            geometry.input_size.value, geometry.padding.value, geometry.mode.value = 3, 4, "reflect"
        assert bytes(geometry.view.value).startswith(PNG_SIGNATURE)
        assert 'mode="reflect" needs pad < input size' in geometry.message


class TestLayerShapeExplorer:
    @pytest.fixture()
    def layer(self):
        from convolved.widgets import LayerShapeExplorer

        return LayerShapeExplorer()

    def test_default_view_is_the_worked_example(self, layer):
        assert layer.tensor_shapes() == ((1, 256, 256), None)
        assert layer.settings() == {"out_channels": 1, "kernel_size": (5, 5), "stride": (1, 3),
                                    "padding": (0, 0)}
        assert layer.torch_shape() == (1, 1, 252, 84)
        assert bytes(layer.view.value).startswith(PNG_SIGNATURE)

    def test_every_control_redraws(self, layer):
        for control, value in [(layer.out_channels, 8), (layer.kernel_rows, 3), (layer.kernel_cols, 7),
                               (layer.stride_rows, 2), (layer.stride_cols, 1), (layer.padding_rows, 1),
                               (layer.padding_cols, 3)]:
            before = bytes(layer.view.value)
            control.value = value
            assert bytes(layer.view.value) != before, control.description
        # ⌊(256 + 2 − 3) / 2⌋ + 1 = 128 rows, ⌊(256 + 6 − 7) / 1⌋ + 1 = 256 columns
        assert layer.torch_shape() == (1, 8, 128, 256)

    def test_torch_agrees_with_the_formula(self, layer):
        from convolved.shapes import conv_output_size

        for k, s, p in [((1, 11), (6, 1), (0, 6)), ((4, 2), (3, 5), (2, 1)), ((11, 11), (4, 4), (5, 0))]:
            with layer.holding():
                layer.kernel_rows.value, layer.kernel_cols.value = k
                layer.stride_rows.value, layer.stride_cols.value = s
                layer.padding_rows.value, layer.padding_cols.value = p
            assert layer.torch_shape()[2:] == conv_output_size((256, 256), k, s, p)

    def test_impossible_settings_show_a_message_instead_of_failing(self):
        from convolved.widgets import LayerShapeExplorer

        tiny = LayerShapeExplorer(input_shape=(3, 4, 6), kernel_size=7, stride=1, padding=0,
                                  target=(2, 2, 2))
        assert bytes(tiny.view.value).startswith(PNG_SIGNATURE)
        message = bytes(tiny.view.value)
        tiny.padding_rows.value = 2  # 4 + 4 ≥ 7: the rows fit now, the columns still do not
        tiny.padding_cols.value = 1  # 6 + 2 ≥ 7: both fit
        assert bytes(tiny.view.value) != message
        assert tiny.torch_shape() == (1, 1, 2, 2)

    def test_presets_switch_the_input_and_the_target(self):
        from convolved.exercises import nb03
        from convolved.widgets import LayerShapeExplorer

        explorer = LayerShapeExplorer(presets=nb03.explorer_presets())
        assert explorer.tensor_shapes() == ((1, 256, 256), (1, 252, 84))
        before = bytes(explorer.view.value)
        explorer.preset.value = next(name for name in explorer.presets if name.startswith("challenge 4"))
        assert explorer.tensor_shapes() == ((3, 227, 227), (96, 55, 55))
        assert bytes(explorer.view.value) != before
        with explorer.holding():
            explorer.out_channels.value = 96
            explorer.kernel_rows.value = explorer.kernel_cols.value = 11
            explorer.stride_rows.value = explorer.stride_cols.value = 4
        assert explorer.torch_shape() == (1, 96, 55, 55)

    def test_saved_notebooks_keep_a_png_of_the_view(self, layer):
        bundle = layer._repr_mimebundle_()
        assert base64.b64decode(bundle["image/png"]) == bytes(layer.view.value)
        assert bundle["text/plain"].startswith("Layer shape explorer")


TEXTS = [  # (x, y, text, style): aligned every way, at sub-pixel offsets, sizes, weights, colours
    (0.3 + i % 6 * 1.61, 0.6 + i // 6 * 1.37, text, {
        "size": 8 + i % 4, "color": f"C{i % 3}", "weight": "bold" if i % 4 == 0 else "normal",
        "ha": ("left", "center", "right")[i % 3], "va": ("bottom", "center", "top", "baseline")[i % 4]})
    for i, text in enumerate(["0", "\N{MINUS SIGN}2", "17", "Conv2d", "N = ⌊(M + 2p − k) / s⌋ + 1",
                              "input 1×32×32", "gy", "seed 3", "(1, 6, 28, 28)", "a title", "Wq",
                              "p = 2", "ceil_mode", "→ 7×7", "1.5", "x", "kernel k", "ÄÖ"])]


def _picture(canvas_class, texts, **extra) -> np.ndarray:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), dpi=80)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 8)
    ax.set_axis_off()
    for x, y, text, style in texts:
        ax.text(x, y, text, **style, **extra)
    return _pixels(canvas_class, fig)[..., :3]


def _pixels(canvas_class, fig) -> np.ndarray:
    """The figure drawn on a canvas of ``canvas_class``: Agg's, or the explorers'."""
    canvas = canvas_class(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).astype(int)


def _ink(picture: np.ndarray) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """The box (top, bottom, left, right) of the pixels that are not white, and the darkest one."""
    rows, cols = np.nonzero((picture < 250).any(-1))
    darkest = picture[rows, cols][picture[rows, cols].sum(-1).argmin()]
    return (rows.min(), rows.max(), cols.min(), cols.max()), darkest


@pytest.mark.parametrize("extra", [{}, {"rotation": 90}, {"alpha": 0.5}], ids=["", "rotated", "alpha"])
@pytest.mark.parametrize("x, y, text, style", TEXTS, ids=[t[2] for t in TEXTS])
def test_the_explorers_canvas_puts_each_text_where_matplotlib_does(x, y, text, style, extra):
    """Texts measured by Pillow and drawn from stamps (see convolved.widgets.render), or by Agg
    when rotated or transparent: Matplotlib's place, size and colour, to a few pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from convolved.widgets.render import ExplorerCanvas

    texts = [(x, y, text, style)]
    (top, bottom, left, right), colour = _ink(_picture(FigureCanvasAgg, texts, **extra))
    (s_top, s_bottom, s_left, s_right), s_colour = _ink(_picture(ExplorerCanvas, texts, **extra))
    assert abs(s_top - top) <= 2 and abs(s_bottom - bottom) <= 2, (top, bottom, s_top, s_bottom)
    # Matplotlib before 3.11 hints glyph widths its own way: lines may differ by a few pixels.
    assert abs(s_left - left) <= 3 and abs(s_right - right) <= 3, (left, right, s_left, s_right)
    assert np.abs(s_colour - colour).max() <= 40, (colour, s_colour)


def test_the_explorers_canvas_copies_its_stamps():
    from convolved.widgets.render import ExplorerCanvas, StampingRenderer

    StampingRenderer.stamps.clear()
    stamped = _picture(ExplorerCanvas, TEXTS)  # makes the stamps
    assert len(StampingRenderer.stamps) == len(TEXTS)
    assert np.array_equal(_picture(ExplorerCanvas, TEXTS), stamped)  # copies them
    assert len(StampingRenderer.stamps) == len(TEXTS)


def test_the_explorers_canvas_measures_each_new_text_once(monkeypatch):
    """Pillow's ink box of a new text (half a millisecond for a long line) is taken once: for
    Matplotlib's layout, and again by the stamp from what the layout measured."""
    from PIL import ImageFont

    from convolved.widgets.render import ExplorerCanvas, StampingRenderer

    measured = []
    getbbox = ImageFont.FreeTypeFont.getbbox

    def counted(font, text, *args, **kwargs):
        measured.append(text)
        return getbbox(font, text, *args, **kwargs)

    monkeypatch.setattr(ImageFont.FreeTypeFont, "getbbox", counted)
    monkeypatch.setattr(StampingRenderer, "stamps", {})
    monkeypatch.setattr(StampingRenderer, "boxes", {})
    _picture(ExplorerCanvas, TEXTS)
    drawn = [text for _, _, text, _ in TEXTS]
    assert sorted(text for text in measured if text in drawn) == sorted(drawn)


@pytest.mark.parametrize("dpi", [80, 100])
def test_the_explorers_canvas_gives_a_texts_line_height_as_matplotlib_reads_it(dpi, monkeypatch):
    """The renderer answers Matplotlib's question for a font's line height (ascent, descent,
    gap: 3.11 asks a renderer that can) from what it read once; the texts' boxes are exactly
    those of Matplotlib reading the font file itself at each layout."""
    from matplotlib.figure import Figure

    from convolved.widgets.render import ExplorerCanvas, StampingRenderer

    styles = [{}, {"fontsize": 9}, {"fontsize": 13, "weight": "bold"}, {"family": "serif"},
              {"family": "monospace", "style": "italic"}]
    fig = Figure(figsize=(4, 3), dpi=dpi)
    texts = [fig.text(0.1, 0.1 + 0.15 * i, line, **style) for i, style in enumerate(styles)
             for line in ("gy", "two\nlines", "Conv2d 3×3")]
    renderer = ExplorerCanvas(fig).get_renderer()
    asked = []
    answer = StampingRenderer._get_font_height_metrics
    monkeypatch.setattr(StampingRenderer, "_get_font_height_metrics",
                        lambda self, prop: asked.append(prop) or answer(self, prop))
    boxes = [text.get_window_extent(renderer).bounds for text in texts]
    if not asked:
        pytest.skip("this Matplotlib reads line heights itself")
    monkeypatch.delattr(StampingRenderer, "_get_font_height_metrics")
    assert [text.get_window_extent(renderer).bounds for text in texts] == boxes


def test_a_grids_numbers_are_drawn_where_texts_would_be_whatever_was_drawn_before(monkeypatch):
    """CellTexts keeps where each string's lines go relative to its centre, measured once: the
    numbers land on the pixels Matplotlib's Text objects there would (Agg), and what is kept
    does not depend on where the string was first drawn (font metrics are whole 64ths of a
    pixel, so the offsets are exact), so neither does an explorer's picture."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from convolved import diagrams

    strings = ["7", "−1.5", "12", "0.25"]

    def picture(shift: float, texts: bool = False) -> np.ndarray:
        fig = Figure(figsize=(4, 3), dpi=80)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, 6)
        ax.set_ylim(0, 4.5)
        ax.set_axis_off()
        items = [(0.37 + 1.13 * i + shift, 0.41 + 0.97 * j + shift / 3, text)
                 for i, text in enumerate(strings) for j in range(4)]
        if texts:
            for x, y, text in items:
                ax.text(x, y, text, ha="center", va="center", fontsize=9, color="k")
        else:
            ax.add_artist(diagrams.CellTexts(items, fontsize=9, color="k"))
        return _pixels(FigureCanvasAgg, fig)

    monkeypatch.setattr(diagrams.CellTexts, "_offsets", {})
    assert np.array_equal(picture(0.0), picture(0.0, texts=True))
    kept = dict(diagrams.CellTexts._offsets)
    for shift in (0.0123, 0.3377, 1.7):  # the same strings measured first elsewhere
        monkeypatch.setattr(diagrams.CellTexts, "_offsets", {})
        assert np.array_equal(picture(shift), picture(shift, texts=True))
        assert diagrams.CellTexts._offsets == kept


@pytest.mark.parametrize("cell", [1.0, 0.35], ids=["apart", "crowded"])
def test_a_grids_numbers_drawn_at_once_are_the_ones_drawn_one_by_one(cell, monkeypatch):
    """The explorers' renderer adds a grid's number stamps into one image (draw_texts): the
    pixels are those of drawing each stamp, also where numbers crowd so that their inks meet
    (then it draws them one by one)."""
    from matplotlib.figure import Figure

    from convolved import diagrams
    from convolved.widgets.render import ExplorerCanvas, StampingRenderer

    def picture() -> np.ndarray:
        fig = Figure(figsize=(4, 3), dpi=80)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, 6)
        ax.set_ylim(0, 4.5)
        ax.set_axis_off()
        values = np.arange(-12, 12).reshape(4, 6) * 1.5
        diagrams.grid(ax, values, 0.2, 4.2, cell=cell, fontsize=9, fill=diagrams.FILLS["kernel"])
        return _pixels(ExplorerCanvas, fig)

    at_once = picture()
    monkeypatch.delattr(StampingRenderer, "draw_texts")  # CellTexts then calls draw_text for each
    one_by_one = picture()
    assert np.array_equal(at_once, one_by_one)
    assert (at_once[..., :3] < 100).any()  # the numbers were drawn


@pytest.mark.parametrize("gap", [-3, 0, 1, 2, 4], ids=lambda gap: f"gap{gap}")
def test_texts_drawn_at_once_close_together_are_the_ones_drawn_one_by_one(gap):
    """Two texts ``gap`` pixels apart, ink to ink: their stamps' transparent margins overlap the
    other's ink (gap 0 – 2, margins of 2 pixels), or their inks meet (gap −3). draw_texts gives
    the pixels of two draw_text calls."""
    from matplotlib.font_manager import FontProperties

    from convolved.widgets.render import StampingRenderer

    prop = FontProperties(family="DejaVu Sans", size=11)
    texts = ["8", "W7"]

    def pixels(at_once: bool) -> np.ndarray:
        renderer = StampingRenderer(120, 40, 80)
        gc = renderer.new_gc()
        gc.set_foreground("#C44E52")
        font = renderer._pillow_font(prop)
        ink_left, _, ink_right, _ = font.getbbox(texts[0], anchor="ls")
        second_left = font.getbbox(texts[1], anchor="ls")[0]
        lines = [(20.0, 30.0, texts[0], prop, False),
                 (20.0 + ink_right + gap - second_left, 30.0, texts[1], prop, False)]
        if at_once:
            renderer.draw_texts(gc, lines)
        else:
            for x, y, text, font_prop, ismath in lines:
                renderer.draw_text(gc, x, y, text, font_prop, 0, ismath)
        return np.asarray(renderer.buffer_rgba()).copy()

    one_by_one = pixels(at_once=False)
    assert np.array_equal(pixels(at_once=True), one_by_one)
    assert (one_by_one[..., 3] > 0).any()


IMAGES = [  # (shape, origin): shrunk and enlarged, gray and colour, either way up
    ((256, 256), "upper"), ((7, 5), "upper"), ((40, 90, 3), "lower"), ((300, 100), "upper")]


@pytest.mark.parametrize("shape, origin", IMAGES, ids=[f"{shape}-{origin}" for shape, origin in IMAGES])
def test_the_explorers_canvas_scales_images_as_agg_does(shape, origin):
    """Images drawn with interpolation="none" (as plotting.draw_image draws them) are scaled by
    the explorer's renderer itself, to Agg's pixels. (Matplotlib 3.8 picks the source pixel of
    a shrunk image a pixel off now and then, so the image is smooth: a pixel off changes a
    colour a little, a flipped or shifted image a lot.)"""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from convolved.widgets.render import ExplorerCanvas

    rows, columns = np.indices(shape[:2])
    data = np.sin(rows / shape[0] * 3 + 0.5) * np.cos(columns / shape[1] * 2)
    data = (data[..., None] * [1, 0.5, -1] if len(shape) == 3 else data) / 2 + 0.5
    pictures = []
    for canvas_class in (FigureCanvasAgg, ExplorerCanvas):
        fig = Figure(figsize=(3.3, 3.4), dpi=80, layout="constrained")
        ax = fig.subplots()
        ax.imshow(data, cmap="RdBu_r", interpolation="none", origin=origin)
        ax.set_axis_off()
        pictures.append(_pixels(canvas_class, fig))
    (top, bottom, left, right), _ = _ink(pictures[0][..., :3])
    assert np.abs(np.subtract(_ink(pictures[1][..., :3])[0], (top, bottom, left, right))).max() <= 1
    # Inside (Matplotlib 3.8 rounds an image's last column or row its own way):
    error = np.abs(pictures[0] - pictures[1])[top + 1:bottom, left + 1:right]
    assert error.max() <= 24 and error.mean() < 2, (error.max(), error.mean())


def test_the_explorers_canvas_draws_a_turned_image_as_agg_does():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.transforms import Affine2D

    from convolved.widgets.render import ExplorerCanvas

    data = np.random.default_rng(1).random((30, 20))
    pictures = []
    for canvas_class in (FigureCanvasAgg, ExplorerCanvas):
        fig = Figure(figsize=(3, 3), dpi=80)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(-30, 30)
        ax.set_ylim(-30, 30)
        ax.imshow(data, interpolation="none", extent=(0, 20, 0, 30),
                  transform=Affine2D().rotate_deg(30) + ax.transData)
        pictures.append(_pixels(canvas_class, fig))
    differ = np.abs(pictures[0] - pictures[1]).max(-1) > 0
    assert (pictures[0] != 255).any() and differ.mean() < 0.05, differ.mean()


def test_a_picture_drawn_into_a_reused_figure_is_the_one_a_fresh_figure_gives():
    """Explorers draw into the figure of their last picture (Explorer.reuse): nothing of an
    earlier picture may show through. Each lesson explorer goes three steps away and back."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from bench import control_changes, lesson_explorers

    for notebook, explorer in lesson_explorers():
        control, next_value = control_changes(explorer)
        first, start = bytes(explorer.view.value), control.value
        for _ in range(3):
            control.value = next_value()
        assert bytes(explorer.view.value) != first, notebook
        control.value = start
        assert bytes(explorer.view.value) == first, f"notebook {notebook}'s explorer"


def test_draw_image_in_an_emptied_figure_gives_its_kept_image_new_pixels():
    """clear_pictures hides the images; draw_image shows the next picture in the one kept on the
    axes (same shape), its colour bar following, or replaces it (another shape). The pixels are
    those of a figure drawn afresh, and hidden images do not pile up."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rng = np.random.default_rng(0)

    def draw(fig, gray, rgb, colorbar):
        left, right = fig.axes[:2]
        shown = plotting.draw_image(left, gray, "map", symmetric=True, colorbar=colorbar)
        plotting.draw_image(right, rgb, "photo")
        return shown

    def empty_figure():
        fig = Figure(figsize=(5, 2.5))
        fig.subplots(1, 2)
        return fig

    kept = empty_figure()
    first = draw(kept, rng.normal(size=(8, 8)), rng.random((8, 8, 3)), colorbar=True)
    for step in range(4):
        gray = rng.normal(size=(8, 8)) * (step + 1)  # a new range: the colour bar must follow
        rgb = rng.random((8 - step, 8, 3))  # a new shape at every step: replaced
        plotting.clear_pictures(kept)
        shown = draw(kept, gray, rgb, colorbar=False)
        assert shown is first  # the same image, new pixels
        assert [len(ax.images) for ax in kept.axes[:2]] == [1, 1]
        fresh = empty_figure()
        draw(fresh, gray, rgb, colorbar=True)
        assert np.array_equal(_pixels(FigureCanvasAgg, kept), _pixels(FigureCanvasAgg, fresh)), step


def _wait_for_photos() -> None:
    import threading

    for thread in threading.enumerate():
        if thread.name == "prepare_images":
            thread.join()


@pytest.mark.parametrize("trigger", ["shown", "changed"])
def test_photo_explorers_prepare_the_other_photos_once_a_browser_shows_them(trigger):
    """Shown in a browser (which tells the kernel it made a view), or failing that at the
    learner's first change; a notebook run without a browser pays nothing."""
    import threading

    from convolved import data
    from convolved.widgets import PoolingExplorer

    _wait_for_photos()
    data._resized.cache_clear()
    explorer = PoolingExplorer(image="camera", size=32)
    assert not any(t.name == "prepare_images" for t in threading.enumerate())  # a notebook run pays nothing
    assert data._resized.cache_info().currsize == 1  # the photo shown
    if trigger == "shown":
        explorer.widget.set_state({"_view_count": 1})  # the message JupyterLab sends
    else:
        explorer.kernel_size.value = 4  # the learner's first change
    _wait_for_photos()
    assert data._resized.cache_info().currsize == len(data.IMAGES)
    assert explorer.on_first_view is None  # started once
    explorer.widget.set_state({"_view_count": 2})  # another view: nothing to start
    explorer.kernel_size.value = 3
    assert not any(t.name == "prepare_images" for t in threading.enumerate())
    hits = data._resized.cache_info().hits
    explorer.photo.value = "coins"
    assert data._resized.cache_info().hits > hits  # switching photos reuses the prepared one
    # No view left: what it planned to draw ahead (here on whatever loop was running, such as
    # Playwright's on the browser tests' worker) is dropped when that loop gets to it.
    explorer.widget.set_state({"_view_count": 0})
