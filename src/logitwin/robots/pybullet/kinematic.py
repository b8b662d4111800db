"""The kinematic PyBullet world: whole fleets of robot bodies placed along their moves.

A robot is a cylinder (``0.24 * cell_m`` radius, under the racks' lowest shelf) with
mass, so Bullet pairs it with other robots and with racks, but the world never steps
dynamics: each move's pose is a function of time and the world places every moving body
at each *tick* (``tick_s``), then runs collision detection and logs contacts.

A move from cell a to b: turn in place towards b if the heading changes (``turn_s`` per
quarter turn), then drive along the grid line with a trapezoidal speed profile (top
speed ``speed factor * cell_m / step_s``, so a straight cruise takes ``step_s`` a cell;
``accel_mps2`` to speed up and brake), then stand out any delay in b before the move is
reported done. A robot stops in b unless, when the move starts, its next queued cell
continues straight ahead, it is not paused and the move has no delay: then it passes b
at speed. (The twin releases one cell at a time, so under the twin every move starts
and ends at rest.) A cancel or pause that comes after the robot decided to pass b at
speed stops it there dead: counted in :attr:`KinematicWorld.hard_stops`.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import pybullet as pb

from logitwin.robots.fleet import FleetSetup
from logitwin.robots.pybullet._driver import PathDriver
from logitwin.robots.pybullet.params import WorldParams
from logitwin.robots.pybullet.scene import Scene, yaw_quaternion

__all__ = ["KinematicWorld", "Motion", "plan_motion"]

RADIUS_PER_CELL = 0.24  # robot radius per metre of cell
HEIGHT_PER_CELL = 0.2  # robot height per metre of cell (under the lowest shelf)


@dataclass(frozen=True, slots=True)
class Motion:
    """One move's pose over time: turn, drive (accelerate, cruise, brake), stand.

    Times are absolute (s), speeds m/s, distances m.
    """

    t0: float
    x0: float
    y0: float
    ux: float
    uy: float
    yaw0: float
    dyaw: float
    turn_end: float
    u0: float
    vp: float
    u1: float
    accel: float
    t1: float  # accelerating
    t2: float  # cruising
    t3: float  # braking
    arrive: float
    end: float  # arrive + delay: reported done then

    @property
    def yaw1(self) -> float:
        """Heading (rad) while driving and after."""
        return self.yaw0 + self.dyaw

    def at(self, t: float) -> tuple[float, float, float]:
        """The pose (x m, y m, yaw rad) at time ``t``."""
        if t <= self.turn_end:
            if t <= self.t0 or self.turn_end <= self.t0:
                return self.x0, self.y0, self.yaw0
            f = (t - self.t0) / (self.turn_end - self.t0)
            return self.x0, self.y0, self.yaw0 + self.dyaw * f
        s = self.travelled(t - self.turn_end)
        return self.x0 + self.ux * s, self.y0 + self.uy * s, self.yaw1

    def travelled(self, tau: float) -> float:
        """Distance (m) driven ``tau`` seconds after the turn."""
        a, u0, vp = self.accel, self.u0, self.vp
        t1, t2, t3 = self.t1, self.t2, self.t3
        if tau <= 0:
            return 0.0
        if tau < t1:
            return u0 * tau + a * tau * tau / 2
        s1 = (u0 + vp) * t1 / 2
        if tau < t1 + t2:
            return s1 + vp * (tau - t1)
        s2 = vp * t2
        r = min(tau - t1 - t2, t3)
        return s1 + s2 + vp * r - a * r * r / 2


def plan_motion(
    t0: float,
    start: tuple[float, float, float],
    goal: tuple[float, float],
    u0: float,
    u1: float,
    top: float,
    accel: float,
    quarter_turn_s: float,
    delay: float = 0.0,
) -> Motion:
    """A move from ``start`` (x, y, yaw) to ``goal`` (x, y), entering at speed ``u0`` and
    leaving at ``u1`` (m/s; a turn needs ``u0 = 0``), top speed ``top`` (m/s), acceleration
    limit ``accel`` (m/s^2).

    Raises:
        ValueError: the robot cannot go from ``u0`` to ``u1`` within the distance.
    """
    x0, y0, yaw0 = start
    dx, dy = goal[0] - x0, goal[1] - y0
    d = math.hypot(dx, dy)
    if d == 0:
        raise ValueError(f"a move needs two distinct points, got {goal} twice")
    heading = math.atan2(dy, dx)
    dyaw = (heading - yaw0 + math.pi) % (2 * math.pi) - math.pi
    if abs(dyaw) < 1e-9:
        dyaw = 0.0
    turn = quarter_turn_s * abs(dyaw) / (math.pi / 2)
    if turn > 0 and u0 > 0:
        raise ValueError(f"a robot at {u0:g} m/s cannot turn in place")
    if abs(u0 * u0 - u1 * u1) / (2 * accel) > d + 1e-9:
        raise ValueError(
            f"from {u0:g} to {u1:g} m/s within {d:g} m needs more than {accel:g} m/s^2"
        )
    vp = top
    if (2 * top * top - u0 * u0 - u1 * u1) / (2 * accel) > d:
        vp = math.sqrt(accel * d + (u0 * u0 + u1 * u1) / 2)  # triangular: no cruise
    t1 = (vp - u0) / accel
    t3 = (vp - u1) / accel
    s_cruise = d - (vp * vp - u0 * u0) / (2 * accel) - (vp * vp - u1 * u1) / (2 * accel)
    t2 = max(0.0, s_cruise) / vp
    turn_end = t0 + turn
    arrive = turn_end + t1 + t2 + t3
    return Motion(
        t0, x0, y0, dx / d, dy / d, yaw0, dyaw, turn_end, u0, vp, u1, accel, t1, t2, t3,
        arrive, arrive + delay,
    )  # fmt: skip


class KinematicWorld(PathDriver):
    """Robots as kinematic bodies in a PyBullet world built from the site (a driver).

    Args:
        setup: the fleet, its site, speeds and delays.
        params: motion limits and the collision-check period.

    Attributes:
        steps: ticks run (body placements plus a collision check; idle spans skipped).
        hard_stops: moves that ended at speed because a cancel or pause came too late.
    """

    def __init__(self, setup: FleetSetup, params: WorldParams | None = None) -> None:
        params = params or WorldParams()
        scene = Scene(setup, gravity=0.0, floor_collides=False)
        super().__init__(setup, params, scene)
        self.tick_s = params.tick_s if params.tick_s is not None else setup.step_s / 10
        self._top = [setup.cell_m / setup.step_s * f for f in setup.speed]
        worst = max(self._top)
        if worst * worst / (2 * params.accel_mps2) > setup.cell_m:
            raise ValueError(
                f"accel_mps2 = {params.accel_mps2:g} is too low: a robot at {worst:.3g} m/s "
                f"could not stop within a {setup.cell_m:g} m cell; use at least "
                f"{worst * worst / (2 * setup.cell_m):.3g}"
            )
        self.radius = RADIUS_PER_CELL * setup.cell_m
        self.height = min(HEIGHT_PER_CELL * setup.cell_m, 0.9 * scene.robot_height_limit)
        cid = scene.cid
        col = pb.createCollisionShape(
            pb.GEOM_CYLINDER, radius=self.radius, height=self.height, physicsClientId=cid
        )
        vis = pb.createVisualShape(
            pb.GEOM_CYLINDER, radius=self.radius, length=self.height,
            rgbaColor=(0.95, 0.55, 0.1, 1), physicsClientId=cid,
        )  # fmt: skip
        self._z = self.height / 2 + 0.002
        for c in setup.starts:
            x, y = self.frame.xy(c)
            scene.add_robot(pb.createMultiBody(1.0, col, vis, (x, y, self._z), physicsClientId=cid))
        self._yaw = [0.0] * setup.n  # heading at rest: east
        self._speed_in = [0.0] * setup.n  # speed on reaching self.pos
        self._motion: list[Motion | None] = [None] * setup.n
        self._active: dict[int, Motion] = {}  # robots whose pose changes
        self._due: dict[float, list[int]] = {}  # end time -> robots finishing then
        self._ends: list[float] = []  # heap of the keys of _due
        self._k = 0  # last tick run
        self.steps = 0
        self.hard_stops = 0
        scene.check(0.0)

    def pose(self, robot: int) -> tuple[float, float, float]:
        """The robot's pose now: x (m), y (m), yaw (rad), in the site's frame."""
        now = self._clock()
        self._catch_up(now)
        m = self._motion[robot]
        if m is not None:
            return m.at(now)
        x, y = self.frame.xy(self.pos[robot])
        return x, y, self._yaw[robot]

    # --- the world -----------------------------------------------------------------------
    def _catch_up(self, now: float) -> None:
        while self._ends and self._ends[0] <= now:
            te = heapq.heappop(self._ends)
            self._ticks(te)
            robots = sorted(self._due.pop(te))
            for i in robots:
                m = self._motion[i]
                if m is None:  # never: a due robot has a motion
                    raise RuntimeError(f"robot {i} due at {te} without a move")
                self._yaw[i] = m.yaw1
                self._speed_in[i] = m.u1
                self._motion[i] = None
                self._finish(i, te)
            for i in robots:
                started = not self._paused[i] and self._start(i, te)
                if self._speed_in[i] > 0 and not (started and self._active[i].u0 > 0):
                    self.hard_stops += 1
                if not started:
                    self._speed_in[i] = 0.0
        self._ticks(now)

    def _start(self, robot: int, t: float) -> bool:
        path = self._path[robot]
        if not path:
            return False
        cell = path.popleft()
        here = self.pos[robot]
        (x0, y0), (x1, y1) = self.frame.xy(here), self.frame.xy(cell)
        yaw0 = self._yaw[robot]
        turn = (math.atan2(y1 - y0, x1 - x0) - yaw0 + math.pi) % (2 * math.pi) - math.pi
        straight = abs(turn) < 1e-9
        u0 = self._speed_in[robot] if straight else 0.0
        delay = self._delay(robot)
        u1 = 0.0
        if path and not self._paused[robot] and delay == 0:
            x2, y2 = self.frame.xy(path[0])
            if abs((x2 - x1) - (x1 - x0)) < 1e-9 and abs((y2 - y1) - (y1 - y0)) < 1e-9:
                u1 = self._top[robot]
        speed = self.setup.speed[robot]
        m = plan_motion(
            t, (x0, y0, yaw0), (x1, y1), u0, u1, self._top[robot], self.params.accel_mps2,
            self.params.turn_s / speed, delay,
        )  # fmt: skip
        self._motion[robot] = m
        self._active[robot] = m
        self._into[robot] = cell
        self._started[robot] = t
        if m.end not in self._due:
            self._due[m.end] = []
            heapq.heappush(self._ends, m.end)
            self._wake(m.end)
        self._due[m.end].append(robot)
        return True

    def _ticks(self, t: float) -> None:
        """Run the ticks up to time ``t``: place the moving bodies, check contacts."""
        last = math.floor(t / self.tick_s + 1e-9)
        if not self._active:
            self._k = max(self._k, last)
            return
        cid, bodies, z, tick = self.scene.cid, self.scene.robots, self._z, self.tick_s
        reset = pb.resetBasePositionAndOrientation
        active = self._active
        for k in range(self._k + 1, last + 1):
            tk = k * tick
            for i, m in list(active.items()):
                x, y, yaw = m.at(tk)
                reset(bodies[i], (x, y, z), yaw_quaternion(yaw), physicsClientId=cid)
                if tk >= m.arrive:
                    del active[i]
            self.scene.check(tk)
            self.steps += 1
            if not active:
                break
        self._k = max(self._k, last)
