"""Check a LoRR result file against its problem, independently of any planner.

Replays ``actualPaths`` from the problem's starts with the action model, checks every step
for invalid moves, vertex and edge conflicts (and runs the independent path validator on
the resulting cell paths), then re-derives every errand completion from the replayed
positions and the result's task list and recounts the finished tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logitwin.control.validator import find_conflicts
from logitwin.errors import LogitwinError
from logitwin.mapf.actions import check_step
from logitwin.site.io import LorrProblem

__all__ = ["ValidationReport", "validate_result"]


@dataclass
class ValidationReport:
    """What :func:`validate_result` found; ``ok`` when there is nothing wrong."""

    steps: int = 0
    invalid_moves: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    event_errors: list[str] = field(default_factory=list)
    tasks_finished: int = 0
    claimed_finished: int = 0

    @property
    def ok(self) -> bool:
        """No invalid move, no conflict, events consistent, task count confirmed."""
        return (
            not self.invalid_moves
            and not self.conflicts
            and not self.event_errors
            and self.tasks_finished == self.claimed_finished
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (at most 50 messages per kind)."""
        return {
            "ok": self.ok,
            "steps": self.steps,
            "tasks_finished_recount": self.tasks_finished,
            "numTaskFinished_claimed": self.claimed_finished,
            "invalid_moves": self.invalid_moves[:50],
            "conflicts": self.conflicts[:50],
            "event_errors": self.event_errors[:50],
        }


def _field(result: dict[str, Any], key: str, kind: type) -> Any:
    if key not in result:
        raise LogitwinError(f"result has no {key!r} field")
    value = result[key]
    if not isinstance(value, kind):
        raise LogitwinError(f"result field {key!r} should be a {kind.__name__}")
    return value


def validate_result(result: dict[str, Any], problem: LorrProblem) -> ValidationReport:
    """Validate a LoRR output JSON (as a dict) against ``problem``."""
    grid = problem.grid
    w = grid.width
    n = _field(result, "teamSize", int)
    if n != problem.team_size:
        raise LogitwinError(f"result teamSize {n} != problem teamSize {problem.team_size}")
    rep = ValidationReport(claimed_finished=_field(result, "numTaskFinished", int))
    starts = _field(result, "start", list)
    for k, s in enumerate(starts):
        if s[0] * w + s[1] != int(problem.starts[k]) or s[2] != "E":
            rep.invalid_moves.append(f"robot {k}: start {s} is not the problem's start facing E")
    paths = [p.split(",") if p else [] for p in _field(result, "actualPaths", list)]
    if len(paths) != n:
        raise LogitwinError(f"result has {len(paths)} actualPaths for {n} robots")
    steps = max((len(p) for p in paths), default=0)
    if any(len(p) != steps for p in paths):
        rep.invalid_moves.append("actualPaths have different lengths")
        return rep
    rep.steps = steps
    cells = [int(c) for c in problem.starts]
    orients = [0] * n
    history = np.empty((steps + 1, n), dtype=np.int64)
    history[0] = cells
    for t in range(steps):
        actions = [p[t] for p in paths]
        nxt, nori, errors = check_step(grid, cells, orients, actions, t)
        for e in errors:
            rep.invalid_moves.append(
                f"t={e.timestep}: {e.description} (robots {e.robot1}, {e.robot2})"
            )
        cells, orients = nxt, nori
        history[t + 1] = cells
    rep.conflicts = [str(c) for c in find_conflicts(grid, history, max_conflicts=50)]
    _recount(result, problem, history, rep)
    return rep


def _recount(
    result: dict[str, Any], problem: LorrProblem, history: np.ndarray, rep: ValidationReport
) -> None:
    w = problem.grid.width
    tasks: dict[int, list[int]] = {}
    for entry in _field(result, "tasks", list):
        tid, _revealed, flat = entry
        cells = [flat[i] * w + flat[i + 1] for i in range(0, len(flat), 2)]
        expected = list(problem.tasks[tid % len(problem.tasks)])
        if cells != expected:
            rep.event_errors.append(f"task {tid}: errands {cells} are not the problem's {expected}")
        tasks[tid] = cells
    progress: dict[int, tuple[int, int]] = {}  # task → (robot, errands done)
    finished = 0
    for ev in _field(result, "events", list):
        t, robot, tid, seq = ev
        if tid not in tasks:
            rep.event_errors.append(f"event {ev}: unknown task {tid}")
            continue
        owner, done = progress.get(tid, (robot, 0))
        if owner != robot:
            rep.event_errors.append(f"event {ev}: task {tid} was opened by robot {owner}")
            continue
        if seq != done + 1:
            rep.event_errors.append(f"event {ev}: errand {seq} of task {tid} after {done}")
            continue
        if not 0 < t < len(history) or history[t][robot] != tasks[tid][seq - 1]:
            rep.event_errors.append(
                f"event {ev}: robot {robot} is not on errand {seq} of task {tid} at t={t}"
            )
            continue
        progress[tid] = (robot, seq)
        if seq == len(tasks[tid]):
            finished += 1
    rep.tasks_finished = finished
