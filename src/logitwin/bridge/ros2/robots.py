"""Stand-in ROS 2 robots: DDS participants that behave, on the wire, like Nav2 robots.

Each robot ``robot_i`` publishes ``nav_msgs/Odometry`` on ``/robot_i/odom`` (in the map
frame) at ``--rate-hz``, takes goals on ``/robot_i/goal_pose`` and serves the
``/robot_i/navigate_to_pose`` action (send_goal, get_result, cancel_goal, feedback,
status), and drives on the wall clock in a straight line to each goal at the scenario's
speed (``cell_m / step_s``). A new goal preempts the one in progress (the old one ends
aborted); a cancel stops the robot where it is. Run with
``logitwin robot-sim --backend ros2 --scenario NAME --robots N [--only I,J] [--domain D]``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cyclonedds.pub import DataWriter
from cyclonedds.sub import DataReader
from cyclonedds.topic import Topic

from logitwin.bridge.ros2 import types as t
from logitwin.bridge.ros2.dds import (
    RELIABLE,
    STATUS,
    ActionTopics,
    DdsConfig,
    on_data,
    open_participant,
    robot_namespace,
    topic,
)
from logitwin.robots.fleet import FleetSetup

__all__ = ["StandInRobots", "main"]

_KEEP_RESULTS = 64  # finished goals whose results a client may still ask for


@dataclass
class _Bot:
    """One stand-in robot's state (guarded by ``StandInRobots._lock``)."""

    ns: str
    x: float
    y: float
    yaw: float = 0.0
    target: tuple[float, float] | None = None
    goal_id: bytes = b""  # the action goal being run (b"": none, or a goal_pose goal)
    goal_stamp: t.Time = field(default_factory=t.Time)
    speed: float = 0.0  # m/s now
    results: OrderedDict[bytes, int] = field(default_factory=OrderedDict)  # id -> status
    waiting: dict[bytes, list[tuple[int, int]]] = field(default_factory=dict)  # get_result


