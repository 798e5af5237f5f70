"""Helpers shared by the test modules (imported by them, not collected): hypothesis settings and
strategies, the assertion that a checker answered ✗ with a hint, and the explorers' picture formats."""

import ast
import io
import json
from pathlib import Path

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager
from PIL import Image

from convolved.exercises import Feedback


def random_configs(max_examples):
    """``max_examples`` random configurations; conftest.py's profile decides whether they are
    the same every run (CI) or new ones (locally). No deadline: torch's first call can be slow."""
    return settings(max_examples=max_examples, deadline=None)


def int_or_tuple(ndim, values):
    """An int (used for every dimension) or a tuple with one value per dimension."""
    return st.one_of(values, st.tuples(*[values] * ndim))


def per_dim(value, ndim):
    return tuple(value) if isinstance(value, tuple) else (value,) * ndim


def assert_wrong_with_hint(feedback: Feedback, *fragments: str) -> None:
    """The checker said ✗ with a hint (never a traceback), and its text mentions each fragment."""
    assert feedback.status == "wrong" and not feedback
    text = repr(feedback)
    assert text.startswith("✗") and "\n  Hint: " in text and "Traceback" not in text
    for fragment in fragments:
        assert fragment in text, text


def learner_checks(notebook: Path) -> list[tuple[str, str, tuple]]:
    """Every ``ex.check_…(answer)`` call in a notebook's learner cells, with the answer as shipped.

    Returns (cell's first line, checker name, arguments): each learner cell is run as the notebook
    has it, without its check call, in a namespace holding the notebook's imports, and the call's
    arguments are evaluated there. Tests use it to check the real scaffolds, never retyped copies.
    """
    python = TransformerManager().transform_cell  # IPython's magics (%matplotlib) as Python
    cells = [python("".join(cell["source"])) for cell in json.loads(notebook.read_text())["cells"]
             if cell["cell_type"] == "code"]
    imports = ast.Module([node for source in cells for node in ast.parse(source).body
                          if isinstance(node, (ast.Import, ast.ImportFrom))], type_ignores=[])
    checks = []
    for source in cells:
        tree = ast.parse(source)
        calls = [node.value for node in tree.body if isinstance(node, ast.Expr)
                 and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)
                 and ast.unparse(node.value.func.value) == "ex" and node.value.func.attr.startswith("check_")]
        if not calls:
            continue
        namespace: dict = {}
        exec(compile(imports, str(notebook), "exec"), namespace)  # noqa: S102 - our own notebooks
        scaffold = ast.Module([node for node in tree.body
                               if not (isinstance(node, ast.Expr) and node.value in calls)], type_ignores=[])
        exec(compile(scaffold, str(notebook), "exec"), namespace)  # noqa: S102
        for call in calls:
            arguments = tuple(eval(ast.unparse(arg), namespace) for arg in call.args)  # noqa: S307
            checks.append((source.splitlines()[0], call.func.attr, arguments))
    return checks


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


def assert_looks_the_same(png: bytes, jpeg: bytes) -> None:
    """A photo explorer's JPEG shows the picture its saved PNG shows: the same size, colours
    within a few levels (JPEG's error at quality 90)."""
    assert png.startswith(PNG_SIGNATURE) and jpeg.startswith(JPEG_SIGNATURE)
    a, b = (np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float) for data in (png, jpeg))
    assert a.shape == b.shape
    error = np.abs(a - b)
    assert error.mean() < 1.5 and np.percentile(error, 99) < 16, (error.mean(), np.percentile(error, 99))
