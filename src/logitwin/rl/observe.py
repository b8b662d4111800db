"""Observations of one decision: a fixed-size candidate set, whatever the site's size.

A decision has as many options as the site has free cells or idle robots (thousands on a
big floor), so a policy never sees all of them: a cheap pre-rank keeps ``k`` candidates,
each described by a few features, and the action is an index into the candidates. The
pre-rank always holds the heuristics' own answers (nearest free and class-based cell;
nearest, longest-idle and assignment robot), so a policy can at least imitate them; a
dispatch candidate may also give the robot one of the decision's alternative tasks.

Observations are a pure function of the decision and the :class:`SiteView`: the training
environment and the served policy build exactly the same vector.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from logitwin.control.dispatch import AssignmentDispatch, DispatchAnswer, DispatchDecision
from logitwin.control.slotting import SiteView, SlottingDecision

__all__ = ["DispatchObserver", "ObsSpec", "SlottingObserver", "make_observer"]

_DAY_S = 86_400.0
_IDLE_SCALE_S = 900.0  # idle time at which the idle feature saturates (s)
_CACHE = 512  # distance rows kept per observer


@dataclass(frozen=True)
class ObsSpec:
    """Shape and meaning of an observation: ``k`` candidates x ``cand`` features, then
    ``glob`` global features, flattened (candidate-major). Every value is in [0, 1]."""

    kind: str
    k: int
    cand: tuple[str, ...]
    glob: tuple[str, ...]

    @property
    def size(self) -> int:
        """Length of the flat observation vector."""
        return self.k * len(self.cand) + len(self.glob)

    def as_dict(self) -> dict[str, object]:
        """The spec for a policy's metadata."""
        return {"kind": self.kind, "k": self.k, "candidate_features": list(self.cand),
                "global_features": list(self.glob), "size": self.size}  # fmt: skip


class _Distances:
    """Distance rows as int arrays, a bounded cache (BFS rows come from the site)."""

    def __init__(self, site: SiteView) -> None:
        self._dist_from = site.dist_from
        self._rows: OrderedDict[int, np.ndarray] = OrderedDict()
        tables = [np.asarray(site.dist_from(s), dtype=np.int64) for s in site.stations]
        # Unreachable cells may carry a huge sentinel: normalise by the storage span.
        self.to_station = np.min(np.stack(tables), axis=0)
        storage = np.asarray(site.storage, dtype=np.int64)
        self.scale = float(max(1, int(self.to_station[storage].max()) * 2))

    def row(self, cell: int) -> np.ndarray:
        r = self._rows.get(cell)
        if r is None:
            r = np.asarray(self._dist_from(cell), dtype=np.int64)
            self._rows[cell] = r
            if len(self._rows) > _CACHE:
                self._rows.popitem(last=False)
        else:
            self._rows.move_to_end(cell)
        return r


