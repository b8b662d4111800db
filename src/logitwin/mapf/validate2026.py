"""Check a LoRR 2026 result file against its problem, from the file alone.

It replays every robot's executed actions (``actualPaths``) tick by tick from the
problem's starts with its own reading of the rules (actions take ``agentMaxCounter``
ticks; a wait pauses an action in progress), and checks:

- **delays**: the file's ``delayIntervals`` are those the problem's ``delayConfig``
  draws, and a robot does nothing but wait while delayed;
- **moves**: every square stays on the map and off blocked cells;
- **collisions**: no two robots' squares (side ``agentSize``) overlap at any moment of
  any tick (touching is allowed);
- **tasks**: every task in ``tasks`` is the problem's task line for its id; each errand
  completion is re-derived from the replayed cells and the assignments in
  ``actualSchedule``, compared with ``events``, and the finished tasks are recounted;
- the path strings are well formed and cover the run.

The replay and the collision test share no code with the simulator or the executor (the
delays are redrawn with the generator that implements the problem format).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from logitwin.errors import LogitwinError
from logitwin.mapf.delays import DelayGenerator
from logitwin.mapf.paths import decode_path
from logitwin.site.io import LorrProblem

__all__ = ["Report2026", "validate_2026"]

_STEP = {0: (1, 0), 1: (0, 1), 2: (-1, 0), 3: (0, -1)}  # orientation -> (dx, dy)


@dataclass
class Report2026:
    """What :func:`validate_2026` found; ``ok`` when nothing is wrong."""

    ticks: int = 0
    format_errors: list[str] = field(default_factory=list)
    delay_errors: list[str] = field(default_factory=list)
    invalid_moves: list[str] = field(default_factory=list)
    collisions: list[str] = field(default_factory=list)
    event_errors: list[str] = field(default_factory=list)
    refused_requests: int = 0
    tasks_finished: int = 0
    claimed_finished: int = 0

    @property
    def ok(self) -> bool:
        """Nothing wrong and the task count confirmed."""
        return not (
            self.format_errors
            or self.delay_errors
            or self.invalid_moves
            or self.collisions
            or self.event_errors
        ) and (self.tasks_finished == self.claimed_finished)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (at most 50 messages per kind)."""
        return {
            "ok": self.ok,
            "rules": "2026 LoRR",
            "ticks": self.ticks,
            "tasks_finished_recount": self.tasks_finished,
            "numTaskFinished_claimed": self.claimed_finished,
            "refused_requests": self.refused_requests,
            "format_errors": self.format_errors[:50],
            "delay_errors": self.delay_errors[:50],
            "invalid_moves": self.invalid_moves[:50],
            "collisions": self.collisions[:50],
            "event_errors": self.event_errors[:50],
        }


