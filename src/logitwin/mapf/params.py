"""Tuning of the LoRR runner: one frozen, validated record instead of module globals.

The defaults are the values tuned on the LoRR 2024 instances; the runs behind them are in
``docs/architecture.md`` (Lifelong MAPF on the LoRR benchmark).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

__all__ = ["RunnerParams"]


@dataclass(frozen=True, slots=True)
class RunnerParams:
    """What :class:`~logitwin.mapf.runner.LorrRunner` chooses by when a run does not say.

    Fill is the share of a map's free cells that hold a robot. Every field is checked
    when the record is made; a bad value raises ``ValueError`` naming the field and its
    allowed range.
    """

    state_table_max_free: int = 5000
    """Maps with at most this many free cells get exact turn-aware distance tables (and
    EPIBT or the LNS); larger ones plan with PIBT on cell tables."""
    active_density: float = 0.3
    """PIBT maps: at most this share of the free cells holds a robot on a task (2024);
    the others park: on the dense random maps fewer working robots finished more tasks."""
    refine_s: float = 0.5
    """Windowed LNS after PIBT (s per step); near-full maps run PIBT alone."""
    refine_share: float = 0.8
    """Planning (refinement included) stops at this share of the step budget."""
    dense_fill: float = 0.9
    """Maps fuller than this are near-full: a sliding puzzle where the LNS window finds
    no room, so PIBT runs alone there, and rows and columns are one-way."""
    dense_active_density: float = 0.7
    """Near-full maps: share of the free cells holding a working robot."""
    epibt_fill: float = 0.2
    """Maps with state tables and a fill above this plan with EPIBT; below it PIBT and
    the windowed LNS still win."""
    epibt_depths: tuple[tuple[float, int], ...] = ((0.6, 5), (0.9, 4), (1.0, 3))
    """EPIBT's operation depth by fill: the first ``(fill, depth)`` whose fill the fleet
    does not exceed (fills rising, the last at least 1). Longer operations see further
    but cost more per refinement round, which fuller maps need more of."""
    epibt_refine_s: float = 0.5
    """EPIBT's refinement rounds (s per step); fuller maps keep gaining up to 500 ms."""
    congestion_per_fill: float = 28.0
    """EPIBT's congestion distances charge this times the fill (rounded, at least 1) for
    entering a cell a robot stands on, as the LoRR 2024 winner did."""
    congestion_min_fill: float = 0.4
    """Congestion distances on maps fuller than this that are not near-full; they cost
    tasks on sparser maps."""
    congestion_table_s: float = 0.05
    """Time (s per step) for rebuilding stale congestion tables, the stalest first."""
    epibt_active_density: float = 0.45
    """EPIBT maps that are not near-full: share of the free cells holding a working
    robot (EPIBT steering around robots lets more of them work than PIBT)."""
    guided_table_share: float = 0.3
    """Share of the step budget that computing new guided distance tables may take."""
    queue_wait: float = 3.0
    """Scheduler (2024): a task's first errand costs this many steps more per robot
    already heading there, so robots spread over the stations."""
    first_cap: int = 10
    """Scheduler: at most this many robots head for one cell, so station queues do not
    spill into the lanes; tasks there wait."""
    rematch_max_robots: int = 1000
    """Fleets up to this size re-match robots that have not opened their task every step."""
    schedule_batch: int = 400
    """Larger fleets match at most this many free robots per step, so the start (every
    robot free) fits the step budget."""
    lane_penalty_large: int = 4
    """Cost of a wrong-way move on maps without state tables (one-way rows and columns)."""
    lane_penalty_near_full: int = 3
    """Cost of a wrong-way move on near-full maps with state tables."""

    def __post_init__(self) -> None:
        for name, (kind, lo, hi, lo_open) in _RANGES.items():
            value = getattr(self, name)
            allowed = (int,) if kind is int else (int, float)
            if isinstance(value, bool) or not isinstance(value, allowed):
                what = "an int" if kind is int else "a number"
                raise ValueError(f"RunnerParams.{name} must be {what}, got {value!r}")
            x = float(value)
            inside = (x > lo if lo_open else x >= lo) and x <= hi
            if not (math.isfinite(x) and inside):
                left, right = "(" if lo_open else "[", ")" if hi == math.inf else "]"
                raise ValueError(
                    f"RunnerParams.{name} must be in {left}{lo}, {hi}{right}, got {value!r}"
                )
        depths = self.epibt_depths
        try:
            fills = [float(fill) for fill, _ in depths]
            ok = (
                len(fills) > 0
                and all(type(d) is int and d >= 1 for _, d in depths)
                and fills[0] > 0
                and all(a < b for a, b in itertools.pairwise(fills))
                and fills[-1] >= 1
            )
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(
                "RunnerParams.epibt_depths must be (fill, depth) pairs with fills rising "
                f"from above 0 to at least 1 and depths >= 1, got {depths!r}"
            )

    def depth_for(self, robots: int, free_cells: int) -> int:
        """EPIBT's operation depth for ``robots`` on a map of ``free_cells`` free cells: of
        ``epibt_depths``, the first whose fill the fleet does not exceed."""
        return next(d for fill, d in self.epibt_depths if robots <= fill * free_cells or fill >= 1)


_INF = math.inf
# Per field: type, low, high, low excluded (high is included unless infinite).
_RANGES: dict[str, tuple[type, float, float, bool]] = {
    "state_table_max_free": (int, 0, _INF, False),
    "active_density": (float, 0, 1, True),
    "refine_s": (float, 0, _INF, False),
    "refine_share": (float, 0, 1, True),
    "dense_fill": (float, 0, 1, False),
    "dense_active_density": (float, 0, 1, True),
    "epibt_fill": (float, 0, 1, False),
    "epibt_refine_s": (float, 0, _INF, False),
    "congestion_per_fill": (float, 0, _INF, False),
    "congestion_min_fill": (float, 0, 1, False),
    "congestion_table_s": (float, 0, _INF, False),
    "epibt_active_density": (float, 0, 1, True),
    "guided_table_share": (float, 0, 1, False),
    "queue_wait": (float, 0, _INF, False),
    "first_cap": (int, 1, _INF, False),
    "rematch_max_robots": (int, 0, _INF, False),
    "schedule_batch": (int, 1, _INF, False),
    "lane_penalty_large": (int, 1, _INF, False),
    "lane_penalty_near_full": (int, 1, _INF, False),
}
