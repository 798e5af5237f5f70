"""Bundled data, classic kernels, plots and timing helpers."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from PIL import Image

from convolved import data, kernels, plotting, speed


@pytest.mark.parametrize("name", list(data.IMAGES))
def test_every_listed_photo_loads_offline(name):
    image = data.load_image(name, 32)
    assert image.dtype == np.float32 and image.shape[:2] == (32, 32)
    assert image.ndim in (2, 3) and 0.0 <= image.min() <= image.max() <= 1.0
    assert data.load_image(name, 32, gray=True).shape == (32, 32)


def test_sizes_and_colour():
    assert data.load_image("coffee").shape == (400, 600, 3)
    assert data.load_image("coffee", (30, 50)).shape == (30, 50, 3)
    gray = data.load_image("coffee", 16, gray=True)
    colour = data.load_image("coffee", 16)
    weights = np.array([0.2125, 0.7154, 0.0721])  # scikit-image's luminance weights
    assert np.allclose(gray, colour @ weights, atol=0.02)


def test_loaded_images_are_copies():
    image = data.load_image("camera")
    image[:] = 0
    assert data.load_image("camera").max() > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"name": "lena"}, ValueError, "name must be one of"),
        ({"name": 3}, ValueError, "name must be one of"),
        ({"name": "camera", "size": 0}, ValueError, "size must be >= 1"),
        ({"name": "camera", "size": 2.5}, TypeError, "size must be an int"),
        ({"name": "camera", "size": (10, 10, 3)}, ValueError, "size must be an int or a tuple of 2"),
        ({"name": "camera", "gray": "yes"}, TypeError, "gray must be True or False"),
        ({"name": "camera", "size": 8, "fit": "crop"}, ValueError, "fit must be one of 'square', 'shorter'"),
        ({"name": "camera", "dtype": "float64"}, ValueError, "dtype must be one of 'float32', 'uint8'"),
    ],
)
def test_load_image_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.load_image(**kwargs)


def test_photos_are_prepared_from_the_next_one_on(monkeypatch):
    """In the order a learner steps through the dropdown, without the one on screen."""
    import threading

    loaded = []
    monkeypatch.setattr(data, "load_image", lambda name, *args, **kwargs: loaded.append((name, args, kwargs)))
    data.prepare_images(["a", "b", "c", "d"], 64, gray=True, after="c")
    for thread in threading.enumerate():
        if thread.name == "prepare_images":
            thread.join()
    assert loaded == [(name, (64,), {"gray": True}) for name in "dab"]


def test_to_batch_layouts():
    assert data.to_batch(np.zeros((5, 7))).shape == (1, 1, 5, 7)
    batch = data.to_batch(np.arange(5 * 7 * 3, dtype=np.float32).reshape(5, 7, 3))
    assert batch.shape == (1, 3, 5, 7) and batch[0, 2, 0, 1] == 5
    with pytest.raises(ValueError, match="image must be"):
        data.to_batch(np.zeros(4))


def test_digits_are_scikit_learns():
    from sklearn.datasets import load_digits

    images, labels = data.digits()
    bunch = load_digits()
    assert np.array_equal(images[:, 0].numpy(), (bunch.images / 16.0).astype(np.float32))
    assert np.array_equal(labels.numpy(), bunch.target)
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    assert images.min() >= 0 and images.max() <= 1
    assert set(labels.tolist()) == set(range(10))


def test_synthetic_data_is_seeded():
    assert np.array_equal(data.synthetic_signal(30, 1), data.synthetic_signal(30, 1))
    assert not np.array_equal(data.synthetic_signal(30, 1), data.synthetic_signal(30, 2))
    volume = data.synthetic_volume(12)
    assert volume.shape == (12, 12, 12) and set(np.unique(volume)) == {0.0, 1.0}
    with pytest.raises(ValueError, match="length must be >= 8"):
        data.synthetic_signal(3)


class TestKernels:
    def test_edge_kernels_are_antisymmetric(self):
        for name in ("vertical edges", "horizontal edges"):
            kernel = kernels.get_kernel(name)
            assert np.array_equal(kernel[::-1, ::-1], -kernel)

    def test_blurs_keep_brightness(self):
        for name in ("box blur", "gaussian blur"):
            assert np.isclose(kernels.get_kernel(name).sum(), 1.0)

    def test_unknown_kernel(self):
        with pytest.raises(ValueError, match="name must be one of"):
            kernels.get_kernel("sobel")

    @pytest.mark.parametrize("padding", ["valid", "same"])
    def test_apply_kernel_matches_torch_per_channel(self, padding):
        image = data.load_image("astronaut", 24)
        kernel = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
        out = kernels.apply_kernel(image, kernel, padding)
        for channel in range(3):
            expected = F.conv2d(torch.tensor(image[..., channel])[None, None],
                                torch.tensor(kernel)[None, None], padding=padding)[0, 0]
            assert np.allclose(out[..., channel], expected.numpy(), atol=1e-5)

    def test_apply_kernel_bad_input(self):
        with pytest.raises(ValueError, match="kernel must have 2 dimensions"):
            kernels.apply_kernel(np.zeros((8, 8)), np.zeros(3))


class TestPlotting:
    def test_a_kernels_numbers_have_real_minus_signs(self):
        """As every figure writes them (diagrams.fmt): "−4", not "-4"."""
        from matplotlib.figure import Figure

        from convolved.diagrams import MINUS, CellTexts

        ax = Figure().subplots()
        plotting.draw_kernel(ax, np.array([[-4.0, 0.0], [0.25, -0.5]]))
        texts = sorted(text for artist in ax.artists if isinstance(artist, CellTexts)
                       for _, _, text in artist.items)
        assert texts == sorted([f"{MINUS}4", "0", "0.25", f"{MINUS}0.50"])

    @pytest.mark.parametrize("scale, symmetric", [(3.0, True), (0.02, True), (0.0, False)],
                             ids=["signed", "small", "one value"])
    def test_the_colour_bar_shows_what_matplotlibs_colorbar_shows(self, scale, symmetric):
        """draw_image's colour bar is drawn as a picture of the colour map (cheap to follow a
        new scale), in the place Matplotlib's Colorbar takes: the same numbers, the same
        colours, and it follows the image's scale and colour map."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        array = np.random.default_rng(1).normal(size=(12, 12)) * scale + (0 if scale else 0.5)

        def picture(ours: bool):
            fig = Figure(figsize=(4, 3), layout="constrained")
            ax = fig.subplots()
            shown = plotting.draw_image(ax, array, symmetric=symmetric, colorbar=ours)
            if not ours:
                bar = fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
                bar.ax.xaxis.set_visible(False)
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            numbers = [label.get_text() for label in fig.axes[1].get_yticklabels()]
            return fig, shown, numbers, np.asarray(canvas.buffer_rgba())[..., :3].astype(int)

        fig, shown, numbers, ours = picture(ours=True)
        _, _, their_numbers, theirs = picture(ours=False)
        assert numbers == their_numbers and len(numbers) >= 3
        # Colours within a band of the 256 (Matplotlib before 3.11 puts the bands' edges a row
        # apart), but for a few pixels at the bar's ends.
        differ = np.abs(ours - theirs).max(-1)
        assert (differ > 3).mean() < 0.001, (differ > 3).sum()

        cax = fig.axes[1]
        shown.set_clim(-5, 7)
        assert cax.get_ylim() == (-5, 7)
        shown.set_cmap("viridis")
        assert cax.images[0].get_cmap().name == "viridis"

    def test_every_plot_is_a_figure(self):
        rng = np.random.default_rng(0)
        figures = [
            plotting.show_image(rng.random((8, 8)), "gray"),
            plotting.image_grid([rng.random((8, 8, 3)), torch.rand(1, 3, 8, 8)], ["hwc", "nchw"]),
            plotting.feature_maps(rng.standard_normal((3, 6, 6))),
            plotting.kernel_grid(torch.randn(2, 3, 3, 3)),
            plotting.plot_signals({"a": rng.random(10), "b": torch.rand(5)}),
            plotting.plot_timings({"x": [0.001, 0.002]}, [3, 5]),
        ]
        for fig in figures:
            assert isinstance(fig, Figure)
            width, height = fig.get_size_inches()
            with Image.open(io.BytesIO(plotting.to_png(fig, dpi=50))) as png:
                assert png.format == "PNG"  # at 50 dpi: the figure's size, to the pixel
                assert abs(png.size[0] - 50 * width) < 1 and abs(png.size[1] - 50 * height) < 1

    def test_png_holds_the_drawn_pixels_exactly(self):
        fig = plotting.feature_maps(np.random.default_rng(2).standard_normal((3, 6, 6)))
        png = plotting.to_png(fig, dpi=60)
        drawn = np.asarray(fig.canvas.buffer_rgba())[..., :3]  # to_png drew on the figure's canvas
        with Image.open(io.BytesIO(png)) as decoded:
            assert np.array_equal(np.asarray(decoded.convert("RGB")), drawn)

    def test_png_bytes_are_reproducible(self):
        image = np.random.default_rng(1).random((8, 8))
        assert plotting.to_png(plotting.show_image(image)) == plotting.to_png(plotting.show_image(image))

    @pytest.mark.parametrize(
        ("call", "match"),
        [
            (lambda: plotting.image_grid([]), "at least one image"),
            (lambda: plotting.image_grid([np.zeros((4, 4))], ["a", "b"]), "one entry per image"),
            (lambda: plotting.show_image(np.zeros((2, 3, 4, 4))), "single image"),
            (lambda: plotting.show_image(np.zeros(4)), "2-D or 3-D"),
            (lambda: plotting.kernel_grid(np.zeros((3, 3))), r"\(out, in, kH, kW\)"),
        ],
    )
    def test_bad_input(self, call, match):
        with pytest.raises(ValueError, match=match):
            call()


def test_speed_helpers():
    calls = []
    seconds = speed.time_call(lambda: calls.append(1), repeat=4)
    assert seconds >= 0 and len(calls) == 4
    timings = speed.race({"sum": lambda image, kernel: image.sum() + kernel.sum()}, np.ones((8, 8)), [3, 5])
    assert list(timings) == ["sum"] and len(timings["sum"]) == 2


def test_load_image_keeps_each_resized_photo_but_hands_out_copies():
    first = data.load_image("coins", 24)
    first[:] = 0  # a learner's edit must not reach the next caller
    again = data.load_image("coins", 24)
    assert again.max() > 0 and again.flags.writeable
    assert np.array_equal(data.load_image("coins", 24, dtype="uint8"), np.rint(again * 255))
