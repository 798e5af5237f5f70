"""The command line: ``python -m convolved.figures OUT_DIR [--only NAME] [--list]``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import ALT_TEXT, FIGURES, build


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convolved.figures",
                                     description="Draw the course's figures as PNG files.")
    parser.add_argument("out_dir", type=Path, help="output folder (`make images`: images)")
    parser.add_argument("--only", action="append", metavar="NAME", choices=sorted(FIGURES),
                        help="build only this figure (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name in FIGURES:
            print(f"{name}: {ALT_TEXT[name]}")
        return 0
    start = time.perf_counter()
    paths = build(args.out_dir, args.only)
    for path in paths:
        print(f"{path}  ({path.stat().st_size / 1024:.0f} KB)")
    print(f"{len(paths)} figure(s) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
