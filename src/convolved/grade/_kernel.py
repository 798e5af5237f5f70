"""The grader's part inside a learner's kernel: the cell the grader puts first calls :func:`start`.

:func:`start` makes every checker check the learner's own answer, whatever the notebook does with
``use_reference_solutions`` (switching reference mode on no longer puts our solutions in the
learner's place, so they never run here and earn nothing), and after every cell it writes the
checkers' latest results to a JSON file that the grader reads.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path


def _learners_answer(key: str, answer):
    """While grading, the answer to check is always the learner's (see exercises.reference_answer)."""
    return answer


def start(results_path: str, module: str) -> None:
    """Prepare this kernel for grading exercise module ``module`` (such as "nb03")."""
    from IPython import get_ipython

    from .. import exercises

    original = exercises.reference_answer
    exercises.set_reference_mode(False)
    for name, loaded in list(sys.modules.items()):
        ours = name == exercises.__name__ or name.startswith(exercises.__name__ + ".")
        if ours and getattr(loaded, "reference_answer", None) is original:
            loaded.reference_answer = _learners_answer
    # Modules imported from now on (the notebook's own, first) take the replacement.
    importlib.import_module(f"{exercises.__name__}.{module}")
    path = Path(results_path)

    def save(result=None) -> None:
        results = {name: {key: [str(getattr(feedback, "status", "")), str(getattr(feedback, "message", ""))]
                          for key, feedback in answers.items()}
                   for name, answers in exercises._RESULTS.items()}
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(results))
        os.replace(partial, path)  # the grader never reads half a file, even after a kill

    get_ipython().events.register("post_run_cell", save)
    save()
