"""Test-wide settings: one BLAS/OpenMP thread, in this process and every kernel it starts.

Committed notebook outputs (trained accuracies, losses) are computed with one thread; float sums
in another order could change a printed digit, so every run compares like with like.
"""

import os

os.environ["OMP_NUM_THREADS"] = "1"
