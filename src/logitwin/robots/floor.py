"""The grid floor: the twin's first robot driver. Robots move cell to cell, each move
taking its robot's own time, and some moves are delayed at random.

The floor owns where robots really are; the traffic controller only learns it from the
moves the floor reports done. Delays follow the League of Robot Runners 2026 models: a
move is delayed with a probability (a bernoulli event per move), for a duration drawn
uniformly or from a clipped gaussian between a minimum and a maximum. Each robot also
has a speed factor (its moves take ``step_s / factor``).

The floor checks physics, not plans: a robot that starts into a cell another robot
occupies (standing there or moving in or out) is a *contact*, counted and kept, never
prevented. A correct executor never causes one.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DelayModel", "GridFloor", "MoveReport"]

_DURATIONS = ("uniform", "gaussian")


@dataclass(frozen=True, slots=True)
class DelayModel:
    """Random execution delays, per move.

    Args:
        probability: chance that a move is delayed (0..1).
        min_s: shortest delay (s).
        max_s: longest delay (s).
        duration: ``uniform`` in ``[min_s, max_s]``, or ``gaussian`` with mean
            ``min_s + gauss_mean * (max_s - min_s)`` and standard deviation
            ``gauss_std * (max_s - min_s)``, clipped to the range.
        gauss_mean: relative position of the gaussian's mean in the range (0..1).
        gauss_std: relative standard deviation (>= 0).
    """

    probability: float = 0.0
    min_s: float = 1.0
    max_s: float = 5.0
    duration: str = "uniform"
    gauss_mean: float = 0.5
    gauss_std: float = 0.25

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"delay probability must be in [0, 1], got {self.probability}")
        if not 0.0 <= self.min_s <= self.max_s or not math.isfinite(self.max_s):
            raise ValueError(
                f"delays need 0 <= min_s <= max_s < inf, got min_s={self.min_s}, max_s={self.max_s}"
            )
        if self.duration not in _DURATIONS:
            raise ValueError(f"delay duration {self.duration!r}: expected one of {_DURATIONS}")
        if not 0.0 <= self.gauss_mean <= 1.0 or self.gauss_std < 0.0:
            raise ValueError("gauss_mean must be in [0, 1] and gauss_std >= 0")

    def sample(self, rng: np.random.Generator) -> float:
        """The delay (s) of one move: 0 unless the event fires."""
        if self.probability == 0.0 or rng.random() >= self.probability:
            return 0.0
        lo, hi = self.min_s, self.max_s
        if self.duration == "uniform":
            return float(rng.uniform(lo, hi))
        x = rng.normal(lo + self.gauss_mean * (hi - lo), self.gauss_std * (hi - lo))
        return float(min(hi, max(lo, x)))


@dataclass(frozen=True, slots=True)
class MoveReport:
    """A move a driver reports done: the robot, the cell it reached, when it started (s)."""

    robot: int
    cell: int
    started: float


class GridFloor:
    """Executes moves on a grid with per-robot speeds and random delays.

    Args:
        neighbors: the grid's adjacency: ``neighbors[c]`` are the cells next to ``c``.
        cells: each robot's starting cell.
        step_s: time (s) of a move at speed factor 1 with no delay.
        speed: each robot's speed factor (> 0; default 1).
        delays: the delay model (default: none).
        rngs: each robot's random stream for delays (needed when delays can fire).
    """

    def __init__(
        self,
        neighbors: Sequence[Sequence[int]],
        cells: Sequence[int],
        step_s: float,
        speed: Sequence[float] | None = None,
        delays: DelayModel | None = None,
        rngs: Sequence[np.random.Generator] | None = None,
    ) -> None:
        n = len(cells)
        if step_s <= 0:
            raise ValueError(f"step_s must be > 0 s, got {step_s}")
        self._speed = list(speed) if speed is not None else [1.0] * n
        if len(self._speed) != n or any(not (f > 0 and math.isfinite(f)) for f in self._speed):
            raise ValueError(f"need a finite speed factor > 0 for each of the {n} robots")
        self._delays = delays or DelayModel()
        if self._delays.probability > 0 and (rngs is None or len(rngs) != n):
            raise ValueError("delays need a random stream per robot")
        self._rngs = list(rngs) if rngs is not None else []
        self._neighbors = neighbors
        self.step_s = step_s
        self.pos = list(cells)
        self._into = [-1] * n  # cell a robot is moving into
        self._started = [0.0] * n
        self._path: list[deque[int]] = [deque() for _ in range(n)]
        self._paused = [False] * n
        self._due: dict[float, list[int]] = {}  # end time -> robots finishing then
        self._occupied: dict[int, int] = {c: 1 for c in cells}  # cell -> robots in it
        self.contacts: list[tuple[float, int, int]] = []  # (time, robot, cell entered)
        self.delayed_moves = 0
        self._clock: Callable[[], float] = lambda: 0.0
        self._wake: Callable[[float], None] = lambda t: None

    # --- the driver interface --------------------------------------------------------------
    def bind(self, clock: Callable[[], float], wake: Callable[[float], None]) -> None:
        """Connect the floor to its controller: ``clock()`` is the time now (s) and
        ``wake(t)`` asks to be called back (:meth:`progress`) at time ``t``."""
        self._clock, self._wake = clock, wake

    def send_path(self, robot: int, cells: Sequence[int]) -> None:
        """Append cells for the robot to drive through, one move each, in order."""
        self._path[robot].extend(cells)
        if self._into[robot] < 0 and not self._paused[robot]:
            self._next(robot)

    def cancel(self, robot: int) -> None:
        """Drop the robot's moves not yet started (a move in progress finishes)."""
        self._path[robot].clear()

    def pause(self, robot: int) -> None:
        """Start no further move (a move in progress finishes)."""
        self._paused[robot] = True

    def resume(self, robot: int) -> None:
        """Go on with the path after :meth:`pause`."""
        self._paused[robot] = False
        if self._into[robot] < 0:
            self._next(robot)

    def progress(self) -> list[MoveReport]:
        """Moves complete by now, in robot order; their robots go on along their paths."""
        now = self._clock()
        done: list[MoveReport] = []
        for t in sorted(t for t in self._due if t <= now):
            for i in sorted(self._due.pop(t)):
                old, cell = self.pos[i], self._into[i]
                self._leave(old)
                self.pos[i] = cell
                self._into[i] = -1
                done.append(MoveReport(i, cell, self._started[i]))
        for r in done:
            if not self._paused[r.robot]:
                self._next(r.robot)
        return done

    def moving_into(self, robot: int) -> int:
        """The cell the robot is moving into, -1 if it stands."""
        return self._into[robot]

    def where(self, robot: int) -> tuple[int, int, float]:
        """Where the robot is: the cell it left (or stands in), the cell it is entering
        (-1: none) and the share of that move done (0..1, by undelayed time)."""
        into = self._into[robot]
        if into < 0:
            return self.pos[robot], -1, 0.0
        frac = (self._clock() - self._started[robot]) * self._speed[robot] / self.step_s
        return self.pos[robot], into, min(1.0, max(0.0, frac))

    def offline(self) -> frozenset[int]:
        """The floor always reaches its robots."""
        return frozenset()

    def rejoined(self) -> list[tuple[int, int]]:
        """No robot is ever away."""
        return []

    def close(self) -> None:
        """Nothing to release."""

    # --- inside --------------------------------------------------------------------------
    def _next(self, robot: int) -> None:
        path = self._path[robot]
        if not path:
            return
        cell = path.popleft()
        here = self.pos[robot]
        if cell not in self._neighbors[here]:
            raise ValueError(f"robot {robot} was sent from cell {here} to {cell}: not adjacent")
        now = self._clock()
        if self._occupied.get(cell, 0):
            self.contacts.append((now, robot, cell))
        self._occupied[cell] = self._occupied.get(cell, 0) + 1
        delay = self._delays.sample(self._rngs[robot]) if self._rngs else 0.0
        self.delayed_moves += delay > 0
        end = now + self.step_s / self._speed[robot] + delay
        self._into[robot] = cell
        self._started[robot] = now
        if end not in self._due:
            self._due[end] = []
            self._wake(end)
        self._due[end].append(robot)

    def _leave(self, cell: int) -> None:
        k = self._occupied[cell] - 1
        if k:
            self._occupied[cell] = k
        else:
            del self._occupied[cell]
