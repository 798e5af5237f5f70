"""Drawing an explorer's figure quickly: an Agg canvas that keeps its renderer and stamps texts.

An explorer draws much the same picture at every change, and most of its drawing time went to
text. Matplotlib 3.11 renders text glyph by glyph, about 5 ms for a 50-character line, so a
change that brings eight new lines (a formula with new numbers, new titles) spent 40 ms on them.
Here the explorers' texts are rasterised by Pillow, with the font file Matplotlib chose (about
0.4 ms a line), measured by the same font so that Matplotlib's layout places them right, and
kept as small bitmaps, stamps, copied wherever and whenever the same text comes back (a grid's
numbers, titles a change leaves as they were); a grid's numbers are added into one image and
drawn at once; a font's line height, which Matplotlib 3.11 reads from the font file at every
layout, is read once per style. Glyph shapes differ from Matplotlib's by a hint; rotated
texts, mathtext and transparent texts are left to Agg. Images drawn with interpolation="none"
(every photo and feature map of plotting.draw_image) are scaled here too, to Agg's pixels,
skipping Matplotlib's resampling machinery (5 ms for a 256×256 photo, now 2).
Figures saved to files (``make images``) are drawn by Agg alone.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.colors import to_rgba
from matplotlib.font_manager import findfont, fontManager, get_font
from matplotlib.image import NEAREST, resample
from matplotlib.transforms import Affine2D
from PIL import Image, ImageDraw, ImageFont

_MARGIN = 2  # pixels around a stamp's text: anti-aliasing reaches beyond the glyphs' boxes
_BUDGET = 32 * 2**20  # bytes of stamps kept; beyond, they are made afresh


@lru_cache(maxsize=64)
def _font(path: str, pixels: float) -> ImageFont.FreeTypeFont:
    # Pillow's basic layout spaces glyphs as Matplotlib does (libraqm's would by a few pixels
    # more or less per line).
    try:
        return ImageFont.truetype(path, pixels, layout_engine=ImageFont.Layout.BASIC)
    except TypeError:  # a Pillow before 10.1 takes whole pixel sizes only
        return ImageFont.truetype(path, round(pixels), layout_engine=ImageFont.Layout.BASIC)


def _said(prop) -> tuple:
    """What a FontProperties says, as a key: its size in points first."""
    return (prop.get_size_in_points(), prop.get_weight(), prop.get_style(), prop.get_stretch(),
            prop.get_variant(), tuple(prop.get_family()), prop.get_file())


class StampingRenderer(RendererAgg):
    """Agg, drawing and measuring horizontal opaque texts with Pillow, from stamps shared by
    every renderer, and scaling images itself."""

    stamps: dict = {}  # (text, font, size, colour, antialiasing) → (RGBA bitmap, left, top, inked)
    stamp_bytes = 0

    fonts: dict = {}  # what a FontProperties says, and the dpi → its Pillow font
    boxes: dict = {}  # (text, font, size) → its ink box: measured for the layout, used by the stamp

    def _pillow_font(self, prop) -> ImageFont.FreeTypeFont:
        # Finding the font file costs more than stamping the text: it is done once per style
        # (a picture has a handful, and draws a few hundred texts).
        said = (*_said(prop), self.dpi)
        font = self.fonts.get(said)
        if font is None:
            if len(self.fonts) > 256:  # a bound, far above what the course's pictures need
                self.fonts.clear()
            # As a plain string: Matplotlib 3.11's font path hashes slowly, and it is part of
            # every stamp's key.
            font = self.fonts[said] = _font(str(findfont(prop)), said[0] * self.dpi / 72)
        return font

    heights: dict = {}  # what a FontProperties says, and the dpi → its line's ascent, descent, gap

    def _get_font_height_metrics(self, prop) -> tuple[float | None, float | None, float | None]:
        # Matplotlib 3.11 lays every text out with its font's line height, read from the font
        # file's tables each time (found by its properties, 0.1 ms per text); it asks a renderer
        # that has this method instead. Read here the same way, once per style.
        said = (*_said(prop), self.dpi)
        metrics = self.heights.get(said)
        if metrics is None:
            if len(self.heights) > 256:  # a bound, far above what the course's pictures need
                self.heights.clear()
            font = get_font(fontManager._find_fonts_by_props(prop))
            # (In Matplotlib's order of operations: the same floats, the same pixels.)
            scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * said[0] * self.dpi / 72
            for table, gap, ascent, descent in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                ("hhea", "lineGap", "ascent", "descent")):
                values = font.get_sfnt_table(table)
                if values is not None:
                    metrics = (values[ascent] * scale, -values[descent] * scale, values[gap] * scale)
                    break
            else:
                metrics = (None, None, None)  # Matplotlib measures the text "lp" instead
            self.heights[said] = metrics
        return metrics

    def option_scale_image(self) -> bool:
        # Images drawn with interpolation="none" come here whole, with their transform, and
        # are scaled below, instead of being normalised and resampled by Matplotlib first:
        # a photo then costs an explorer about 2 ms instead of 5.
        return True

    def _update_methods(self):
        super()._update_methods()
        self.draw_image = self._draw_image  # Agg sets its own as an attribute of the renderer

    def _draw_image(self, gc, x, y, im, transform=None):
        if transform is None:
            return self._renderer.draw_image(gc, x, y, im)
        # ``transform`` maps the unit square onto the image's place, from (x, y): scaled to the
        # nearest pixel, as Agg does, onto the whole pixels Agg would cover (rounded half up, as
        # Matplotlib rounds an image's border).
        height, width = im.shape[:2]
        corners = transform.transform([(0, 0), (1, 0), (0, 1), (1, 1)]) + (x, y)
        (x0, y0), (x1, y1) = (np.floor(corners.min(0) + 0.5).astype(int),
                              np.floor(corners.max(0) + 0.5).astype(int))
        if x1 <= x0 or y1 <= y0:
            return None
        (a, c, e), (b, d, f), _ = transform.get_matrix()
        if b or c:  # turned: Matplotlib's own resampling, into the box around it
            out = np.zeros((y1 - y0, x1 - x0, 4), np.uint8)
            resample(im, out, Affine2D().scale(1 / width, 1 / height) + transform
                     + Affine2D().translate(x - x0, y - y0), NEAREST)
            return self._renderer.draw_image(gc, x0, y0, out)
        # The pixel centres' positions in the unit square, then in the image's pixels.
        columns = ((np.arange(x0, x1) + 0.5 - x - e) / a * width).astype(int).clip(0, width - 1)
        rows = ((np.arange(y0, y1) + 0.5 - y - f) / d * height).astype(int).clip(0, height - 1)
        # Each RGBA pixel as one 32-bit number: picking rows, then columns, is five times quicker.
        pixels = np.ascontiguousarray(im).view(np.uint32).reshape(height, width)
        scaled = pixels.take(rows, 0).take(columns, 1).view(np.uint8).reshape(len(rows), len(columns), 4)
        return self._renderer.draw_image(gc, x0, y0, scaled)

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        _, top, right, bottom = self._box(self._pillow_font(prop), s)
        return float(right), float(bottom - top), float(max(bottom, 0))

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or angle or gc.get_alpha() != 1:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        (bitmap, *_), column, row = self._placed(gc, x, y, s, self._pillow_font(prop))
        self._renderer.draw_image(gc, column, row, bitmap)

    def _placed(self, gc, x, y, s, font) -> tuple[tuple, int, int]:
        """The stamp of ``s`` in ``gc``'s colour (made the first time), and the column and row,
        counted from the canvas's bottom left, where draw_image puts its bottom-left pixel.

        (x, y) is where the text's baseline starts, y running down (Matplotlib flips y for
        Agg), rounded to a whole pixel as Agg rounds it: one stamp serves a text wherever it
        goes.
        """
        key = (s, font.path, font.size, gc.get_rgb(), gc.get_antialiased())
        if key not in self.stamps:
            self._keep(key, self._stamp(font, s, gc, self._box(font, s)))
        stamp = self.stamps[key]
        bitmap, left, top, _ = stamp
        return stamp, round(x) - left, self.height - (round(y) - top + bitmap.shape[0])

    def draw_texts(self, gc, texts) -> None:
        """``draw_text`` for each of ``texts``, (x, y, s, prop, ismath) tuples, unrotated: their
        stamps are added into one image, drawn in one call (a grid's few hundred numbers cost
        Agg a few hundred calls otherwise). If two stamps' inks meet, or ``draw_text`` would
        leave the texts to Agg, they are drawn one by one: the pixels are the same."""
        if gc.get_alpha() != 1 or len(texts) < 2 or any(ismath for *_, ismath in texts):
            for x, y, s, prop, ismath in texts:
                self.draw_text(gc, x, y, s, prop, 0, ismath)
            return
        last_prop = font = None
        placed = []  # (stamp, column, row): see _placed
        for x, y, s, prop, _ in texts:
            if prop is not last_prop:  # a grid's numbers share one; hashing it costs more
                last_prop, font = prop, self._pillow_font(prop)
            placed.append(self._placed(gc, x, y, s, font))
        x0 = min(column for _, column, _ in placed)
        y0 = min(row for _, _, row in placed)
        x1 = max(column + stamp[0].shape[1] for stamp, column, _ in placed)
        y1 = max(row + stamp[0].shape[0] for stamp, _, row in placed)
        layer = np.zeros((y1 - y0, x1 - x0, 4), np.uint8)  # rows bottom-up, as the stamps'
        for (bitmap, *_), column, row in placed:
            height, width = bitmap.shape[:2]
            layer[row - y0:row - y0 + height, column - x0:column - x0 + width] += bitmap
        # Stamps may share transparent margins (which add nothing); if inks meet, fewer pixels
        # are inked than the stamps hold between them, and adding mixed their colours.
        if np.count_nonzero(layer[..., 3]) == sum(stamp[3] for stamp, _, _ in placed):
            self._renderer.draw_image(gc, x0, y0, layer)
        else:
            for (bitmap, *_), column, row in placed:
                self._renderer.draw_image(gc, column, row, bitmap)

    @classmethod
    def _box(cls, font, s: str) -> tuple[int, int, int, int]:
        """Pillow's ink box of ``s`` from the start of its baseline (half a millisecond for a long
        line): a new text is measured for Matplotlib's layout, then stamped."""
        key = (s, font.path, font.size)
        box = cls.boxes.get(key)
        if box is None:
            if len(cls.boxes) > 4096:  # a bound, far above what the course's pictures need
                cls.boxes.clear()
            box = cls.boxes[key] = font.getbbox(s, anchor="ls")
        return box

    @staticmethod
    def _stamp(font, s, gc, box):
        """The text in the colour of ``gc`` on transparency, its baseline starting at (left, top),
        and how many of its pixels are inked."""
        ink_left, ink_top, ink_right, ink_bottom = box
        left, top = _MARGIN - min(ink_left, 0), _MARGIN - min(ink_top, 0)
        mask = Image.new("L", (left + ink_right + _MARGIN + 1, top + max(ink_bottom, 0) + _MARGIN + 1))
        ImageDraw.Draw(mask).text((left, top), s, font=font, fill=255, anchor="ls",
                                  fontmode="L" if gc.get_antialiased() else "1")
        alpha = np.asarray(mask)
        bitmap = np.zeros((*alpha.shape, 4), np.uint8)
        # The colour only where there is ink: adding a stamp's transparent margin onto another
        # stamp's ink (draw_texts) then changes nothing.
        inked = alpha > 0
        bitmap[inked, :3] = np.round(np.array(to_rgba(gc.get_rgb())[:3]) * 255)
        bitmap[..., 3] = alpha
        return bitmap[::-1].copy(), left, top, int(inked.sum())  # draw_image wants rows bottom-up

    @classmethod
    def _keep(cls, key, stamp) -> None:
        if cls.stamp_bytes > _BUDGET:
            cls.stamps.clear()
            cls.stamp_bytes = 0
        cls.stamps[key] = stamp
        cls.stamp_bytes += stamp[0].nbytes


class ExplorerCanvas(FigureCanvasAgg):
    """An Agg canvas whose renderer outlives the figure: Matplotlib caches text sizes per renderer,
    and an explorer draws the same texts at every change."""

    renderers: dict = {}  # (width, height, dpi) → renderer, the few most recent

    def get_renderer(self):
        key = (*self.get_width_height(physical=True), self.figure.dpi)
        renderer = self.renderers.pop(key, None) or StampingRenderer(*key)
        self.renderers[key] = renderer  # now the most recent
        if len(self.renderers) > 4:
            del self.renderers[next(iter(self.renderers))]
        return renderer
