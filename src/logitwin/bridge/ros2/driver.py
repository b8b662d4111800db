"""The twin's driver for ROS 2 robots (Nav2) over Cyclone DDS, without rclpy.

Each robot ``i`` lives in ROS namespace ``robot_i``. The driver reads its
``nav_msgs/Odometry`` on ``/robot_i/odom`` and sends it one goal at a time, the centre
of the next cell, as a ``NavigateToPose`` action goal (``goals=action``) or a
``geometry_msgs/PoseStamped`` on ``/robot_i/goal_pose`` (``goals=topic``). The queue of
cells stays here, so pausing is sending no further goal and cancelling is dropping the
queued cells; the move in progress finishes, as the driver interface wants.

From odometry: a robot that leaves the centre of its cell towards the goal has started
the move; one within ``tolerance * cell_m`` of the goal's centre (or whose goal Nav2
reports succeeded while it is in the goal cell) has reached it, and the next goal goes
out at once. Odometry is also the heartbeat. Bad telemetry (a non-finite pose, a pose
off the floor or on a blocked cell, odometry from a namespace not in the fleet) is
refused: counted in :attr:`~logitwin.bridge.remote.RemoteFleet.refused`, logged, and
otherwise ignored.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cyclonedds.builtin import BuiltinDataReader, BuiltinTopicDcpsPublication
from cyclonedds.pub import DataWriter
from cyclonedds.sub import DataReader
from cyclonedds.topic import Topic

from logitwin.bridge.remote import RemoteFleet
from logitwin.bridge.ros2 import types as t
from logitwin.bridge.ros2.dds import (
    BEST_EFFORT,
    RELIABLE,
    ActionTopics,
    DdsConfig,
    on_data,
    open_participant,
    robot_namespace,
    topic,
)
from logitwin.robots.fleet import FleetSetup

__all__ = ["Ros2Fleet", "Ros2Params"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ros2Params:
    """How the driver talks to ROS 2 robots.

    Args:
        dds: the DDS domain and network configuration.
        namespace_prefix: robot ``i``'s namespace is ``f"{namespace_prefix}{i}"``.
        goals: ``action`` (``NavigateToPose``) or ``topic`` (``goal_pose``).
        frame_id: the frame of goals and odometry poses (the map).
        tolerance: a robot within ``tolerance * cell_m`` (m) of a cell centre is there;
            in (0, 0.5).
        offline_after_s: silence (s) after which a robot is offline.
        resend_after_s: a goal not begun after this long (s) is sent again.
    """

    dds: DdsConfig = field(default_factory=DdsConfig)
    namespace_prefix: str = "robot_"
    goals: str = "action"
    frame_id: str = "map"
    tolerance: float = 0.1
    offline_after_s: float = 2.0
    resend_after_s: float = 3.0

    def __post_init__(self) -> None:
        if self.goals not in ("action", "topic"):
            raise ValueError(f"goals must be 'action' or 'topic', got {self.goals!r}")
        if not 0 < self.tolerance < 0.5:
            raise ValueError(f"tolerance must be in (0, 0.5) cells, got {self.tolerance}")
        if not self.offline_after_s > 0 or not self.resend_after_s > 0:
            raise ValueError("offline_after_s and resend_after_s must be > 0 s")

    @classmethod
    def from_setup(cls, setup: FleetSetup) -> Ros2Params:
        """The parameters from the setup's options (``domain``, ``network``,
        ``namespace_prefix``, ``goals``, ``frame_id``, ``tolerance``, ``offline_after_s``)."""
        d = cls()
        try:
            return cls(
                dds=DdsConfig(int(setup.option("domain", "0")), setup.option("network", "auto")),
                namespace_prefix=setup.option("namespace_prefix", d.namespace_prefix),
                goals=setup.option("goals", d.goals),
                frame_id=setup.option("frame_id", d.frame_id),
                tolerance=float(setup.option("tolerance", str(d.tolerance))),
                offline_after_s=float(setup.option("offline_after_s", str(d.offline_after_s))),
            )
        except ValueError as exc:
            raise ValueError(f"ros2 driver options: {exc}") from None


@dataclass
class _Track:
    """What the driver knows of one robot's goals (guarded by ``Ros2Fleet._ros_lock``)."""

    queue: deque[int] = field(default_factory=deque)  # cells not yet sent
    goal: int = -1  # the cell in flight (-1: none)
    frm: int = -1  # the cell it left (or is to leave) for the goal
    begun: bool = False
    sent_at: float = 0.0  # monotonic
    goal_id: bytes = b""
    paused: bool = False
    xy: tuple[float, float] | None = None  # last pose (m)


