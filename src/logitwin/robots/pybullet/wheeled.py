"""The wheeled PyBullet world: a few skid-steer huskies (``husky`` from ``pybullet_data``,
scaled to pass under racks) with velocity-controlled wheels, stepped at ``physics_hz``.

Every control period (``1 / control_hz`` s) each robot with a move steers to the centre
of its target cell: it turns in place while its heading is more than 0.25 rad off,
otherwise drives with speed ``min(top, 2 * distance)`` (top: ``speed factor * cell_m /
step_s``) and a proportional heading correction. A move is done when the base is within
``tolerance_m`` of the centre (after standing out any delay there). Contacts are checked
after every physics step. Time only runs while some robot has a move.
"""

from __future__ import annotations

import math
import os

import pybullet as pb
import pybullet_data

from logitwin.robots.fleet import FleetSetup
from logitwin.robots.pybullet._driver import PathDriver
from logitwin.robots.pybullet.params import WorldParams
from logitwin.robots.pybullet.scene import Scene

__all__ = ["WheeledWorld"]

_WHEELS = ("front_left_wheel", "rear_left_wheel", "front_right_wheel", "rear_right_wheel")
_WHEEL_RADIUS = 0.1651  # m, the husky's, unscaled
_TRACK = 0.555 * 1.6  # m: the wheels are 0.555 m apart; skid steering slips, turning slower
_TORQUE = 50.0  # N m per wheel
_TURN_GAIN = 3.0  # rad/s per rad of heading error
_TURN_MAX = 3.0  # rad/s
_ALIGN = 0.25  # rad: turn in place beyond this heading error


def _yaw(q: tuple[float, float, float, float]) -> float:
    x, y, z, w = q
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


class WheeledWorld(PathDriver):
    """Huskies with motor dynamics in a PyBullet world built from the site (a driver).

    Args:
        setup: the fleet, its site, speeds and delays.
        params: physics and control rates, arrival tolerance, husky scale.

    Attributes:
        steps: physics steps run.
    """

    def __init__(self, setup: FleetSetup, params: WorldParams | None = None) -> None:
        params = params or WorldParams(fidelity="wheeled")
        scene = Scene(setup, gravity=9.81, floor_collides=True)
        super().__init__(setup, params, scene)
        cid = scene.cid
        self._dt = 1.0 / params.physics_hz
        self._per = params.physics_hz // params.control_hz
        self.period_s = self._per * self._dt
        pb.setTimeStep(self._dt, physicsClientId=cid)
        s = params.husky_scale
        self._r = _WHEEL_RADIUS * s
        self._track = _TRACK * s
        self._top = [setup.cell_m / setup.step_s * f for f in setup.speed]
        urdf = os.path.join(pybullet_data.getDataPath(), "husky", "husky.urdf")
        self._wheels: list[int] = []
        for c in setup.starts:
            x, y = self.frame.xy(c)
            body = pb.loadURDF(urdf, (x, y, 0.05 * s), globalScaling=s, physicsClientId=cid)
            scene.add_robot(body)
            if not self._wheels:
                names = {
                    pb.getJointInfo(body, j, physicsClientId=cid)[1].decode(): j
                    for j in range(pb.getNumJoints(body, physicsClientId=cid))
                }
                self._wheels = [names[w] for w in _WHEELS]
        for i in range(setup.n):
            self._drive(i, 0.0, 0.0)
        for _ in range(params.physics_hz // 2):  # settle on the floor
            pb.stepSimulation(physicsClientId=cid)
        scene.check(0.0, detect=False)
        self._t = 0.0
        self._dwell = [-1.0] * setup.n  # in the target cell, done at this time
        self._delays = [0.0] * setup.n
        self._woken = -1.0
        self.steps = 0

    def pose(self, robot: int) -> tuple[float, float, float]:
        """The robot's pose now: x (m), y (m), yaw (rad), in the site's frame."""
        self._catch_up(self._clock())
        (x, y, _), q = pb.getBasePositionAndOrientation(
            self.scene.robots[robot], physicsClientId=self.scene.cid
        )
        return x, y, _yaw(q)

    # --- the world -----------------------------------------------------------------------
    def _moving(self) -> bool:
        return any(c >= 0 for c in self._into)

    def _catch_up(self, now: float) -> None:
        cid = self.scene.cid
        while self._moving() and self._t + self.period_s <= now + 1e-9:
            for i, c in enumerate(self._into):
                if c >= 0 and self._dwell[i] < 0:
                    self._steer(i, c)
            for k in range(self._per):
                pb.stepSimulation(physicsClientId=cid)
                self.steps += 1
                self.scene.check(self._t + (k + 1) * self._dt, detect=False)
            self._t += self.period_s
            self._arrivals(self._t)
        if not self._moving():
            self._t = max(self._t, now)
        self._ask_wake()

    def _arrivals(self, t: float) -> None:
        tol = self.params.tolerance_m
        for i, c in enumerate(self._into):
            if c < 0:
                continue
            if self._dwell[i] < 0:
                x, y, _ = self._where(i)
                if self.frame.off_centre(c, x, y) > tol:
                    continue
                self._drive(i, 0.0, 0.0)
                self._dwell[i] = t + self._delays[i]
            if self._dwell[i] <= t + 1e-9:
                self._dwell[i] = -1.0
                self._finish(i, t)
                if not self._paused[i]:
                    self._start(i, t)

    def _start(self, robot: int, t: float) -> bool:
        path = self._path[robot]
        if not path:
            return False
        self._into[robot] = path.popleft()
        self._started[robot] = t
        self._delays[robot] = self._delay(robot)
        self._ask_wake()
        return True

    def _ask_wake(self) -> None:
        if self._moving():
            t = self._t + self.period_s
            if t != self._woken:
                self._woken = t
                self._wake(t)

    def _where(self, robot: int) -> tuple[float, float, float]:
        (x, y, _), q = pb.getBasePositionAndOrientation(
            self.scene.robots[robot], physicsClientId=self.scene.cid
        )
        return x, y, _yaw(q)

    def _steer(self, robot: int, cell: int) -> None:
        x, y, yaw = self._where(robot)
        tx, ty = self.frame.xy(cell)
        dist = math.hypot(tx - x, ty - y)
        err = (math.atan2(ty - y, tx - x) - yaw + math.pi) % (2 * math.pi) - math.pi
        w = max(-_TURN_MAX, min(_TURN_MAX, _TURN_GAIN * err))
        v = 0.0 if abs(err) > _ALIGN else min(self._top[robot], 2.0 * dist + 0.05)
        self._drive(robot, v, w)

    def _drive(self, robot: int, v: float, w: float) -> None:
        """Wheel speeds for forward speed ``v`` (m/s) and turn rate ``w`` (rad/s)."""
        left = (v - w * self._track / 2) / self._r
        right = (v + w * self._track / 2) / self._r
        pb.setJointMotorControlArray(
            self.scene.robots[robot], self._wheels, pb.VELOCITY_CONTROL,
            targetVelocities=(left, left, right, right), forces=(_TORQUE,) * 4,
            physicsClientId=self.scene.cid,
        )  # fmt: skip