class StandInRobots:
    """Stand-in Nav2 robots in one process; see the module docstring.

    Args:
        setup: the fleet (names, start cells, cell size, step time).
        only: the robot indices this process hosts.
        dds: the DDS domain to join.
        namespace_prefix: robot ``i``'s namespace is ``f"{namespace_prefix}{i}"``.
        rate_hz: odometry rate (Hz).
        step_s: time (s) of one cell's move (default: the setup's).
    """

    def __init__(
        self,
        setup: FleetSetup,
        only: Sequence[int],
        dds: DdsConfig,
        namespace_prefix: str = "robot_",
        rate_hz: float = 20.0,
        step_s: float | None = None,
    ) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be > 0, got {rate_hz}")
        self.setup = setup
        self.rate_hz = rate_hz
        self.v = setup.cell_m / (step_s if step_s is not None else setup.step_s)  # m/s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._domain, self._dp = open_participant(dds)
        self._keep: list[Any] = []
        self._bots: dict[int, _Bot] = {}
        self._out: dict[int, dict[str, DataWriter[Any]]] = {}
        for i in only:
            x, y = setup.frame.xy(setup.starts[i])
            ns = robot_namespace(namespace_prefix, i)
            self._bots[i] = _Bot(ns, x, y)
            self._open(i, ns)

    def _open(self, i: int, ns: str) -> None:
        dp = self._dp
        a = ActionTopics.of(ns)

        def writer(name: str, typ: type, qos: Any = RELIABLE) -> DataWriter[Any]:
            return DataWriter(dp, Topic(dp, name, typ), qos)

        def reader(name: str, typ: type, fn: Any) -> None:
            lst = on_data(lambda r: self._take(i, r, typ, fn))
            self._keep.append(DataReader(dp, Topic(dp, name, typ), RELIABLE, lst))

        self._out[i] = {
            "odom": writer(topic(ns, "odom"), t.Odometry),
            "send_goal": writer(a.send_goal_reply, t.NavigateToPoseSendGoalReply),
            "get_result": writer(a.get_result_reply, t.NavigateToPoseGetResultReply),
            "cancel": writer(a.cancel_reply, t.CancelGoalReply),
            "feedback": writer(a.feedback, t.NavigateToPoseFeedbackMessage),
            "status": writer(a.status, t.GoalStatusArray, STATUS),
        }
        reader(topic(ns, "goal_pose"), t.PoseStamped, self._on_goal_pose)
        reader(a.send_goal_request, t.NavigateToPoseSendGoalRequest, self._on_send_goal)
        reader(a.get_result_request, t.NavigateToPoseGetResultRequest, self._on_get_result)
        reader(a.cancel_request, t.CancelGoalRequest, self._on_cancel)

    def _take(self, i: int, r: DataReader[Any], typ: type, fn: Any) -> None:
        for msg in r.take(N=16):
            if isinstance(msg, typ) and not self._stop.is_set():
                with self._lock:
                    fn(i, self._bots[i], msg)

    # --- requests (listener threads, under _lock) -------------------------------------------
    def _on_goal_pose(self, i: int, bot: _Bot, msg: t.PoseStamped) -> None:
        self._end(i, bot, t.STATUS_ABORTED)  # preempted
        bot.target = (float(msg.pose.position.x), float(msg.pose.position.y))

    def _on_send_goal(self, i: int, bot: _Bot, req: t.NavigateToPoseSendGoalRequest) -> None:
        self._end(i, bot, t.STATUS_ABORTED)
        p = req.goal.pose.pose.position
        bot.target = (float(p.x), float(p.y))
        bot.goal_id = bytes(req.goal_id.uuid)
        bot.goal_stamp = t.Time.of(time.time())
        self._out[i]["send_goal"].write(
            t.NavigateToPoseSendGoalReply(
                client_guid=req.client_guid, seq=req.seq, accepted=True, stamp=bot.goal_stamp
            )
        )
        self._status(i, bot)

    def _on_get_result(self, i: int, bot: _Bot, req: t.NavigateToPoseGetResultRequest) -> None:
        gid = bytes(req.goal_id.uuid)
        if gid == bot.goal_id:
            bot.waiting.setdefault(gid, []).append((req.client_guid, req.seq))
        else:
            self._result(i, req.client_guid, req.seq, bot.results.get(gid, t.STATUS_UNKNOWN))

    def _on_cancel(self, i: int, bot: _Bot, req: t.CancelGoalRequest) -> None:
        gid = bytes(req.goal_info.goal_id.uuid)
        canceling = []
        if bot.goal_id and (gid == bot.goal_id or not any(gid)):  # zero id: all goals
            canceling.append(t.GoalInfo(goal_id=t.UUID(uuid=list(bot.goal_id)),
                                        stamp=bot.goal_stamp))  # fmt: skip
            self._end(i, bot, t.STATUS_CANCELED)
        bot.target = None  # Nav2 stops where it is
        self._out[i]["cancel"].write(
            t.CancelGoalReply(
                client_guid=req.client_guid,
                seq=req.seq,
                return_code=0 if canceling else 2,  # ERROR_NONE / ERROR_UNKNOWN_GOAL_ID
                goals_canceling=canceling,
            )
        )

    def _end(self, i: int, bot: _Bot, status: int) -> None:
        """The action goal in progress (if any) ends with ``status``."""
        gid, bot.goal_id = bot.goal_id, b""
        if not gid:
            return
        bot.results[gid] = status
        while len(bot.results) > _KEEP_RESULTS:
            bot.results.popitem(last=False)
        for guid, seq in bot.waiting.pop(gid, []):
            self._result(i, guid, seq, status)
        self._status(i, bot, gid, status)

    def _result(self, i: int, guid: int, seq: int, status: int) -> None:
        self._out[i]["get_result"].write(
            t.NavigateToPoseGetResultReply(client_guid=guid, seq=seq, status=status)
        )

    def _status(self, i: int, bot: _Bot, gid: bytes = b"", status: int = 0) -> None:
        lst = []
        if gid:
            lst.append(t.GoalStatus(t.GoalInfo(t.UUID(list(gid)), bot.goal_stamp), status))
        if bot.goal_id:
            info = t.GoalInfo(t.UUID(list(bot.goal_id)), bot.goal_stamp)
            lst.append(t.GoalStatus(info, t.STATUS_EXECUTING))
        self._out[i]["status"].write(t.GoalStatusArray(status_list=lst))

    # --- motion (main thread) ---------------------------------------------------------------
    def step(self, dt: float) -> None:
        """Move every robot for ``dt`` seconds and publish odometry (and feedback)."""
        now = t.Time.of(time.time())
        with self._lock:
            for i, bot in self._bots.items():
                self._move(i, bot, dt)
                self._publish(i, bot, now)

    def _move(self, i: int, bot: _Bot, dt: float) -> None:
        bot.speed = 0.0
        if bot.target is None:
            return
        dx, dy = bot.target[0] - bot.x, bot.target[1] - bot.y
        dist = math.hypot(dx, dy)
        step = self.v * dt
        if dist > 1e-9:
            bot.yaw = math.atan2(dy, dx)
        if step >= dist:
            bot.x, bot.y = bot.target
            bot.target = None
            self._end(i, bot, t.STATUS_SUCCEEDED)
        else:
            bot.x += dx / dist * step
            bot.y += dy / dist * step
            bot.speed = self.v

    def _publish(self, i: int, bot: _Bot, now: t.Time) -> None:
        out = self._out[i]
        header = t.Header(stamp=now, frame_id="map")
        pose = t.Pose(
            position=t.Point(x=bot.x, y=bot.y),
            orientation=t.Quaternion(z=math.sin(bot.yaw / 2), w=math.cos(bot.yaw / 2)),
        )
        odom = t.Odometry(header=header, child_frame_id=f"{bot.ns}/base_link")
        odom.pose.pose = pose
        odom.twist.twist.linear.x = bot.speed
        out["odom"].write(odom)
        if bot.goal_id and bot.target is not None:
            left = math.hypot(bot.target[0] - bot.x, bot.target[1] - bot.y)
            fb = t.NavigateToPoseFeedback(
                current_pose=t.PoseStamped(header, pose), distance_remaining=left
            )
            out["feedback"].write(t.NavigateToPoseFeedbackMessage(t.UUID(list(bot.goal_id)), fb))

    def run(self, seconds: float | None = None) -> None:
        """Step on the wall clock until :meth:`stop` (or ``seconds``)."""
        period = 1.0 / self.rate_hz
        start = last = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if seconds is not None and now - start >= seconds:
                break
            self.step(now - last)
            last = now
            self._stop.wait(max(0.0, period - (time.monotonic() - now)))

    def stop(self) -> None:
        """Make :meth:`run` return."""
        self._stop.set()


