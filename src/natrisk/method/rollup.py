"""The regional roll-up: one national event built from the regions it strikes.

Arrays in, arrays out (docs/method.md §10.4). The regions' events of one national scenario
are one event: quantities are summed over the regions (within one region, its events count
with their largest quantity, as variants of one risk do), class-only criteria take the
highest class, and the sums are classified on the national framework. Risk scores are
never summed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from natrisk.method.cascades import Impacts, combine


def rollup_classes(events: Impacts) -> NDArray[np.int64]:
    """(C,) national classes of the events (rows of ``events``; ``group`` = their region)."""
    n = events.klass.shape[0]
    return combine(events, np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64), 1)[0]
