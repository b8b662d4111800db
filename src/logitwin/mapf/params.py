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
    # Robots on tasks at most on this share of the free cells; the rest park. Tuned on the
    # random 32x32 instances: RANDOM-03 (49% of cells hold a robot) 711 -> 863 tasks,
    # RANDOM-04 (85%) 641 -> 914; 0.2-0.6 tried. With LNS at 500 ms, RANDOM-03 at 0.25 and 0.4
    # fell behind 0.3 (1,069 against 1,185 tasks by step 700; 351 against 409 by step 200).
    active_density: float = 0.3
    """PIBT maps: at most this share of the free cells holds a robot on a task (2024);
    the others park."""
    # Windowed LNS refines PIBT's rollout for REFINE_S seconds a step, never past this share
    # of the step budget. 500 ms against 100 ms: RANDOM-02 1,106 / 1,083 / 1,067 (two seeds,
    # the benchmark) against 939-1,016 tasks, RANDOM-03 1,324 / 1,200 against 1,115-1,177;
    # RANDOM-01 (660-665 / 659) and RANDOM-04 (963-1,009 / 964-1,033) hold; 800 ms gave
    # RANDOM-02 no more (1,066). Near-full maps skip it (below).
    refine_s: float = 0.5
    """Windowed LNS after PIBT (s per step); near-full maps run PIBT alone."""
    refine_share: float = 0.8
    """Planning (refinement included) stops at this share of the step budget."""
    # Near-full maps (robots on more than DENSE_FILL of the free cells) are a sliding puzzle:
    # a 10-step window finds no room to re-plan into, and LNS only costs PIBT its time. They
    # run PIBT alone with more robots working. RANDOM-05 (98% full), 2000 steps: 933 tasks
    # with LNS at 0.3; PIBT alone 1101 at 0.5, 1137 at 0.6, 1123-1150 at 0.7 (4 seeds), 1140
    # at 0.8, 948 with every robot working; at 0.7 with 500 ms of LNS, 93 tasks by step 300
    # against 165 for PIBT alone. RANDOM-04 (85%) keeps LNS: 994 against 951.
    dense_fill: float = 0.9
    """Maps fuller than this are near-full: a sliding puzzle where the LNS window finds no
    room, so PIBT runs alone, and where rows and columns are one-way."""
    dense_active_density: float = 0.7
    """Near-full maps: share of the free cells holding a working robot."""
    # Maps with state tables and robots on more than EPIBT_FILL of the free cells plan with
    # EPIBT (multi-action operations) and its refinement rounds for EPIBT_REFINE_S a step;
    # sparser ones with PIBT and the windowed LNS. Tasks, EPIBT against PIBT + LNS (500 ms):
    # RANDOM-01 (12% fill) 641 (depth 5, 200 ms) / 660-665; RANDOM-02 (24%) 1,132 (depth
    # 5, 200 ms) / 1,067-1,106. Depth 3, 200 ms: RANDOM-03 (49%) 1,685 / 1,200-1,324,
    # RANDOM-04 (85%) 1,775 / 963-1,009, RANDOM-05 (98%) 2,156 / 1,160.
    epibt_fill: float = 0.2
    """Maps with state tables and a fill above this plan with EPIBT, sparser ones with
    PIBT and the windowed LNS."""
    # Longer operations see further but cost more per round: RANDOM-03 at 200 ms finished
    # 1,690 / 1,797 / 1,873 / 1,773 tasks with depth 3 / 4 / 5 / 6; RANDOM-04 at 500 ms
    # 1,790 / 1,765 with 3 / 5 and 1,967 with 4 (annealing); RANDOM-05 at 500 ms had 468
    # tasks by step 500 with depth 5 and 828 with 3 (pure Python). Compiled, with congestion
    # distances, RANDOM-05 by step 500: 903 / 960 / 788 at depth 3 / 4 / 5, but over the
    # whole run depth 4 fell behind: 2,341 against 2,478 tasks. Robots on up to 60% of the
    # free cells: depth 5; up to DENSE_FILL: 4; above: 3.
    epibt_depths: tuple[tuple[float, int], ...] = ((0.6, 5), (0.9, 4), (1.0, 3))
    """EPIBT's operation depth by fill: the first ``(fill, depth)`` whose fill the fleet
    does not exceed (fills rising, the last at least 1)."""
    # Rounds settle within 50 ms on RANDOM-03 (depth 3: 1,692 / 1,685 tasks at 50 / 200 ms),
    # not on the fuller maps: RANDOM-05 1,863 / 2,156 / 2,351 at 50 / 200 / 500 ms,
    # RANDOM-04 1,775 / 1,790 at 200 / 500 ms; RANDOM-03 at depth 5 (annealing) 1,900 /
    # 1,947 at 200 / 500 ms.
    epibt_refine_s: float = 0.5
    """EPIBT's refinement rounds (s per step)."""
    # EPIBT steers by distances that charge for entering a cell a robot stands on
    # (CongestionDistances): CONGESTION_PER_FILL times the fleet's share of the free cells,
    # as the LoRR 2024 winner did, on maps fuller than CONGESTION_MIN_FILL but not near-full.
    # Stale tables are rebuilt for up to CONGESTION_TABLE_S a step, the stalest first. They
    # pay with more robots working (EPIBT_ACTIVE_DENSITY); on the sparser RANDOM-02 (24%,
    # every robot working either way) they cost tasks: 1,109 against 1,160 without; on the
    # near-full RANDOM-05 2,478 against 2,507 and 2,554 without (whole runs).
    congestion_per_fill: float = 28.0
    """EPIBT's congestion distances charge this times the fill (rounded, at least 1) for
    entering a cell a robot stands on."""
    congestion_min_fill: float = 0.4
    """Congestion distances on maps fuller than this that are not near-full."""
    congestion_table_s: float = 0.05
    """Time (s per step) for rebuilding stale congestion tables, the stalest first."""
    # With EPIBT steering around robots more of them can work at once. Tasks by step 400:
    # RANDOM-03 (49% fill) 1,050 at 0.3 (either distances); every robot working 1,159 with
    # congestion distances, 1,074 without; 0.45: 1,146. RANDOM-04 (85%) 1,030 at 0.3 (1,020
    # without congestion distances), 1,093 at 0.45, 1,062 at 0.5, 1,029 at 0.6, 927 with
    # every robot. RANDOM-05 (98%, near-full) keeps DENSE_ACTIVE_DENSITY: 903 / 884 by step
    # 500 at 0.7 / 0.5 (874 at 0.7 without congestion distances).
    epibt_active_density: float = 0.45
    """EPIBT maps that are not near-full: share of the free cells holding a working robot
    (EPIBT steering around robots lets more of them work)."""
    guided_table_share: float = 0.3
    """Share of the step budget that computing new guided distance tables may take."""
    # Station queues (2024 scheduler): a task's first errand costs QUEUE_WAIT steps more per
    # robot already heading there, and takes at most FIRST_CAP of them; tasks at a full one
    # wait. On WAREHOUSE every task starts at one of 352 stations and greedy's nearest picks
    # piled up to 40 robots on some while the median had 5; those queues spilled into the
    # one-way lanes and the jams spread. First 1,200 steps: 16,218 tasks uncapped, 17,356
    # with 3 and 14 (the last 100 steps 964 -> 1,433); caps of 8 starved the stations, 20
    # capped too little. Once every row and column was one-way, a lower cap paid over whole
    # runs: 5,000 steps, WAREHOUSE 80,934 / 78,761 with caps 10 / 14 (20 was 2.6% behind 14
    # at step 2,700), SORTATION 88,487 / 86,196.
    queue_wait: float = 3.0
    """Scheduler (2024): a task's first errand costs this many steps more per robot
    already heading there."""
    first_cap: int = 10
    """Scheduler: at most this many robots head for one cell; tasks there wait."""
    rematch_max_robots: int = 1000
    """Fleets up to this size re-match robots that have not opened their task every step."""
    schedule_batch: int = 400
    """Larger fleets match at most this many free robots per step."""
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
