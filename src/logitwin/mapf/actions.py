"""The LoRR action model (``MAPF_T``): robots on a grid with an orientation.

Orientation 0 = east, 1 = south, 2 = west, 3 = north; every robot starts facing east.
Actions: ``F`` forward one cell, ``R`` turn clockwise, ``C`` turn counter-clockwise,
``W`` wait. A step is valid when no robot leaves the map or enters an obstacle and no
two robots share a cell (vertex conflict) or swap cells (edge conflict). These are the
rules, not a planner: the simulator and the result validator both check them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from logitwin.site.grid import Grid

__all__ = ["ACTIONS", "DIRS", "ORIENT_NAMES", "ActionError", "apply_action", "check_step"]

ACTIONS = ("F", "R", "C", "W")
ORIENT_NAMES = ("E", "S", "W", "N")
# (d_row, d_col) of a forward move per orientation.
DIRS = ((0, 1), (1, 0), (0, -1), (-1, 0))


@dataclass(frozen=True, slots=True)
class ActionError:
    """One invalid move: robots involved (``robot2`` = -1 when one) and what went wrong."""

    robot1: int
    robot2: int
    timestep: int
    description: str


def apply_action(grid: Grid, cell: int, orient: int, action: str) -> tuple[int, int]:
    """The (cell, orientation) after ``action``; a forward move may leave the map (-1)."""
    if action == "F":
        dr, dc = DIRS[orient]
        r, c = divmod(cell, grid.width)
        r, c = r + dr, c + dc
        if not (0 <= r < grid.height and 0 <= c < grid.width):
            return -1, orient
        return r * grid.width + c, orient
    if action == "R":
        return cell, (orient + 1) % 4
    if action == "C":
        return cell, (orient + 3) % 4
    if action == "W":
        return cell, orient
    raise ValueError(f"unknown action {action!r}; allowed: {', '.join(ACTIONS)}")


def check_step(
    grid: Grid,
    cells: Sequence[int],
    orients: Sequence[int],
    actions: Sequence[str],
    timestep: int,
) -> tuple[list[int], list[int], list[ActionError]]:
    """Apply one step of actions; return next cells, orientations and every error found.

    The caller decides what an error means (LoRR: every robot waits that step).
    """
    n = len(cells)
    errors: list[ActionError] = []
    if len(actions) != n:
        errors.append(ActionError(-1, -1, timestep, f"expected {n} actions, got {len(actions)}"))
        return list(cells), list(orients), errors
    nxt = [0] * n
    nori = [0] * n
    for i in range(n):
        try:
            c, o = apply_action(grid, cells[i], orients[i], actions[i])
        except ValueError:
            errors.append(ActionError(i, -1, timestep, f"unknown action {actions[i]!r}"))
            c, o = cells[i], orients[i]
        if c < 0 or not grid.is_free(c):
            errors.append(ActionError(i, -1, timestep, "unallowed move"))
            c = cells[i]
        nxt[i], nori[i] = c, o
    at: dict[int, int] = {}
    for i, c in enumerate(nxt):
        j = at.setdefault(c, i)
        if j != i:
            errors.append(ActionError(j, i, timestep, "vertex conflict"))
    now = {c: i for i, c in enumerate(cells)}
    for i in range(n):
        if nxt[i] != cells[i]:
            k = now.get(nxt[i])
            if k is not None and k != i and nxt[k] == cells[i] and i < k:
                errors.append(ActionError(i, k, timestep, "edge conflict"))
    return nxt, nori, errors
