"""Inventory slotting: which pods hold which SKUs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["spread_skus"]


def spread_skus(
    popularity: Sequence[float], n_pods: int, max_share: float, rng: np.random.Generator
) -> list[tuple[int, ...]]:
    """Place every SKU in one or more pods; fast movers get copies in several pods.

    A single pod can only be at one station at a time, so a SKU that draws a large share
    of the lines would make its pod the site's bottleneck. SKU ``s`` gets
    ``ceil(popularity[s] / max_share)`` copies (at least 1, at most ``n_pods``), each in a
    different pod; copies are dealt over a random order of the pods so that every pod
    ends up with a similar number of SKUs.

    Args:
        popularity: share of lines of each SKU (sums to 1).
        n_pods: number of pods.
        max_share: most line share one pod copy should carry (0 < max_share <= 1).
        rng: random stream for the deal.

    Returns:
        For each SKU, the pods that hold it.
    """
    if n_pods < 1:
        raise ValueError(f"n_pods must be >= 1, got {n_pods}")
    if not 0 < max_share <= 1:
        raise ValueError(f"max_share must be in (0, 1], got {max_share}")
    order = rng.permutation(n_pods).tolist()
    out: list[tuple[int, ...]] = []
    k = 0
    for share in popularity:
        copies = min(n_pods, max(1, math.ceil(share / max_share - 1e-12)))
        out.append(tuple(order[(k + j) % n_pods] for j in range(copies)))
        k += copies
    return out