def main(argv: list[str]) -> int:
    """Run stand-in ROS 2 robots: ``--scenario NAME --robots N [--only I,J] [--domain D]
    [--network auto|loopback|env] [--namespace-prefix P] [--rate-hz F] [--step-s S]``."""
    from logitwin.scenarios import load_scenario
    from logitwin.scenarios.build import scenario_fleet

    p = argparse.ArgumentParser(prog="logitwin robot-sim --backend ros2")
    p.add_argument("--scenario", default="tiny")
    p.add_argument("--robots", type=int, default=None)
    p.add_argument("--only", default=None, help="robot indices this process hosts (I,J,...)")
    p.add_argument("--domain", type=int, default=0, help="DDS domain (ROS_DOMAIN_ID)")
    p.add_argument("--network", default="auto", choices=["auto", "loopback", "env"])
    p.add_argument("--namespace-prefix", default="robot_")
    p.add_argument("--rate-hz", type=float, default=20.0)
    p.add_argument("--step-s", type=float, default=None, help="time of one cell's move (s)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long")
    args = p.parse_args(argv)
    setup = scenario_fleet(load_scenario(args.scenario), robots=args.robots)
    only = [int(x) for x in args.only.split(",")] if args.only else list(range(setup.n))
    bad = [i for i in only if not 0 <= i < setup.n]
    if bad:
        p.error(f"--only {bad}: the fleet has robots 0..{setup.n - 1}")
    if args.step_s is not None and not args.step_s > 0:
        p.error(f"--step-s must be > 0, got {args.step_s}")
    try:
        dds = DdsConfig(args.domain, args.network)
    except ValueError as exc:
        p.error(str(exc))
    robots = StandInRobots(
        setup, only, dds, args.namespace_prefix, args.rate_hz, step_s=args.step_s
    )
    signal.signal(signal.SIGTERM, lambda *_: robots.stop())
    with contextlib.suppress(KeyboardInterrupt):
        robots.run(args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
