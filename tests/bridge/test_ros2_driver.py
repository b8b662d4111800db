"""The ROS 2 driver against stand-in Nav2 robots in other processes: the driver
conformance check (offline and rejoin included), goal_pose goals, bad telemetry from a
foreign DDS publisher refused and counted, and a robot stopped mid-move rejoining where
it ends up."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from logitwin.bridge.remote import RemoteMove
from logitwin.bridge.ros2 import Ros2Fleet, make_driver
from logitwin.robots.conformance import check_driver
from logitwin.robots.fleet import FleetSetup
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import scenario_fleet

STEP_S = 0.3  # the stand-ins' move time, shorter than the scenario's to keep tests short


def _setup(domain: int, **options: str) -> FleetSetup:
    opts = {"domain": str(domain), "network": "loopback", **options}
    s = scenario_fleet(load_scenario("tiny"), robots=4, options=opts)
    return dataclasses.replace(s, step_s=STEP_S)


def _domain() -> int:
    return random.SystemRandom().randint(1, 230)  # a domain of its own: tests run in parallel


@contextlib.contextmanager
def _robots(domain: int, only: str) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [sys.executable, "-m", "logitwin.bridge.ros2.robots", "--scenario", "tiny"]
    cmd += ["--robots", "4", "--only", only, "--domain", str(domain)]
    cmd += ["--network", "loopback", "--step-s", str(STEP_S)]
    proc = subprocess.Popen(cmd)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGCONT)
        proc.terminate()
        proc.wait(10)


def _ready(setup: FleetSetup) -> Ros2Fleet:
    driver = make_driver(setup)
    silent = driver.wait_for_robots(20)
    if silent:
        driver.close()
        raise AssertionError(f"robots {silent} never sent odometry")
    return driver


class _Twin:
    """Drives a driver as the twin does, on the wall clock."""

    def __init__(self, driver: Ros2Fleet) -> None:
        self.driver = driver
        self.t0 = time.monotonic()
        self.moves: list[RemoteMove] = []
        driver.bind(lambda: time.monotonic() - self.t0, lambda t: None)

    def until(self, what: Callable[[], bool], within_s: float, msg: str) -> None:
        end = time.monotonic() + within_s
        while not what():
            if time.monotonic() > end:
                raise AssertionError(f"{msg}: not within {within_s} s; moves {self.moves}")
            self.moves.extend(self.driver.progress())
            time.sleep(0.02)


def test_conformance_with_robots_in_two_processes() -> None:
    d = _domain()
    setup = _setup(d)
    with _robots(d, "0,1,3"), _robots(d, "2") as second:
        report = check_driver(
            _ready,
            setup,
            realtime=True,
            silence=lambda i: os.kill(second.pid, signal.SIGSTOP),
            revive=lambda i: os.kill(second.pid, signal.SIGCONT),
        )
    assert report.not_applicable == []
    assert "rejoin reconciled" in report.passed
    assert "cancel honoured" in report.passed


def test_goal_pose_goals() -> None:
    d = _domain()
    setup = _setup(d, goals="topic")
    nb = setup.site.grid.neighbors
    start = setup.starts[3]
    a = nb[start][0]
    b = next(c for c in nb[a] if c != start)
    with _robots(d, "0,1,2,3"):
        driver = _ready(setup)
        try:
            twin = _Twin(driver)
            driver.send_path(3, [a, b])
            twin.until(lambda: len(twin.moves) >= 2, 5, "goal_pose path not done")
            assert [(m.robot, m.cell) for m in twin.moves] == [(3, a), (3, b)]
            assert sum(driver.refused.values()) == 0
        finally:
            driver.close()


_BAD_PEER = """
import sys, time
from cyclonedds.pub import DataWriter
from cyclonedds.topic import Topic
from logitwin.bridge.ros2 import types as t
from logitwin.bridge.ros2.dds import DdsConfig, RELIABLE, open_participant
_dom, dp = open_participant(DdsConfig(int(sys.argv[1]), "loopback"))
odom = DataWriter(dp, Topic(dp, "rt/robot_1/odom", t.Odometry), RELIABLE)
stray = DataWriter(dp, Topic(dp, "rt/robot_9/odom", t.Odometry), RELIABLE)
poses = [(float("nan"), 1.0), (1.0, float("inf")), (-5.0, 1.0), (1.0, 99.0)]
poses.append((float(sys.argv[2]), float(sys.argv[3])))  # a blocked cell's centre
end = time.monotonic() + 3
while time.monotonic() < end:
    for x, y in poses:
        m = t.Odometry(header=t.Header(frame_id="map"))
        m.pose.pose.position.x, m.pose.pose.position.y = x, y
        odom.write(m)
    stray.write(t.Odometry())
    time.sleep(0.05)
"""


def test_bad_odometry_refused_and_counted() -> None:
    d = _domain()
    setup = _setup(d)
    grid = setup.site.grid
    blocked = next(c for c in range(grid.size) if not grid.is_free(c))
    bx, by = setup.frame.xy(blocked)
    nb = grid.neighbors
    start = setup.starts[1]
    a = nb[start][0]
    with _robots(d, "0,1,2,3"):
        driver = _ready(setup)
        bad = subprocess.Popen(
            [sys.executable, "-c", _BAD_PEER, str(d), str(bx), str(by)],
        )
        try:
            twin = _Twin(driver)
            twin.until(lambda: driver.refused["pose on a blocked cell"] > 0, 10, "no refusal")
            driver.send_path(1, [a])  # robot 1 works on among the bad samples
            twin.until(lambda: bool(twin.moves), 5, "robot 1's move not done")
            assert [(m.robot, m.cell) for m in twin.moves] == [(1, a)]
            assert driver.refused["non-finite pose"] >= 2
            assert driver.refused["pose off the floor"] >= 2
            assert driver.refused["odometry from an unknown namespace"] == 1
            assert driver.offline() == frozenset()
        finally:
            bad.terminate()
            bad.wait(10)
            driver.close()


def test_robot_stopped_mid_move_rejoins_where_it_ends() -> None:
    d = _domain()
    setup = _setup(d)
    nb = setup.site.grid.neighbors
    start = setup.starts[2]
    a = nb[start][0]
    b = next(c for c in nb[a] if c != start)
    with _robots(d, "0,1,3"), _robots(d, "2") as second:
        driver = _ready(setup)
        try:
            twin = _Twin(driver)
            driver.send_path(2, [a, b])
            twin.until(lambda: bool(twin.moves), 5, "first move not done")
            os.kill(second.pid, signal.SIGSTOP)  # on its way to b
            twin.until(lambda: 2 in driver.offline(), 5, "robot 2 not offline")
            os.kill(second.pid, signal.SIGCONT)
            back: list[tuple[int, int]] = []

            def rejoined() -> bool:
                back.extend(driver.rejoined())
                return bool(back)

            twin.until(rejoined, 5, "robot 2 never rejoined")
            assert back == [(2, b)]  # it finished the move it was on, then stood still
            assert [(m.robot, m.cell) for m in twin.moves] == [(2, a)]
        finally:
            driver.close()


@pytest.mark.parametrize(
    ("key", "value", "what"),
    [("goals", "teleport", "goals"), ("tolerance", "0.7", "tolerance"), ("domain", "x", "")],
)
def test_bad_options_refused(key: str, value: str, what: str) -> None:
    setup = scenario_fleet(load_scenario("tiny"), robots=3, options={key: value})
    with pytest.raises(ValueError, match=f"ros2 driver options: .*{what}"):
        make_driver(setup)
