"""What both PyBullet worlds share as robot drivers: the command queues, pause, cancel,
eager path checks, delays, and reports handed out by ``progress``."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import numpy as np

from logitwin.robots.fleet import FleetSetup
from logitwin.robots.floor import MoveReport
from logitwin.robots.pybullet.params import WorldParams
from logitwin.robots.pybullet.scene import Contact, Scene


class PathDriver:
    """The driver interface over a scene; a world implements :meth:`_catch_up` (run the
    world to a time, finishing and starting moves on the way) and :meth:`_start`."""

    def __init__(self, setup: FleetSetup, params: WorldParams, scene: Scene) -> None:
        n = setup.n
        self.setup = setup
        self.params = params
        self.scene = scene
        self.frame = setup.frame
        self._neighbors = setup.site.grid.neighbors
        self.pos = list(setup.starts)  # the cell each robot is in (a move's start cell)
        self._into = [-1] * n  # the cell a robot is moving into
        self._started = [0.0] * n
        self._path: list[deque[int]] = [deque() for _ in range(n)]
        self._paused = [False] * n
        self._pending: list[MoveReport] = []
        self._rngs: list[np.random.Generator] = []
        if setup.delays.probability > 0 and setup.rng is not None:
            self._rngs = [setup.rng(f"{r}.delays") for r in setup.names]
        self.delayed_moves = 0
        self._clock: Callable[[], float] = lambda: 0.0
        self._wake: Callable[[float], None] = lambda t: None

    # --- the driver interface --------------------------------------------------------------
    def bind(self, clock: Callable[[], float], wake: Callable[[float], None]) -> None:
        """Connect to the controller: ``clock()`` is the time now (s), ``wake(t)`` asks for
        a call to :meth:`progress` at time ``t``."""
        self._clock, self._wake = clock, wake

    def send_path(self, robot: int, cells: Sequence[int]) -> None:
        """Append cells for the robot to drive through, one move each.

        Raises:
            ValueError: a cell is not adjacent to the one before (nothing is queued).
        """
        prev = self._last_cell(robot)
        for c in cells:
            if not (0 <= c < len(self._neighbors)) or c not in self._neighbors[prev]:
                raise ValueError(
                    f"robot {robot} was sent from cell {prev} to {c}: not adjacent "
                    f"(path {list(cells)}); send a path of neighbouring free cells"
                )
            prev = c
        now = self._clock()
        self._catch_up(now)
        self._path[robot].extend(int(c) for c in cells)
        if self._into[robot] < 0 and not self._paused[robot]:
            self._start(robot, now)

    def cancel(self, robot: int) -> None:
        """Drop the robot's moves not yet started (a move in progress finishes)."""
        self._catch_up(self._clock())
        self._path[robot].clear()

    def pause(self, robot: int) -> None:
        """Start no further move (a move in progress finishes)."""
        self._catch_up(self._clock())
        self._paused[robot] = True

    def resume(self, robot: int) -> None:
        """Go on with the path after :meth:`pause`."""
        now = self._clock()
        self._catch_up(now)
        self._paused[robot] = False
        if self._into[robot] < 0:
            self._start(robot, now)

    def progress(self) -> list[MoveReport]:
        """Run the world to the clock; the moves completed since the last call."""
        self._catch_up(self._clock())
        done, self._pending = self._pending, []
        return done

    def offline(self) -> frozenset[int]:
        """A simulated world always reaches its robots."""
        return frozenset()

    def rejoined(self) -> list[tuple[int, int]]:
        """No robot is ever away."""
        return []

    def close(self) -> None:
        """Disconnect the physics client."""
        self.scene.close()

    def cell(self, robot: int) -> int:
        """The cell the robot is in (the start cell of a move in progress)."""
        return self.pos[robot]

    def moving_into(self, robot: int) -> int:
        """The cell the robot is moving into, -1 if it stands."""
        return self._into[robot]

    @property
    def contacts(self) -> list[Contact]:
        """Every contact so far (robot-robot and robot-rack), in time order."""
        return self.scene.contacts

    # --- for the worlds ------------------------------------------------------------------
    def _catch_up(self, now: float) -> None:
        raise NotImplementedError

    def _start(self, robot: int, t: float) -> bool:
        raise NotImplementedError

    def _last_cell(self, robot: int) -> int:
        if self._path[robot]:
            return self._path[robot][-1]
        return self._into[robot] if self._into[robot] >= 0 else self.pos[robot]

    def _delay(self, robot: int) -> float:
        if not self._rngs:
            return 0.0
        d = self.setup.delays.sample(self._rngs[robot])
        self.delayed_moves += d > 0
        return d

    def _finish(self, robot: int, t: float) -> None:
        """The robot reached its target cell at time ``t``: report it, go on."""
        self._pending.append(MoveReport(robot, self._into[robot], self._started[robot]))
        self.pos[robot] = self._into[robot]
        self._into[robot] = -1
