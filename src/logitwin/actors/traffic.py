"""The floor traffic controller: plans the fleet's moves from what the robots report and
releases them to a robot driver so that robots stay collision-free whatever their delays.

Planned is not executed. Every ``step_s`` the planner (PIBT) plans one step for every
robot from its *observed* state: the cell it is in, or, while a move is in progress,
the cell that move ends in (it is pinned there). Robots that would rotate round a cycle
are made to wait (:func:`~logitwin.control.executor.break_rotations`). The executor, a
temporal plan graph, releases each planned move to the driver only when the robots
planned through its cell before have left it; the driver moves the robot and reports
the move done, and only then does the controller count the robot there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from logitwin.actors.messages import Arrived, Found, Freeze, Goto, Lost, MovesDue, Tick
from logitwin.actors.runtime import URGENT, Actor, System, handles
from logitwin.control.executor import TemporalPlanGraph, break_rotations
from logitwin.control.pibt import PIBT

__all__ = ["MoveDone", "RobotDriver", "TrafficController"]


class MoveDone(Protocol):
    """A move a driver reports complete."""

    @property
    def robot(self) -> int:
        """Index of the robot in the fleet."""
        ...

    @property
    def cell(self) -> int:
        """The cell it reached."""
        ...

    @property
    def started(self) -> float:
        """When the move started (s)."""
        ...


class RobotDriver(Protocol):
    """What moves the robots: the grid floor (:class:`logitwin.robots.GridFloor`), a
    physics world, or real robots behind a bridge. Moves take variable, unknown time;
    the driver says when each is done."""

    def bind(self, clock: Callable[[], float], wake: Callable[[float], None]) -> None:
        """Connect to the controller: ``clock()`` is the time now, ``wake(t)`` asks for a
        call to :meth:`progress` at time ``t``."""
        ...

    def send_path(self, robot: int, cells: Sequence[int]) -> None:
        """Drive the robot through ``cells`` (each adjacent to the one before)."""
        ...

    def cancel(self, robot: int) -> None:
        """Drop the moves not yet started."""
        ...

    def pause(self, robot: int) -> None:
        """Start no new move until :meth:`resume`."""
        ...

    def resume(self, robot: int) -> None:
        """Go on after :meth:`pause`."""
        ...

    def progress(self) -> Sequence[MoveDone]:
        """The moves completed since the last call (only of robots online)."""
        ...

    def offline(self) -> Collection[int]:
        """The robots the driver cannot reach now (they missed their heartbeats); their
        moves are not reported until they rejoin. A simulated floor: none."""
        ...

    def rejoined(self) -> Sequence[tuple[int, int]]:
        """The robots back online since the last call, each with the cell it is observed
        in; the commands they had not executed are dropped (the driver cancels them)."""
        ...

    def close(self) -> None:
        """Stop: no further commands (a bridge closes its connections)."""
        ...


class TrafficController(Actor):
    """Plans, releases and tracks the moves of the whole fleet.

    Robots send :class:`Goto`; the controller answers :class:`Arrived` with the moves the
    robot made and the steps it waited since its last arrival. A robot keeps its goal
    after arriving, so if another robot pushes it aside it comes back; with ``hold`` it is
    pinned there instead. ``Goto(-1)`` leaves a robot without a goal (parked, free to be
    pushed). The clock stops while no robot has anywhere to go.

    Journal: ``positions`` (the start cells) once, then at each instant moves complete,
    ``done``: for each, the robot, the cell it reached and when the move started; the
    robots' executed paths, which ``replay --check-paths`` validates.

    Args:
        dist_to: distance table to a goal cell (cached BFS maps).
        robots: robot id → start cell.
        step_s: duration (s) of one planning step (cell size / speed).
        planner: the PIBT planner for this fleet (made with ``rotation=False``).
        driver: moves the robots and reports moves done.
        around: makes distance tables with the given cells blocked; robots then route
            around broken-down robots. ``None``: they push against them.
        lost_after_s: a robot whose move the driver has not reported done this long
            (s) after it started is *lost*: told :class:`Lost` (its task goes to another
            robot), its cells kept blocked, until the driver reports it again
            (:class:`Found`). ``None``: never.
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
        driver: RobotDriver,
        around: Callable[[Sequence[int]], Callable[[int], Sequence[int]]] | None = None,
        lost_after_s: float | None = None,
    ) -> None:
        super().__init__(system, aid)
        if step_s <= 0:
            raise ValueError(f"step_s must be > 0 s, got {step_s}")
        if lost_after_s is not None and not lost_after_s > step_s:
            raise ValueError(f"lost_after_s must exceed step_s ({step_s} s), got {lost_after_s}")
        self.robot_ids = list(robots)
        self._index = {r: i for i, r in enumerate(self.robot_ids)}
        start = list(robots.values())
        n = len(start)
        if len(set(start)) != n:
            raise ValueError("two robots start on the same cell")
        neighbors = planner.grid.neighbors
        free = {c for c, nb in enumerate(neighbors) if nb}
        bad = [r for r, c in robots.items() if c not in free]
        if bad:
            raise ValueError(f"robots {bad[:5]} start on blocked or isolated cells")
        self._dist_to = dist_to
        self.step_s = step_s
        self.planner = planner
        self.driver = driver
        self.tpg = TemporalPlanGraph(start)
        self.goal: list[int | None] = [None] * n
        self._dist: list[Sequence[int] | None] = [None] * n
        self.hold = [False] * n
        self.pinned = [False] * n
        self.frozen = [False] * n  # broken robots: held where they stand
        self.lost = [False] * n  # robots whose driver stopped reporting
        self.lost_after_s = lost_after_s
        self._started = [0.0] * n  # when each robot's move in progress started
        # While robots are frozen, distances route around them (a broken robot blocks
        # its aisle): a map of the floor with their cells blocked, rebuilt on change.
        self._around: Callable[[int], Sequence[int]] | None = None
        self._frozen_cells: set[int] = set()
        self._make_around = around
        self.notified = [True] * n
        self.moved = [0] * n
        self.waited = [0] * n
        self.steps = 0
        self._next_tick: float | None = None
        self._contacts = 0  # physical contacts the driver has reported

    def on_start(self) -> None:
        self.driver.bind(lambda: self.now, self._due)
        self.set(positions=[self.tpg.committed(i) for i in range(len(self.robot_ids))],
                 step_s=self.step_s)  # fmt: skip

    def cell(self, robot: int) -> int:
        """The cell the controller knows the robot in (or moving into)."""
        return self.tpg.committed(robot)

    def _due(self, t: float) -> None:
        self.timer(t - self.now, MovesDue(), priority=URGENT)

    @handles(Freeze)
    def _freeze(self, msg: Freeze, sender: str) -> None:
        i = self._robot(sender, "Freeze")
        if self.frozen[i] == msg.on:
            return
        self.frozen[i] = msg.on
        if msg.on:
            self.driver.pause(i)
            self.driver.cancel(i)
            self.tpg.clear(i)
        else:
            self.driver.resume(i)
        self._reroute()
        self._wake()

    def _reroute(self) -> None:
        cells = sorted(
            c
            for k in range(len(self.frozen))
            if self.frozen[k] or self.lost[k]
            for c in self.tpg.holds(k)
        )
        self._frozen_cells = set(cells)
        self._around = self._make_around(cells) if cells and self._make_around else None
        for k, goal in enumerate(self.goal):
            if goal is not None:
                self._dist[k] = self._route(goal, self.cell(k))

    def _route(self, goal: int, start: int) -> Sequence[int]:
        """Distances to ``goal``, around frozen robots when that still reaches it."""
        if self._around is not None and goal not in self._frozen_cells:
            around = self._around(goal)
            neighbors = self.planner.grid.neighbors[start]
            if start == goal or any(around[c] < 1 << 30 for c in neighbors):
                return around
        return self._dist_to(goal)

    def _robot(self, sender: str, what: str) -> int:
        i = self._index.get(sender)
        if i is None:
            raise ValueError(f"{what} from {sender}, which is not a robot of this floor")
        return i

    @handles(Goto)
    def _goto(self, msg: Goto, sender: str) -> None:
        i = self._robot(sender, "Goto")
        self.pinned[i] = False
        if msg.cell == -1:
            self.goal[i] = self._dist[i] = None
            self.notified[i] = True
            return
        here = self.cell(i)
        dist = self._dist_to(msg.cell)
        if dist[here] >= 1 << 30:
            raise ValueError(f"{sender}: goal cell {msg.cell} is blocked or unreachable")
        if self._around is not None:
            dist = self._route(msg.cell, here)
        self.goal[i] = msg.cell
        self._dist[i] = dist
        self.hold[i] = msg.hold
        self.notified[i] = False
        if here == msg.cell and not self.tpg.moving(i):
            self._arrive(i)
        self._wake()

    def _arrive(self, i: int) -> None:
        self.notified[i] = True
        self.pinned[i] = self.hold[i]
        self.send(self.robot_ids[i], Arrived(self.cell(i), self.moved[i], self.waited[i]))
        self.moved[i] = self.waited[i] = 0

    def _wake(self, soon: bool = False) -> None:
        """Plan at the next step boundary; with ``soon``, now, unless that boundary is
        near (a robot whose move ended mid-step need not wait out the step)."""
        nxt = self._next_tick
        if soon and nxt is not None and nxt - self.now > 0.1 * self.step_s:
            self._next_tick = self.now
            self.timer(0.0, Tick())  # the later tick becomes stale
            return
        if nxt is not None:
            return
        k = math.floor(self.now / self.step_s) + 1
        self._next_tick = k * self.step_s
        self.timer(self._next_tick - self.now, Tick())

    @handles(MovesDue)
    def _moves_due(self, msg: MovesDue, sender: str) -> None:
        done = self.driver.progress()
        self._links()
        contacts = len(getattr(self.driver, "contacts", ()))
        if contacts != self._contacts:  # a physics world's (the grid floor's too)
            self._contacts = contacts
            self.set(contacts=contacts)
        if not done:
            return
        journal: list[int | float] = []
        freed = []
        for d in done:
            freed.append(self.tpg.done(d.robot))
            if self.tpg.committed(d.robot) != d.cell:
                raise ValueError(
                    f"{self.robot_ids[d.robot]} reported reaching cell {d.cell}; it was "
                    f"released into {self.tpg.committed(d.robot)}"
                )
            self.moved[d.robot] += 1
            journal += (d.robot, d.cell, d.started)
        self.set(done=journal)
        found = [d.robot for d in done if self.lost[d.robot]]
        for i in found:
            self.lost[i] = False
            self.send(self.robot_ids[i], Found())
        if found:
            self.set(robots_lost=sum(self.lost))
            self._reroute()
        for d in done:
            i = d.robot
            g = self.goal[i]
            if g is not None and not self.notified[i] and d.cell == g:
                self._arrive(i)
        # Robots whose turn came with the cells just left go now, not at the next step:
        # the next robot planned into each freed cell, and the movers' own next moves.
        self._release([self.tpg.next_in(c) for c in freed] + [d.robot for d in done])
        # Movers still on their way get their next step planned now, not at the next step
        # boundary: with real robots (delays, physics, the wall clock) moves end mid-step.
        if any(self.goal[d.robot] is not None and not self.tpg.moving(d.robot) for d in done):
            self._wake(soon=True)

    def _release(self, robots: Sequence[int | None]) -> None:
        tpg, driver, frozen, lost = self.tpg, self.driver, self.frozen, self.lost
        for i in robots:
            if i is None or frozen[i] or lost[i]:
                continue
            c = tpg.ready(i)
            if c is not None:
                tpg.start(i)
                self._started[i] = self.now
                driver.send_path(i, (c,))

    def _links(self) -> None:
        """Robots the driver lost contact with are lost; robots back are reconciled: the
        cell they are observed in settles the move they were making (done, or never
        made). A robot observed anywhere else stays out of service."""
        driver, tpg = self.driver, self.tpg
        newly = False
        for i in driver.offline():
            if not self.lost[i]:
                self._lose(i)
                newly = True
        back: list[int] = []
        done: list[int | float] = []
        freed: list[int] = []
        for i, cell in driver.rejoined():
            holds = tpg.holds(i)
            if tpg.moving(i) and cell == holds[1]:
                freed.append(tpg.done(i))
                self.moved[i] += 1
                done += (i, cell, self._started[i])
            elif tpg.moving(i) and cell == holds[0]:
                freed.append(tpg.abort(i))
            elif cell != holds[0]:  # not where the twin has it: out of service
                self.set(unreconciled=[i, cell, *holds])
                if not self.lost[i]:
                    self._lose(i)
                    newly = True
                continue
            if self.lost[i]:  # (a robot back before it was seen gone only reconciles)
                self.lost[i] = False
                back.append(i)
                self.send(self.robot_ids[i], Found())
        if done:
            self.set(done=done)
        if newly or back or freed:
            self.set(robots_lost=sum(self.lost))
            self._reroute()
            self._wake()
        self._release([tpg.next_in(c) for c in freed])

    def _lose(self, i: int) -> None:
        self.lost[i] = True
        self.tpg.clear(i)
        self.driver.cancel(i)
        self.send(self.robot_ids[i], Lost())

    def _watch(self) -> bool:
        """Declare lost the robots whose move is overdue; whether any robot is moving."""
        limit = self.lost_after_s
        anyone = newly = False
        for i in range(len(self.robot_ids)):
            if not self.tpg.moving(i):
                continue
            anyone = True
            if limit is not None and not self.lost[i] and self.now - self._started[i] > limit:
                self._lose(i)
                newly = True
        if newly:  # one journal row and one re-route for all robots lost this tick
            self.set(robots_lost=sum(self.lost))
            self._reroute()
        return anyone

    @handles(Tick)
    def _tick(self, msg: Tick, sender: str) -> None:
        due = self._next_tick
        if due is None or abs(due - self.now) > 1e-6:
            return  # stale: an earlier tick (see _wake) took its place
        self._next_tick = None
        tpg = self.tpg
        n = len(self.robot_ids)
        pos = [tpg.committed(i) for i in range(n)]
        self._links()
        moving = self._watch()
        pinned = [
            self.pinned[i] or self.frozen[i] or self.lost[i] or tpg.moving(i) for i in range(n)
        ]  # fmt: skip
        nxt = self.planner.plan_cells(pos, self._dist, pinned)
        if self.planner.cycles:  # the executor needs plans without them
            nxt = break_rotations(pos, nxt)
        plans = {i: (c,) for i, c in enumerate(nxt) if c != pos[i]}
        tpg.stage(plans)
        self._release(list(plans))
        busy = moving and self.lost_after_s is not None  # keep watching moves
        # Waits are counted per step: an extra tick for a move that ended mid-step
        # (see _wake) is not another step waited.
        k = self.now / self.step_s
        on_step = abs(k - round(k)) < 1e-6
        for i, g in enumerate(self.goal):
            if g is None or self.frozen[i] or self.lost[i]:
                continue
            if on_step and not tpg.moving(i) and pos[i] != g:
                self.waited[i] += 1
            if tpg.moving(i) or pos[i] != g:
                busy = True
        self.steps += 1
        if busy:
            self._wake()
