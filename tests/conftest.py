"""Test-wide settings: hypothesis draws the same examples in CI and new ones on a laptop; the
long tests start first; the website and slides tests, and the browser's latency floor, run only
when asked for."""

import os
import re
from pathlib import Path

import pytest
from hypothesis import settings

import convolved  # noqa: F401 - its arithmetic settings, before any test computes (as in a notebook)

# CI must be reproducible (a failure there can be replayed); locally, every run explores more.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

#: Markers of the tests that run outside `make test` (what a make target builds, a measurement
#: worth taking on a quiet machine), and why: they run when their module is named on the command
#: line or their marker is selected (-m).
ON_REQUEST = {"site": "built and checked by `make site`", "slides": "built and checked by `make slides`",
              "floor": "measured when asked for, on a quiet machine"}


#: The long tests first, longest first, so that the quick ones fill the workers' gaps at the end
#: (xdist hands out work in collection order): one worker's JupyterLab and browser, the Colab-like
#: venv, the grader's kernels, then every other notebook run and the figure build.
LONG_FIRST = ["browser", "colab", "grade", "notebook", "figures"]


def _start_order(item) -> int:
    group = item.get_closest_marker("xdist_group")
    names = [group.args[0] if group and group.args else None,
             *(marker.name for marker in item.iter_markers())]
    return min((LONG_FIRST.index(name) for name in names if name in LONG_FIRST), default=len(LONG_FIRST))


def pytest_collection_modifyitems(config, items):
    items.sort(key=_start_order)  # stable: within a kind, the usual order
    named = {Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
             for arg in config.invocation_params.args if not arg.startswith("-")}
    for item in items:
        for marker, why in ON_REQUEST.items():
            selected = re.fullmatch(rf"\s*{marker}\s*", config.option.markexpr or "")
            if item.get_closest_marker(marker) and not selected and item.path.resolve() not in named:
                item.add_marker(pytest.mark.skip(reason=f"{why} (or `pytest tests/{item.path.name}`)"))


def pytest_runtest_setup(item):
    """Under `--dist loadgroup`, pytest-xdist must have tagged every xdist_group test: grouped tests
    share one expensive set-up (the JupyterLab server, the Colab venv, the grader's runs, the
    figure build). If a pytest release stops the tagging, fail rather than quietly pay for each
    set-up once per worker."""
    if (getattr(item.config.option, "loadgroup", False) and item.get_closest_marker("xdist_group")
            and "@" not in item.nodeid):
        pytest.fail("pytest-xdist did not group this xdist_group test, so its set-up would run on "
                    "every worker: check the pytest and pytest-xdist pins in requirements.txt")
