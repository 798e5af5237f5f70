"""Drawing an explorer's figure quickly: an Agg canvas that keeps its renderer and stamps texts.

An explorer draws much the same picture at every change, and most of its drawing time went to
text: Matplotlib lays out and renders every text glyph by glyph, about 0.3 ms even for a
one-digit number, so a grid of 200 numbered cells cost 60 ms. Here each text is rendered once
into a small bitmap, a stamp, by Matplotlib itself at the same sub-pixel offset, and copied
wherever and whenever it comes back (a grid's numbers, titles a change leaves as they were).
The pixels are those Matplotlib draws, except where a text's own glyphs overlap: blended on the
stamp first, such a pixel may round differently, by a level or two out of 255.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

try:  # the text's size, which Matplotlib measured just before and keeps per renderer
    from matplotlib.text import _get_text_metrics_with_cache as _text_size
except ImportError:  # a Matplotlib without it: measure again
    def _text_size(renderer, s, prop, ismath, dpi):
        return renderer.get_text_width_height_descent(s, prop, ismath)

_MARGIN = 4  # pixels around a stamp's text box: anti-aliasing and overhangs reach beyond it
_BUDGET = 32 * 2**20  # bytes of stamps kept; beyond, they are made afresh
_GLYPHS = ("text.hinting", "text.hinting_factor", "text.kerning_factor")  # settings that shape them


class StampingRenderer(RendererAgg):
    """Agg, drawing horizontal opaque texts from stamps shared by every renderer."""

    stamps: dict = {}  # (text, font, colour, sub-pixel offset, dpi, ...) → (RGBA bitmap, left, top)
    stamp_bytes = 0

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or angle or gc.get_alpha() != 1:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        fx, fy = round(x % 1 * 64) / 64, round(y % 1 * 64) / 64  # Agg places glyphs in 64ths
        key = (s, prop.copy(), gc.get_rgb(), gc.get_antialiased(), fx, fy, self.dpi,
               *(rcParams[name] for name in _GLYPHS))
        if key not in self.stamps:
            self._keep(key, self._stamp(gc, fx, fy, s, prop, mtext))
        bitmap, left, top = self.stamps[key]
        # x runs right and y down here (Matplotlib flips y for Agg); draw_image takes the bottom.
        self._renderer.draw_image(gc, math.floor(x) - left,
                                  self.height - (math.floor(y) - top + bitmap.shape[0]), bitmap)

    def _stamp(self, gc, fx, fy, s, prop, mtext):
        """The text drawn alone on a transparent renderer, its baseline at (left + fx, top + fy)."""
        width, height, descent = _text_size(self, s, prop, False, self.dpi)
        left, top = _MARGIN, _MARGIN + math.ceil(height - descent)
        scratch = RendererAgg(math.ceil(width) + 2 * _MARGIN + 1, math.ceil(height) + 2 * _MARGIN + 1,
                              self.dpi)
        scratch.draw_text(gc, left + fx, top + fy, s, prop, 0, False, mtext)
        bitmap = np.asarray(scratch.buffer_rgba())[::-1].copy()  # draw_image wants rows bottom-up
        return bitmap, left, top

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