def _top(key: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` smallest keys, ascending by key then index."""
    if len(key) > n:
        part = np.argpartition(key, n - 1)[:n]
        return part[np.lexsort((part, key[part]))]
    return np.lexsort((np.arange(len(key)), key))


class SlottingObserver:
    """Candidates and features of a slotting decision.

    Candidates, in order, without repeats: the nearest free cell to the pod's origin
    (the ``nearest_free`` answer), the class-based answer, then in turn the nearest to
    the origin, the nearest to a station and the best match of the cell's station rank
    to the pod's turnover rank, up to ``k``.

    Args:
        site: the site.
        k: candidates per decision.
        classes: turnover classes of the class-based candidate (as ``class_based``).
    """

    def __init__(self, site: SiteView, k: int = 16, classes: int = 3) -> None:
        if k < 2:
            raise ValueError(f"k must be >= 2 (the heuristics' answers), got {k}")
        self.k = k
        self._d = _Distances(site)
        storage = np.asarray(site.storage, dtype=np.int64)
        size = int(max(int(storage.max()) + 1, len(self._d.to_station)))
        near = self._d.to_station[storage]
        order = np.lexsort((storage, near))
        n = len(storage)
        self._rank = np.zeros(size)
        self._rank[storage[order]] = np.arange(n) / max(1, n - 1)
        self._cls = np.full(size, classes - 1, dtype=np.int64)
        self._cls[storage[order]] = np.minimum(classes - 1, np.arange(n) * classes // max(1, n))
        turnover = np.asarray(site.pod_turnover, dtype=np.float64)
        m = len(turnover)
        by_turn = np.lexsort((np.arange(m), -turnover))
        self._pod_rank = np.zeros(m)
        self._pod_rank[by_turn] = np.arange(m) / max(1, m - 1)
        self._pod_cls = np.zeros(m, dtype=np.int64)
        self._pod_cls[by_turn] = np.minimum(classes - 1, np.arange(m) * classes // max(1, m))
        self._pod_share = np.clip(turnover * m / 5.0, 0.0, 1.0)  # 1 = five times the mean
        self._classes = classes
        self._n_storage = n
        self.spec = ObsSpec(
            "slotting", k,
            ("valid", "travel_from_origin", "travel_to_station", "cell_station_rank",
             "rank_mismatch", "is_nearest_free", "is_class_based"),
            ("pod_turnover_rank", "pod_turnover_share", "free_share", "time_of_day"),
        )  # fmt: skip

    def observe(self, decision: SlottingDecision) -> tuple[np.ndarray, list[int]]:
        """The observation and the candidate cells (index = action)."""
        k, scale = self.k, self._d.scale
        free = np.fromiter(decision.free, dtype=np.int64, count=len(decision.free))
        pod = decision.pod
        known = 0 <= pod < len(self._pod_rank)
        want = int(self._pod_cls[pod]) if known else self._classes - 1
        prank = float(self._pod_rank[pod]) if known else 1.0
        d = self._d.row(decision.origin)[free]
        # Integer keys primary * span + secondary break ties as the heuristics do.
        span = int(free.max(initial=0)) + 1
        near_key = d * span + free
        by_origin = _top(near_key, k)
        cls_gap = np.abs(self._cls[free] - want)
        class_pick = int(np.argmin(cls_gap * (int(near_key.max(initial=0)) + 1) + near_key))
        by_station = _top(self._d.to_station[free] * (int(d.max(initial=0)) + 1) + d, k)
        mismatch = np.abs(self._rank[free] - prank)
        by_rank = _top(np.round(mismatch * 1000) * (int(d.max(initial=0)) + 1) + d, k)
        chosen: list[int] = []
        seen: set[int] = set()
        for i in (int(by_origin[0]) if len(by_origin) else -1, class_pick):
            if i >= 0 and i not in seen:
                seen.add(i)
                chosen.append(i)
        lists = [by_origin, by_station, by_rank]
        pos = [0, 0, 0]
        while len(chosen) < k and any(p < len(lst) for p, lst in zip(pos, lists, strict=True)):
            for j, lst in enumerate(lists):
                while pos[j] < len(lst) and int(lst[pos[j]]) in seen:
                    pos[j] += 1
                if pos[j] < len(lst) and len(chosen) < k:
                    i = int(lst[pos[j]])
                    seen.add(i)
                    chosen.append(i)
        nf = len(self.spec.cand)
        obs = np.zeros(k * nf + len(self.spec.glob), dtype=np.float32)
        if chosen:
            idx = np.asarray(chosen, dtype=np.int64)
            cells = free[idx]
            block = obs[: k * nf].reshape(k, nf)
            n = len(idx)
            block[:n, 0] = 1.0
            block[:n, 1] = np.minimum(1.0, d[idx] / scale)
            block[:n, 2] = np.minimum(1.0, self._d.to_station[cells] / scale)
            block[:n, 3] = self._rank[cells]
            block[:n, 4] = mismatch[idx]
            block[:n, 5] = idx == by_origin[0]
            block[:n, 6] = idx == class_pick
        g = k * nf
        obs[g] = prank
        obs[g + 1] = float(self._pod_share[pod]) if known else 0.0
        obs[g + 2] = min(1.0, len(free) / max(1, self._n_storage))
        obs[g + 3] = (decision.time % _DAY_S) / _DAY_S
        return obs, [int(free[i]) for i in chosen]


class DispatchObserver:
    """Candidates and features of a dispatch decision.

    A candidate is a robot and a task: this decision's task (index 0) or one of its
    alternatives (the robot serves that one instead). Candidates, in order, without
    repeats: the robot the travel-time assignment gives this task, the longest-idle
    robot, the nearest idle robot to this task's pod, then each alternative with its
    nearest idle robot, then more idle robots for this task nearest first, up to ``k``.
    An answer for this task is the robot alone, as the heuristics answer.

    Args:
        site: the site.
        k: candidates per decision.
    """

    def __init__(self, site: SiteView, k: int = 16) -> None:
        if k < 3:
            raise ValueError(f"k must be >= 3 (the heuristics' answers), got {k}")
        self.k = k
        self._d = _Distances(site)
        self._assign = AssignmentDispatch(site)
        self._robots = max(1, site.robots)
        self._stations = max(1, len(site.stations))
        self.spec = ObsSpec(
            "dispatch", k,
            ("valid", "travel_to_pod", "idle_for", "pod_to_station", "task_lines",
             "is_this_task", "is_nearest", "is_assignment", "is_longest_idle"),
            ("lines", "idle_share", "other_tasks", "alternatives", "pod_to_station",
             "time_of_day"),
        )  # fmt: skip

    def observe(self, decision: DispatchDecision) -> tuple[np.ndarray, list[DispatchAnswer]]:
        """The observation and the candidate answers (index = action)."""
        k, scale = self.k, self._d.scale
        idle = decision.idle
        cells = np.fromiter((c for _, c, _ in idle), dtype=np.int64, count=len(idle))
        robots = np.fromiter((r for r, _, _ in idle), dtype=np.int64, count=len(idle))
        since = np.fromiter((s for _, _, s in idle), dtype=np.float64, count=len(idle))
        # Task 0 is this decision's; task j >= 1 its alternative j - 1.
        tasks = [(decision.pod_cell, decision.station, decision.lines)]
        tasks += [(c, s, n) for _, c, s, n in decision.alternatives]
        rows = [self._d.row(c) for c, _, _ in tasks]
        d0 = rows[0][cells] if len(idle) else np.zeros(0, dtype=np.int64)
        tie = int(robots.max(initial=0)) + 1
        nearest = _top(d0 * tie + robots, k)
        fifo = int(np.lexsort((robots, since))[0]) if len(idle) else -1
        assign = -1
        if len(idle) > 1 and decision.others:
            robot = self._assign.choose(decision)
            assign = int(np.flatnonzero(robots == robot)[0])
        elif len(idle):
            assign = int(nearest[0])
        chosen: list[tuple[int, int]] = []
        first = [(i, 0) for i in (assign, fifo, int(nearest[0]) if len(idle) else -1)]
        alts = [(int(np.argmin(rows[j][cells] * tie + robots)), j)
                for j in range(1, len(tasks)) if len(idle)]  # fmt: skip
        rest = [(int(i), 0) for i in nearest[1:]]
        for c in (*first, *alts, *rest):
            if c[0] >= 0 and c not in chosen and len(chosen) < k:
                chosen.append(c)
        nf = len(self.spec.cand)
        obs = np.zeros(k * nf + len(self.spec.glob), dtype=np.float32)
        block = obs[: k * nf].reshape(k, nf)
        for n, (i, j) in enumerate(chosen):
            _, station, lines = tasks[j]
            block[n, 0] = 1.0
            block[n, 1] = min(1.0, rows[j][cells[i]] / scale)
            block[n, 2] = min(1.0, max(0.0, (decision.time - since[i]) / _IDLE_SCALE_S))
            block[n, 3] = min(1.0, rows[j][station] / scale)
            block[n, 4] = min(1.0, lines / 10.0)
            block[n, 5] = j == 0
            block[n, 6] = j == 0 and i == nearest[0]
            block[n, 7] = j == 0 and i == assign
            block[n, 8] = j == 0 and i == fifo
        g = k * nf
        obs[g] = min(1.0, decision.lines / 10.0)
        obs[g + 1] = min(1.0, len(idle) / self._robots)
        obs[g + 2] = min(1.0, len(decision.others) / self._stations)
        obs[g + 3] = min(1.0, len(decision.alternatives) / (2 * self._stations))
        obs[g + 4] = min(1.0, float(rows[0][decision.station]) / scale)
        obs[g + 5] = (decision.time % _DAY_S) / _DAY_S
        answers: list[DispatchAnswer] = [
            int(robots[i]) if j == 0 else (int(robots[i]), j) for i, j in chosen
        ]
        return obs, answers


def make_observer(
    kind: str, site: SiteView, k: int | None = None
) -> SlottingObserver | DispatchObserver:
    """The observer for ``kind`` (``k`` candidates; default 16)."""
    if kind == "slotting":
        return SlottingObserver(site, k or 16)
    if kind == "dispatch":
        return DispatchObserver(site, k or 16)
    raise ValueError(f"unknown decision kind {kind!r}; expected slotting or dispatch")
