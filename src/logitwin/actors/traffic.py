"""The floor traffic controller: owns every robot's position and moves the fleet step by step."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from logitwin.actors.messages import Arrived, Freeze, Goto, Tick
from logitwin.actors.runtime import URGENT, Actor, System, handles
from logitwin.control.pibt import PIBT

__all__ = ["TrafficController"]


class TrafficController(Actor):
    """Plans one collision-free step for the whole fleet every ``step_s`` seconds.

    Robots send :class:`Goto`; the controller answers :class:`Arrived` with the steps the
    robot moved and the steps it was blocked since its last arrival. A robot keeps its
    goal after arriving, so if another robot pushes it aside it comes back; with ``hold``
    it is pinned there instead.
    ``Goto(-1)`` leaves a robot without a goal (parked, free to be pushed). The clock stops
    while no robot has anywhere to go. Every executed step is journalled as the list of
    moves, so recorded paths can be validated and replayed.

    Args:
        dist_to: distance table to a goal cell (cached BFS maps).
        robots: robot id → start cell.
        step_s: duration (s) of one step (cell size / speed).
        planner: the PIBT planner for this fleet (made with ``rotation=False``).
        around: makes distance tables with the given cells blocked; robots then route
            around broken-down robots. ``None``: they push against them.
    """

    kind = "traffic"

    def __init__(
        self,
        system: System,
        aid: str,
        dist_to: Callable[[int], Sequence[int]],
        robots: dict[str, int],
        step_s: float,
        planner: PIBT,
        around: Callable[[Sequence[int]], Callable[[int], Sequence[int]]] | None = None,
    ) -> None:
        super().__init__(system, aid)
        if step_s <= 0:
            raise ValueError(f"step_s must be > 0 s, got {step_s}")
        self.robot_ids = list(robots)
        self._index = {r: i for i, r in enumerate(self.robot_ids)}
        self.pos = list(robots.values())
        n = len(self.pos)
        if len(set(self.pos)) != n:
            raise ValueError("two robots start on the same cell")
        neighbors = planner.grid.neighbors
        free = {c for c, nb in enumerate(neighbors) if nb}
        bad = [r for r, c in robots.items() if c not in free]
        if bad:
            raise ValueError(f"robots {bad[:5]} start on blocked or isolated cells")
        self._dist_to = dist_to
        self.step_s = step_s
        self.planner = planner
        self.goal: list[int | None] = [None] * n
        self._dist: list[Sequence[int] | None] = [None] * n
        self.hold = [False] * n
        self.pinned = [False] * n
        self.frozen = [False] * n  # broken robots: held where they stand
        # While robots are frozen, distances route around them (a broken robot blocks
        # its aisle): a map of the floor with their cells blocked, rebuilt on change.
        self._around: Callable[[int], Sequence[int]] | None = None
        self._frozen_cells: set[int] = set()  # where frozen robots stand (they do not move)
        self._make_around = around
        self.notified = [True] * n
        self.moved = [0] * n
        self.waited = [0] * n
        self.steps = 0
        self._next_tick: float | None = None

    def on_start(self) -> None:
        self.set(positions=list(self.pos), step_s=self.step_s, steps=0)

    @handles(Freeze)
    def _freeze(self, msg: Freeze, sender: str) -> None:
        i = self._index.get(sender)
        if i is None:
            raise ValueError(f"Freeze from {sender}, which is not a robot of this floor")
        if self.frozen[i] == msg.on:
            return
        self.frozen[i] = msg.on
        self._frozen_cells = {self.pos[k] for k in range(len(self.pos)) if self.frozen[k]}
        cells = sorted(self._frozen_cells)
        self._around = self._make_around(cells) if cells and self._make_around else None
        for k, goal in enumerate(self.goal):
            if goal is not None:
                self._dist[k] = self._route(goal, self.pos[k])
        self._wake()

    def _route(self, goal: int, start: int) -> Sequence[int]:
        """Distances to ``goal``, around frozen robots when that still reaches it."""
        if self._around is not None and goal not in self._frozen_cells:
            around = self._around(goal)
            neighbors = self.planner.grid.neighbors[start]
            if start == goal or any(around[c] < 1 << 30 for c in neighbors):
                return around
        return self._dist_to(goal)

    @handles(Goto)
    def _goto(self, msg: Goto, sender: str) -> None:
        i = self._index.get(sender)
        if i is None:
            raise ValueError(f"Goto from {sender}, which is not a robot of this floor")
        self.pinned[i] = False
        if msg.cell == -1:
            self.goal[i] = self._dist[i] = None
            self.notified[i] = True
            return
        dist = self._dist_to(msg.cell)
        if dist[self.pos[i]] >= 1 << 30:
            raise ValueError(f"{sender}: goal cell {msg.cell} is blocked or unreachable")
        if self._around is not None:
            dist = self._route(msg.cell, self.pos[i])
        self.goal[i] = msg.cell
        self._dist[i] = dist
        self.hold[i] = msg.hold
        self.notified[i] = False
        if self.pos[i] == msg.cell:
            self._arrive(i)
        self._wake()

    def _arrive(self, i: int) -> None:
        self.notified[i] = True
        self.pinned[i] = self.hold[i]
        self.send(self.robot_ids[i], Arrived(self.pos[i], self.moved[i], self.waited[i]))
        self.moved[i] = self.waited[i] = 0

    def _wake(self) -> None:
        if self._next_tick is not None:
            return
        k = math.floor(self.now / self.step_s) + 1
        self._next_tick = k * self.step_s
        self.timer(self._next_tick - self.now, Tick(), priority=URGENT)

    @handles(Tick)
    def _tick(self, msg: Tick, sender: str) -> None:
        self._next_tick = None
        pos = self.pos
        goal = self.goal
        pinned = self.pinned
        if self._frozen_cells:
            pinned = [p or f for p, f in zip(pinned, self.frozen, strict=True)]
        nxt = self.planner.plan_cells(pos, self._dist, pinned)
        moves: list[int] = []
        busy = False
        moved, waited = self.moved, self.waited
        for i, (a, b) in enumerate(zip(pos, nxt, strict=True)):
            g = goal[i]
            if a != b:
                moves += (i, b)
                moved[i] += 1
            elif g is not None and a != g:
                waited[i] += 1
            if g is not None and b != g and not self.frozen[i]:
                busy = True
        self.pos = nxt
        self.steps += 1
        if moves:
            self.set(moves=moves, steps=self.steps)
        for i, g in enumerate(goal):
            if g is not None and not self.notified[i] and nxt[i] == g:
                self._arrive(i)
        if busy:
            self._wake()