def _need(result: dict[str, Any], key: str, kind: type) -> Any:
    if key not in result:
        raise LogitwinError(f"result has no {key!r} field (a 2026 result needs it)")
    value = result[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise LogitwinError(f"result field {key!r} should be a {kind.__name__}, got {value!r}")
    return value


def _overlap_times(a0: float, a1: float, b0: float, b1: float, s: float) -> tuple[float, float]:
    """The open interval of tick-fractions in [0, 1] when the 1-D extents [a, a+s] and
    [b, b+s] of two linearly moving squares overlap by more than a hair (1e-6)."""
    # Overlap while |a(u) - b(u)| < s, with a(u) - b(u) = d + v u.
    d, v = a0 - b0, (a1 - a0) - (b1 - b0)
    limit = s - 1e-6
    if abs(v) < 1e-12:
        return (0.0, 1.0) if abs(d) < limit else (1.0, 0.0)
    lo, hi = sorted(((-limit - d) / v, (limit - d) / v))
    return max(0.0, lo), min(1.0, hi)


def validate_2026(result: dict[str, Any], problem: LorrProblem) -> Report2026:
    """Validate a 2026 result (as a dict) against ``problem``."""
    if problem.version != 2026 or problem.delay is None:
        raise LogitwinError(f"{problem.name} is not a 2026 problem")
    grid = problem.grid
    width, height = grid.width, grid.height
    free = grid.free.reshape(-1).tolist()
    n = _need(result, "teamSize", int)
    if n != problem.team_size:
        raise LogitwinError(f"result teamSize {n} != problem teamSize {problem.team_size}")
    k = _need(result, "agentMaxCounter", int)
    rep = Report2026(claimed_finished=_need(result, "numTaskFinished", int))
    if result.get("version") != "2026 LoRR":
        rep.format_errors.append(f"version is {result.get('version')!r}, not '2026 LoRR'")
    if k != problem.agent_counter:
        rep.format_errors.append(f"agentMaxCounter {k} != the problem's agentCounter")
    ticks = _need(result, "makespan", int)
    rep.ticks = ticks
    size = problem.agent_size
    starts = _need(result, "start", list)
    letters: list[str] = []
    for r, text in enumerate(_need(result, "actualPaths", list)):
        try:
            _, acts = decode_path(text)
        except ValueError as exc:
            rep.format_errors.append(f"robot {r}: actualPaths: {exc}")
            acts = ""
        if len(acts) != ticks:
            rep.format_errors.append(f"robot {r}: {len(acts)} actions for {ticks} ticks")
        letters.append(acts.ljust(ticks, "W")[:ticks])
    if len(letters) != n or len(starts) != n:
        raise LogitwinError(f"result has {len(letters)} paths and {len(starts)} starts for {n}")
    planned = result.get("plannerPaths")
    if isinstance(planned, list) and len(planned) == n:
        for r, text in enumerate(planned):
            try:
                want = decode_path(text)[1]
            except ValueError as exc:
                rep.format_errors.append(f"robot {r}: plannerPaths: {exc}")
                continue
            rep.refused_requests += sum(
                1 for a, b in zip(want, letters[r], strict=False) if a in "FRC" and b == "W"
            )

    # Delays: redraw them and compare; a delayed robot only waits.
    gen = DelayGenerator(problem.delay, n)
    delayed = [[False] * ticks for _ in range(n)]
    for t in range(ticks):
        now = gen.next_tick()
        for r in range(n):
            delayed[r][t] = bool(now[r])
    drawn = [[list(iv) for iv in ivs] for ivs in gen.intervals]
    given = _need(result, "delayIntervals", list)
    if given != drawn:
        bad = next((r for r in range(n) if r >= len(given) or given[r] != drawn[r]), n)
        rep.delay_errors.append(
            f"delayIntervals differ from the problem's delayConfig draw, first at robot {bad}"
        )
    for r in range(n):
        for t in range(ticks):
            if delayed[r][t] and letters[r][t] != "W":
                rep.delay_errors.append(f"robot {r} acted ({letters[r][t]}) while delayed, t={t}")
                break

    # Replay: cell, orientation, counter, action in progress per robot.
    cell, ori, cnt, act = [], [], [], []
    for r, s in enumerate(starts):
        c = s[0] * width + s[1]
        if c != int(problem.starts[r]) or s[2] != "E":
            rep.invalid_moves.append(f"robot {r}: start {s} is not the problem's start facing E")
        cell.append(c)
        ori.append(0)
        cnt.append(0)
        act.append("")

    def corner(r: int) -> tuple[float, float]:
        y, x = divmod(cell[r], width)
        if act[r] == "F" and cnt[r]:
            dx, dy = _STEP[ori[r]]
            return x + dx * cnt[r] / k, y + dy * cnt[r] / k
        return float(x), float(y)

    schedule = _assignments(result.get("actualSchedule"), n, rep)
    templates = problem.tasks
    tasks: dict[int, list[int]] = {}
    for entry in _need(result, "tasks", list):
        tid, _, flat = entry
        errands = [flat[i] * width + flat[i + 1] for i in range(0, len(flat), 2)]
        if list(templates[tid % len(templates)]) != errands:
            rep.event_errors.append(
                f"task {tid} is not the problem's task line {tid % len(templates)}"
            )
        tasks[tid] = errands
    progress: dict[int, int] = {}
    current = [-1] * n
    derived: list[list[int]] = []
    for t in range(ticks):
        before = [corner(r) for r in range(n)]
        for r in range(n):
            a = letters[r][t]
            if a == "T":
                a = "W"
            if act[r] and cnt[r] and a != "W":
                a = act[r]  # another request continues the action in progress
            if a == "W":
                continue
            if a not in "FRC":
                rep.invalid_moves.append(f"robot {r}: unknown action {a!r} at t={t}")
                continue
            cnt[r] += 1
            act[r] = a
            if cnt[r] < k:
                continue
            cnt[r], act[r] = 0, ""
            if a == "F":
                dx, dy = _STEP[ori[r]]
                y, x = divmod(cell[r], width)
                x, y = x + dx, y + dy
                if not (0 <= x < width and 0 <= y < height) or not free[y * width + x]:
                    rep.invalid_moves.append(f"robot {r}: drives into ({y},{x}) at t={t}")
                    cnt[r] = 0
                    continue
                cell[r] = y * width + x
            else:
                ori[r] = (ori[r] + (1 if a == "R" else 3)) % 4
        after = [corner(r) for r in range(n)]
        _check_tick(before, after, size, width, height, free, t, rep)
        # Errands: assignments made at tick t are in effect for the check after tick t.
        for r in range(n):
            for at, task in schedule[r]:
                if at == t:
                    current[r] = task
        for r in range(n):
            tid = current[r]
            if tid < 0 or tid not in tasks:
                continue
            i = progress.get(tid, 0)
            if i < len(tasks[tid]) and cell[r] == tasks[tid][i]:
                progress[tid] = i + 1
                derived.append([t + 1, r, tid, i + 1])
                if i + 1 == len(tasks[tid]):
                    rep.tasks_finished += 1
                    current[r] = -1
    claimed = [list(e) for e in _need(result, "events", list)]
    if claimed != derived:
        first = next(
            (i for i in range(min(len(claimed), len(derived))) if claimed[i] != derived[i]),
            min(len(claimed), len(derived)),
        )
        rep.event_errors.append(
            f"events differ from the replay at event {first}: file "
            f"{claimed[first] if first < len(claimed) else None}, replay "
            f"{derived[first] if first < len(derived) else None}"
        )
    return rep


def _assignments(raw: Any, n: int, rep: Report2026) -> list[list[tuple[int, int]]]:
    """``actualSchedule`` strings ``"t:task,t:task"`` as (tick, task) lists."""
    out: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    if not isinstance(raw, list) or len(raw) != n:
        rep.format_errors.append("actualSchedule is missing or not one string per robot")
        return out
    for r, text in enumerate(raw):
        if not text:
            continue
        for item in str(text).split(","):
            t, _, task = item.partition(":")
            try:
                out[r].append((int(t), int(task)))
            except ValueError:
                rep.format_errors.append(f"robot {r}: actualSchedule entry {item!r}")
    return out


def _check_tick(
    before: list[tuple[float, float]],
    after: list[tuple[float, float]],
    s: float,
    width: int,
    height: int,
    free: list[bool],
    t: int,
    rep: Report2026,
) -> None:
    """Squares inside the map, off blocked cells and apart all through tick ``t``."""
    n = len(before)
    buckets: dict[tuple[int, int], list[int]] = {}
    reach = max(1, math.ceil(s)) + 1
    for r in range(n):
        (x0, y0), (x1, y1) = before[r], after[r]
        lo_x, lo_y = min(x0, x1), min(y0, y1)
        hi_x, hi_y = max(x0, x1) + s, max(y0, y1) + s
        if lo_x < -1e-9 or lo_y < -1e-9 or hi_x > width + 1e-9 or hi_y > height + 1e-9:
            rep.invalid_moves.append(f"robot {r}: leaves the map at t={t}")
        for yy in range(int(lo_y), min(height, math.ceil(hi_y - 1e-6))):
            for xx in range(int(lo_x), min(width, math.ceil(hi_x - 1e-6))):
                if not free[yy * width + xx] and (
                    lo_x < xx + 1 - 1e-6 and hi_x > xx + 1e-6
                    and lo_y < yy + 1 - 1e-6 and hi_y > yy + 1e-6
                ):  # fmt: skip
                    rep.invalid_moves.append(f"robot {r}: overlaps blocked ({yy},{xx}) at t={t}")
        buckets.setdefault((int(x0), int(y0)), []).append(r)
    for r in range(n):
        (ax0, ay0), (ax1, ay1) = before[r], after[r]
        cx, cy = int(ax0), int(ay0)
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                for q in buckets.get((cx + dx, cy + dy), ()):
                    if q <= r:
                        continue
                    (bx0, by0), (bx1, by1) = before[q], after[q]
                    ux = _overlap_times(ax0, ax1, bx0, bx1, s)
                    uy = _overlap_times(ay0, ay1, by0, by1, s)
                    if max(ux[0], uy[0]) < min(ux[1], uy[1]):
                        rep.collisions.append(
                            f"robots {r} and {q} overlap during tick {t} near ({cy},{cx})"
                        )