class Ros2Fleet(RemoteFleet):
    """Driver for ROS 2 robots over DDS; see the module docstring.

    Args:
        setup: the fleet.
        params: how to talk to it (default: from the setup's options).
    """

    def __init__(self, setup: FleetSetup, params: Ros2Params | None = None) -> None:
        p = params if params is not None else Ros2Params.from_setup(setup)
        super().__init__(setup, offline_after_s=p.offline_after_s)
        self.params = p
        self._frame = setup.frame
        self._tol = p.tolerance * setup.cell_m
        self._moving_speed = 0.05 * setup.cell_m / setup.step_s  # m/s: below, standing
        self._ros_lock = threading.Lock()
        self._tracks = [_Track(frm=c) for c in setup.starts]
        self._ns = [robot_namespace(p.namespace_prefix, i) for i in range(setup.n)]
        self._by_ns = {ns: i for i, ns in enumerate(self._ns)}
        self._unknown: set[str] = set()
        self._guid = [uuid.uuid4().int >> 64 for _ in range(setup.n)]
        self._seq = [0] * setup.n
        self._open_transport()

    # --- the DDS transport (an rclpy node overrides these) ------------------------------------
    def _open_transport(self) -> None:
        self._domain, self._dp = open_participant(self.params.dds)
        self._keep: list[Any] = []  # entities the listeners need alive
        self._goal_writers: list[DataWriter[Any]] = []
        self._result_writers: list[DataWriter[t.NavigateToPoseGetResultRequest]] = []
        for i, ns in enumerate(self._ns):
            self._open_robot(i, ns)
        # Odometry publishers in namespaces not of the fleet, found by DDS discovery.
        self._watch = BuiltinDataReader(self._dp, BuiltinTopicDcpsPublication)
        self._watch.set_listener(on_data(lambda _reader: self._on_publication()))

    def _open_robot(self, i: int, ns: str) -> None:
        odom = Topic(self._dp, topic(ns, "odom"), t.Odometry)
        self._keep.append(
            DataReader(
                self._dp,
                odom,
                BEST_EFFORT,
                on_data(functools.partial(self._on_odometry, i)),
            )
        )
        if self.params.goals == "topic":
            goal = Topic(self._dp, topic(ns, "goal_pose"), t.PoseStamped)
            self._goal_writers.append(DataWriter(self._dp, goal, RELIABLE))
            return
        a = ActionTopics.of(ns)
        send = Topic(self._dp, a.send_goal_request, t.NavigateToPoseSendGoalRequest)
        self._goal_writers.append(DataWriter(self._dp, send, RELIABLE))
        result = Topic(self._dp, a.get_result_request, t.NavigateToPoseGetResultRequest)
        self._result_writers.append(DataWriter(self._dp, result, RELIABLE))
        for name, typ, fn in (
            (a.send_goal_reply, t.NavigateToPoseSendGoalReply, self._on_goal_reply),
            (a.get_result_reply, t.NavigateToPoseGetResultReply, self._on_result),
        ):
            self._keep.append(
                DataReader(
                    self._dp,
                    Topic(self._dp, name, typ),
                    RELIABLE,
                    on_data(functools.partial(fn, i)),
                )
            )

    def _publish_goal(self, robot: int, pose: t.PoseStamped, goal_id: bytes) -> None:
        """Send the robot to ``pose`` (under ``_ros_lock``)."""
        writer = self._goal_writers[robot]
        if self.params.goals == "topic":
            writer.write(pose)
            return
        self._seq[robot] += 1
        writer.write(
            t.NavigateToPoseSendGoalRequest(
                client_guid=self._guid[robot],
                seq=self._seq[robot],
                goal_id=t.UUID(uuid=list(goal_id)),
                goal=t.NavigateToPoseGoal(pose=pose),
            )
        )

    def _close_transport(self) -> None:
        self._keep = []
        self._dp.__del__()  # deletes every reader and writer; waits for running listeners
        if self._domain is not None:
            self._domain.__del__()  # the domain id is free again in this process

    # --- state --------------------------------------------------------------------------------
    def heard(self, robot: int) -> bool:
        """Whether the robot has sent odometry since the driver started."""
        with self._ros_lock:
            return self._tracks[robot].xy is not None

    def wait_for_robots(self, timeout_s: float) -> list[int]:
        """Wait up to ``timeout_s`` (s) until every robot has sent odometry; return the
        robots not heard from (empty: all there). Commands to a robot not yet heard are
        held back, and one heard only after going offline rejoins, so a twin should
        start once its robots are there."""
        deadline = time.monotonic() + timeout_s
        while True:
            silent = [i for i in range(self.setup.n) if not self.heard(i)]
            if not silent or time.monotonic() >= deadline:
                return silent
            time.sleep(0.02)

    # --- commands (the twin's thread) --------------------------------------------------------
    def _command_path(self, robot: int, cells: Sequence[int]) -> None:
        with self._ros_lock:
            self._tracks[robot].queue.extend(cells)
            self._dispatch(robot)

    def _command_cancel(self, robot: int) -> None:
        with self._ros_lock:
            tr = self._tracks[robot]
            tr.queue.clear()
            idle = tr.goal < 0
        if idle:  # nothing was sent the robot has not done: nothing dropped can begin
            self.cancel_confirmed(robot)

    def _command_pause(self, robot: int, on: bool) -> None:
        with self._ros_lock:
            self._tracks[robot].paused = on
            if not on:
                self._dispatch(robot)

    def _stop(self) -> None:
        with self._ros_lock:
            for tr in self._tracks:
                tr.queue.clear()
        self._close_transport()

    # --- goals (under _ros_lock) -------------------------------------------------------------
    def _dispatch(self, robot: int) -> None:
        tr = self._tracks[robot]
        if tr.goal >= 0 or tr.paused or not tr.queue or self._closed:
            return
        if robot in self.offline():  # it would run the goal on waking; it rejoins first
            return
        tr.goal = tr.queue.popleft()
        tr.begun = False
        self._send_goal(robot)

    def _send_goal(self, robot: int) -> None:
        tr = self._tracks[robot]
        x, y = self._frame.xy(tr.goal)
        pose = t.PoseStamped(
            header=t.Header(stamp=t.Time.of(time.time()), frame_id=self.params.frame_id),
            pose=t.Pose(position=t.Point(x=x, y=y)),
        )
        tr.sent_at = time.monotonic()
        tr.goal_id = uuid.uuid4().bytes
        self._publish_goal(robot, pose, tr.goal_id)

    def _arrive(self, robot: int) -> None:
        tr = self._tracks[robot]
        cell, tr.goal, tr.goal_id = tr.goal, -1, b""
        tr.frm = cell
        self.reached(robot, cell)
        self._dispatch(robot)

    # --- what robots report (DDS listener threads) ------------------------------------------
    def _on_odometry(self, robot: int, reader: DataReader[t.Odometry]) -> None:
        for msg in reader.take(N=32):
            if isinstance(msg, t.Odometry) and not self._closed:
                try:
                    self._odometry(robot, msg)
                except Exception:  # a listener must not die: log it, keep the twin going
                    log.exception("%s: odometry not handled", self.setup.names[robot])

    def _odometry(self, robot: int, msg: t.Odometry) -> None:
        pos = msg.pose.pose.position
        lin = msg.twist.twist.linear
        x, y, speed = float(pos.x), float(pos.y), math.hypot(float(lin.x), float(lin.y))
        if not all(map(math.isfinite, (x, y, speed))):
            self._refuse_telemetry(robot, "non-finite pose", f"({x}, {y}), speed {speed}")
            return
        try:
            cell = self._frame.cell(x, y)
        except ValueError as exc:
            self._refuse_telemetry(robot, "pose off the floor", str(exc))
            return
        if not self.setup.site.grid.is_free(cell):
            self._refuse_telemetry(robot, "pose on a blocked cell", f"cell {cell}")
            return
        back = robot in self.offline()
        with self._ros_lock:
            tr = self._tracks[robot]
            tr.xy = (x, y)
            if back:  # what it was sent is void; it rejoins where it stops
                tr.queue.clear()
                tr.goal, tr.goal_id, tr.begun = -1, b"", False
                tr.frm = cell
            elif tr.goal >= 0:
                if self._frame.off_centre(tr.goal, x, y) <= self._tol:
                    self._arrive(robot)
                elif not tr.begun and self._frame.off_centre(tr.frm, x, y) > self._tol:
                    tr.begun = True
                    self.started(robot, tr.goal)
                elif not tr.begun and time.monotonic() - tr.sent_at > self.params.resend_after_s:
                    log.info("%s: goal %d not begun, sent again", self.setup.names[robot],
                             tr.goal)  # fmt: skip
                    self._send_goal(robot)
            else:
                self._dispatch(robot)  # a goal held back while the robot was away
            moving_into = tr.goal if tr.goal >= 0 and tr.begun else -1
        if moving_into < 0 and speed > self._moving_speed:
            moving_into = cell  # moving, not on a goal of ours (back from offline)
        self.observe(robot, cell, moving_into)
        self.report_pose(robot, x, y)

    def _on_goal_reply(self, robot: int, reader: DataReader[Any]) -> None:
        for msg in reader.take(N=16):
            if not isinstance(msg, t.NavigateToPoseSendGoalReply) or self._closed:
                continue
            if msg.client_guid != self._guid[robot]:
                continue  # another client's
            with self._ros_lock:
                tr = self._tracks[robot]
                if msg.seq != self._seq[robot]:
                    continue  # an answer to a goal since replaced
                if not self._goal_answer(robot, tr.goal_id, bool(msg.accepted)):
                    continue
                self._seq[robot] += 1
                self._result_writers[robot].write(
                    t.NavigateToPoseGetResultRequest(
                        client_guid=self._guid[robot],
                        seq=self._seq[robot],
                        goal_id=t.UUID(uuid=list(tr.goal_id)),
                    )
                )

    def _on_result(self, robot: int, reader: DataReader[Any]) -> None:
        for msg in reader.take(N=16):
            if not isinstance(msg, t.NavigateToPoseGetResultReply) or self._closed:
                continue
            if msg.client_guid != self._guid[robot]:
                continue
            with self._ros_lock:
                if msg.seq == self._seq[robot]:
                    tr = self._tracks[robot]
                    self._goal_result(robot, tr.goal_id, int(msg.status), msg.result.error_msg)

    # --- goal answers (under _ros_lock; any transport) ------------------------------------------
    def _goal_answer(self, robot: int, goal_id: bytes, accepted: bool) -> bool:
        """The robot accepted (or rejected) goal ``goal_id``; True: ask for its result."""
        tr = self._tracks[robot]
        if tr.goal < 0 or goal_id != tr.goal_id:
            return False  # an answer to a goal since replaced
        if not accepted:
            tr.sent_at = -math.inf  # sent again on the next odometry
            self._refuse_telemetry(robot, "goal rejected", f"cell {tr.goal}")
        return accepted

    def _goal_result(self, robot: int, goal_id: bytes, status: int, error: str) -> None:
        """Goal ``goal_id`` ended with ``status`` (an action_msgs ``STATUS_*``)."""
        tr = self._tracks[robot]
        if tr.goal < 0 or goal_id != tr.goal_id:
            return
        if status == t.STATUS_SUCCEEDED:
            # Nav2's goal tolerance may be wider than ours: in the cell will do.
            if tr.xy is not None and self._frame.cell(*tr.xy) == tr.goal:
                self._arrive(robot)
        elif status in (t.STATUS_ABORTED, t.STATUS_CANCELED):
            tr.sent_at, tr.begun = -math.inf, False
            self._refuse_telemetry(robot, "goal aborted", f"cell {tr.goal}: {error!r}")

    def _on_publication(self) -> None:
        for ep in self._watch.take(N=64):
            name = getattr(ep, "topic_name", None) or ""
            if not (name.startswith("rt/") and name.endswith("/odom")):
                continue
            self._stranger(name[3:-5])

    def _stranger(self, ns: str) -> None:
        """Odometry is published in namespace ``ns``: refused (once) unless a robot's."""
        if ns in self._by_ns or ns in self._unknown:
            return
        self._unknown.add(ns)
        with self._lock:
            self.refused["odometry from an unknown namespace"] += 1
        log.warning("odometry published in namespace %r, not a robot of this fleet "
                    "(%s0..%d); ignored", ns, self.params.namespace_prefix,
                    self.setup.n - 1)  # fmt: skip

    def _refuse_telemetry(self, robot: int, reason: str, detail: str) -> None:
        with self._lock:
            self.refused[reason] += 1
        log.warning("%s: %s refused (%s)", self.setup.names[robot], reason, detail)
