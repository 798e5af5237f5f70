"""``python -m convolved.grade SUBMISSIONS... [--out REPORT]``: see convolved.grade."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import DEFAULT_MEMORY_LIMIT_GB, DEFAULT_TIME_LIMIT, Graded, GradingError, grade, notebook_option
from .report import table, write_reports

DESCRIPTION = """\
Grade learners' copies of the course notebooks. Each notebook runs as it is, in its own fresh
kernel, in a temporary folder, with the network cut and a time and a memory limit; the results
come from the exercises' checkers. For each submission and exercise: solved, tried and wrong (with
the checker's message) or not attempted, and the number solved. A cell that raises does not stop
the notebook; a notebook that is not one, or that goes over a limit, gets a row saying so.
The learner's code can still tamper with the checkers in its own kernel, and can read and write
your files: read surprising results in the notebook itself."""

EPILOG = """\
examples:
  python -m convolved.grade submissions/                  every .ipynb in the folder
  python -m convolved.grade alice.ipynb bob.ipynb --out grades/week3
                                                          also writes grades/week3.csv and .md
  python -m convolved.grade *.ipynb --notebook 03 --jobs 2 --time-limit 300"""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m convolved.grade", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                        help="a learner's notebook (.ipynb), or a folder of them")
    parser.add_argument("--out", metavar="REPORT",
                        help="also write REPORT.csv (one row per submission) and REPORT.md "
                             "(its folders are made)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="SECONDS",
                        help="wall time allowed per notebook, kernel start included "
                             f"(default {DEFAULT_TIME_LIMIT:g})")
    parser.add_argument("--memory-limit", type=float, default=DEFAULT_MEMORY_LIMIT_GB, metavar="GB",
                        help="resident memory allowed per notebook, its kernel and runner together "
                             f"(default {DEFAULT_MEMORY_LIMIT_GB:g})")
    parser.add_argument("--notebook", type=notebook_option, metavar="NN",
                        help="which course notebook the submissions are "
                             "(default: each one's imports or title)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="notebooks run at the same time (default 1; each may use the memory limit)")
    parser.add_argument("--allow-network", action="store_true",
                        help="grade with the network on where no network namespace can be made")
    args = parser.parse_args(argv)
    if args.time_limit <= 0 or args.memory_limit <= 0 or args.jobs < 1:
        parser.error("--time-limit and --memory-limit must be positive, --jobs at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def done(graded: Graded) -> None:
        solved = f"{graded.solved} of {len(graded.exercises)} solved, " if graded.exercises else ""
        print(f"graded {graded.submission}: {solved}{graded.run} ({graded.seconds:.0f} s)", file=sys.stderr)

    try:
        graded = grade(args.submissions, time_limit=args.time_limit, memory_limit_gb=args.memory_limit,
                       notebook=args.notebook, jobs=args.jobs, allow_network=args.allow_network,
                       on_graded=done)
    except GradingError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the running notebooks are stopped already
        print("grade: interrupted", file=sys.stderr)
        return 130
    print(table(graded))
    if args.out:
        paths = write_reports(graded, args.out, time_limit=args.time_limit, memory_limit_gb=args.memory_limit)
        print(f"\nwrote {' and '.join(map(str, paths))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
