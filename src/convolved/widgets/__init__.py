"""Explorers: small interactive figures built from ipywidgets controls and a rendered picture.

An explorer draws a matplotlib figure into an ``ipywidgets.Image`` and redraws it whenever a
control changes (as a PNG, or a JPEG for the explorers of photos). Displayed in a notebook it is
a live widget; the saved notebook also keeps a PNG of its current view, so it reads well where no
kernel runs (GitHub, an untrusted notebook).

While a browser shows an explorer, the kernel uses its idle time to draw the pictures of the next
and the previous step of the control changed last (when it is first shown, of every control): a
learner stepping a slider or a dropdown then waits only for the browser
(:class:`~convolved.widgets.base.Explorer` says how).

One module per notebook (``nb01``, ...) holds that notebook's explorers, all built on
:class:`~convolved.widgets.base.Explorer`; importing :mod:`convolved.widgets` makes every
explorer available.
"""

from .base import Explorer
from .nb01 import KernelExplorer
from .nb02 import ConvGeometryExplorer
from .nb03 import LayerShapeExplorer
from .nb04 import TransposeConvExplorer
from .nb05 import PoolingExplorer
from .nb06 import TransformExplorer
from .nb07 import DatasetExplorer

__all__ = ["ConvGeometryExplorer", "DatasetExplorer", "Explorer", "KernelExplorer", "LayerShapeExplorer",
           "PoolingExplorer", "TransformExplorer", "TransposeConvExplorer"]
