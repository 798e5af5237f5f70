"""The course figures: a deterministic build that matches the committed files in images/."""

from __future__ import annotations

import base64
import struct
import tomllib
import zlib
from pathlib import Path

import pytest
from helpers import PNG_SIGNATURE
from PIL import Image

from convolved import figures

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "images"


def png_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    """The (type, data) chunks of a PNG file, checking each chunk's CRC."""
    raw = path.read_bytes()
    assert raw.startswith(PNG_SIGNATURE), f"{path.name} is not a PNG file"
    chunks, pos = [], len(PNG_SIGNATURE)
    while pos < len(raw):
        (length,) = struct.unpack(">I", raw[pos:pos + 4])
        kind, data = raw[pos + 4:pos + 8], raw[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", raw[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data), f"{path.name}: bad CRC in chunk {kind!r}"
        chunks.append((kind, data))
        pos += 12 + length
    assert chunks and chunks[-1][0] == b"IEND"
    return chunks


# One worker builds the figures once for the whole module (pytest-xdist --dist loadgroup).
pytestmark = pytest.mark.xdist_group("figures")


@pytest.fixture(scope="session")  # session: built once even if the worker interleaves modules
def built(tmp_path_factory) -> list[Path]:
    """A fresh build; equal bytes to images/, built in another process on another day, is what
    "deterministic" means (so no second build here)."""
    return figures.build(tmp_path_factory.mktemp("images"))


def test_images_folder_matches_registry():
    committed = sorted(p.stem for p in IMAGES.glob("*.png"))
    assert committed == sorted(figures.FIGURES), (
        "images/ and the figure registry differ; run `python -m convolved.figures`")


def test_build_reproduces_committed_images(built):
    assert [p.stem for p in built] == list(figures.FIGURES)
    stale = [p.name for p in built
             if not (IMAGES / p.name).exists()
             or (IMAGES / p.name).read_bytes() != p.read_bytes()]
    assert not stale, f"out of date in images/: {stale}; run `python -m convolved.figures`"


def test_build_selected_names(tmp_path):
    name = next(iter(figures.FIGURES))
    paths = figures.build(tmp_path, [name])
    assert paths == [tmp_path / f"{name}.png"]
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.png"]
    with pytest.raises(KeyError, match="unknown figure"):
        figures.build(tmp_path, ["no_such_figure"])


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_alt_text(name):
    text = figures.alt_text(name)
    assert text.strip() and text == figures.ALT_TEXT[name]
    assert len(text) >= 40, "alt text should describe what the figure shows"
    assert "\n" not in text


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_show_figure_gives_the_committed_png_and_the_alt_text(name):
    shown = figures.show_figure(name)
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]) == (IMAGES / f"{name}.png").read_bytes()
    assert bundle["text/plain"] == figures.alt_text(name)


def test_show_figure_unknown_name_lists_the_figures():
    with pytest.raises(ValueError, match="unknown figure 'no_such_figure'") as error:
        figures.show_figure("no_such_figure")
    assert all(name in str(error.value) for name in figures.FIGURES)


def test_the_package_lists_every_subpackage_and_carries_images():
    """pyproject.toml lists the packages (so images/ can be convolved.images): a subpackage left out
    of the list would be missing from the wheel that Colab installs."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    source = ROOT / "src" / "convolved"
    subpackages = {"convolved." + init.parent.relative_to(source).as_posix().replace("/", ".")
                   for init in source.glob("*/**/__init__.py")}
    assert sorted(setuptools["packages"]) == sorted({"convolved", "convolved.images", *subpackages})
    assert setuptools["package-dir"] == {"": "src", "convolved.images": "images"}
    assert setuptools["package-data"]["convolved.images"] == ["*.png"]


def test_alt_text_unknown_name():
    with pytest.raises(KeyError, match="unknown figure"):
        figures.alt_text("no_such_figure")


def test_figure_needs_a_docstring():
    with pytest.raises(ValueError, match="docstring"):
        figures.figure("test_without_docstring")(lambda: None)
    assert "test_without_docstring" not in figures.FIGURES


def test_png_has_no_text_or_time_chunks(built):
    for path in built:
        kinds = {kind for kind, _ in png_chunks(path)}
        assert not kinds & {b"tEXt", b"zTXt", b"iTXt", b"tIME"}, (path.name, kinds)
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert not set(image.info) & {"Software", "Creation Time", "date:create",
                                           "date:modify", "Title", "Author"}, image.info


def test_png_sizes(built):
    for path in built:
        assert path.stat().st_size < 150_000, f"{path.name} is {path.stat().st_size} bytes"
        with Image.open(path) as image:
            width, height = image.size
        assert 300 <= width <= 2000 and 200 <= height <= 1500, (path.name, image.size)


def test_cli_only(tmp_path, capsys):
    from convolved.figures.__main__ import main

    name = next(iter(figures.FIGURES))
    assert main([str(tmp_path), "--only", name]) == 0
    assert (tmp_path / f"{name}.png").read_bytes() == (IMAGES / f"{name}.png").read_bytes()
    assert f"{name}.png" in capsys.readouterr().out


def test_cli_needs_the_output_folder(capsys):
    from convolved.figures.__main__ import main

    with pytest.raises(SystemExit):
        main([])
    assert "out_dir" in capsys.readouterr().err
