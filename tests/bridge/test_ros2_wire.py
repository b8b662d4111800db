"""ROS 2 wire types: the bytes ROS 2 (rmw_cyclonedds, XCDR1) puts on the wire, written
out by hand, and an exchange with stand-in Nav2 robots in another process (odometry
in, goal_pose and NavigateToPose goals out, names and types as discovery shows them)."""

from __future__ import annotations

import contextlib
import random
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cyclonedds.builtin import BuiltinDataReader, BuiltinTopicDcpsPublication
from cyclonedds.pub import DataWriter
from cyclonedds.sub import DataReader
from cyclonedds.topic import Topic

from logitwin.bridge.ros2 import types as t
from logitwin.bridge.ros2.dds import (
    BEST_EFFORT,
    RELIABLE,
    ActionTopics,
    DdsConfig,
    loopback_config,
    open_participant,
    topic,
)

CDR_LE = b"\x00\x01\x00\x00"  # encapsulation: plain CDR, little endian


def _string(s: str, offset: int) -> tuple[bytes, int]:
    """A CDR string at body ``offset``: its padding to 4, length (with NUL), bytes."""
    pad = -offset % 4
    raw = s.encode() + b"\0"
    out = b"\0" * pad + struct.pack("<I", len(raw)) + raw
    return out, offset + len(out)


def _pose_stamped_bytes(sec: int, nsec: int, frame: str, xyz: tuple[float, ...]) -> bytes:
    body = struct.pack("<iI", sec, nsec)
    s, off = _string(frame, len(body))
    body += s
    body += b"\0" * (-off % 8)  # doubles align to 8
    body += struct.pack("<7d", *xyz, 0.0, 0.0, 0.0, 1.0)
    return CDR_LE + body


def test_pose_stamped_bytes_are_ros2s() -> None:
    msg = t.PoseStamped(
        header=t.Header(stamp=t.Time(sec=7, nanosec=5), frame_id="map"),
        pose=t.Pose(position=t.Point(x=1.5, y=-2.0, z=0.25)),
    )
    assert msg.serialize() == _pose_stamped_bytes(7, 5, "map", (1.5, -2.0, 0.25))
    assert t.PoseStamped.__idl_typename__ == "geometry_msgs::msg::dds_::PoseStamped_"


def test_send_goal_request_starts_with_the_request_header() -> None:
    gid = bytes(range(16))
    req = t.NavigateToPoseSendGoalRequest(
        client_guid=0x0102030405060708,
        seq=42,
        goal_id=t.UUID(uuid=list(gid)),
        goal=t.NavigateToPoseGoal(
            pose=t.PoseStamped(header=t.Header(frame_id="map")), behavior_tree=""
        ),
    )
    head = struct.pack("<Qq", 0x0102030405060708, 42) + gid
    pose = _pose_stamped_bytes(0, 0, "map", (0.0, 0.0, 0.0))[4:]
    # the goal starts at body offset 32, a multiple of 8: the pose lays out as alone
    bt = struct.pack("<I", 1) + b"\0"
    assert req.serialize() == CDR_LE + head + pose + bt
    assert req.__idl_typename__ == "nav2_msgs::action::dds_::NavigateToPose_SendGoal_Request_"


def test_odometry_layout() -> None:
    odom = t.Odometry(header=t.Header(frame_id="map"), child_frame_id="robot_0/base_link")
    odom.pose.pose.position.x = 3.0
    odom.twist.twist.linear.x = 0.5
    raw = odom.serialize()
    body = struct.pack("<iI", 0, 0)
    s, off = _string("map", 8)
    body += s
    s, off = _string("robot_0/base_link", off)
    body += s + b"\0" * (-off % 8)
    body += struct.pack("<7d", 3.0, 0, 0, 0, 0, 0, 1.0) + b"\0" * 288
    body += struct.pack("<6d", 0.5, 0, 0, 0, 0, 0) + b"\0" * 288
    assert raw == CDR_LE + body
    assert t.Odometry.deserialize(raw) == odom


def test_loopback_config_is_unicast_to_localhost() -> None:
    xml = loopback_config(8)
    assert "<AllowMulticast>false</AllowMulticast>" in xml
    assert '<Peer address="127.0.0.1"/>' in xml
    assert "<MaxAutoParticipantIndex>8</MaxAutoParticipantIndex>" in xml
    with pytest.raises(ValueError, match="max_participants"):
        loopback_config(0)
    with pytest.raises(ValueError, match="domain"):
        DdsConfig(domain=300)


# --- against stand-in robots in another process ----------------------------------------------
def _domain() -> int:
    return random.SystemRandom().randint(1, 230)  # a domain of its own: tests run in parallel


@contextlib.contextmanager
def _robots(domain: int, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [sys.executable, "-m", "logitwin.bridge.ros2.robots", "--scenario", "tiny"]
    cmd += ["--robots", "4", "--domain", str(domain), "--network", "loopback", *extra]
    proc = subprocess.Popen(cmd)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(10)


def _until(what: Callable[[], Any], within_s: float, msg: str) -> Any:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        got = what()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"{msg}: not within {within_s} s")


def test_exchange_with_standin_robots() -> None:
    d = _domain()
    _dom, dp = open_participant(DdsConfig(d, "loopback"))
    odom = DataReader(dp, Topic(dp, topic("robot_1", "odom"), t.Odometry), BEST_EFFORT)
    goal = DataWriter(dp, Topic(dp, topic("robot_1", "goal_pose"), t.PoseStamped), RELIABLE)
    a = ActionTopics.of("robot_1")
    send = DataWriter(dp, Topic(dp, a.send_goal_request, t.NavigateToPoseSendGoalRequest), RELIABLE)
    sent_reply = DataReader(
        dp, Topic(dp, a.send_goal_reply, t.NavigateToPoseSendGoalReply), RELIABLE
    )
    get = DataWriter(
        dp, Topic(dp, a.get_result_request, t.NavigateToPoseGetResultRequest), RELIABLE
    )
    result = DataReader(dp, Topic(dp, a.get_result_reply, t.NavigateToPoseGetResultReply), RELIABLE)
    pubs = BuiltinDataReader(dp, BuiltinTopicDcpsPublication)
    seen: dict[str, str] = {}
    last: list[t.Odometry] = []

    def latest() -> t.Odometry | None:
        last.extend(m for m in odom.take(N=64) if isinstance(m, t.Odometry))
        return last[-1] if last else None

    with _robots(d, "--step-s", "0.2"):
        first = _until(latest, 15, "no odometry from robot_1")
        assert first.header.frame_id == "map"
        x0, y0 = first.pose.pose.position.x, first.pose.pose.position.y

        def discovered() -> bool:
            for ep in pubs.take(N=256):
                if getattr(ep, "topic_name", None):
                    seen[ep.topic_name] = ep.type_name
            return a.send_goal_reply in seen

        _until(discovered, 5, "robot_1's action server not discovered")
        assert seen["rt/robot_1/odom"] == "nav_msgs::msg::dds_::Odometry_"
        assert seen[a.status] == "action_msgs::msg::dds_::GoalStatusArray_"
        assert seen[a.send_goal_reply] == (
            "nav2_msgs::action::dds_::NavigateToPose_SendGoal_Response_"
        )
        _until(lambda: goal.get_publication_matched_status().current_count, 5, "no match")
        _until(lambda: send.get_publication_matched_status().current_count, 5, "no match")

        # goal_pose: the robot drives there (half a metre east)
        goal.write(t.PoseStamped(t.Header(frame_id="map"), t.Pose(t.Point(x0 + 0.5, y0))))

        def at(x: float, y: float) -> bool:
            m = latest()
            p = m.pose.pose.position if m else None
            return p is not None and abs(p.x - x) < 1e-6 and abs(p.y - y) < 1e-6

        _until(lambda: at(x0 + 0.5, y0), 5, "goal_pose not reached")

        # NavigateToPose: accepted, with our request header echoed; result SUCCEEDED
        gid = list(uuid.uuid4().bytes)
        pose = t.PoseStamped(t.Header(frame_id="map"), t.Pose(t.Point(x0, y0)))
        send.write(
            t.NavigateToPoseSendGoalRequest(
                client_guid=77, seq=1, goal_id=t.UUID(gid), goal=t.NavigateToPoseGoal(pose)
            )
        )
        reply = _until(lambda: sent_reply.take(N=4), 5, "no send_goal reply")[0]
        assert (reply.client_guid, reply.seq, reply.accepted) == (77, 1, True)
        get.write(t.NavigateToPoseGetResultRequest(client_guid=77, seq=2, goal_id=t.UUID(gid)))
        res = _until(lambda: result.take(N=4), 5, "no get_result reply")[0]
        assert (res.client_guid, res.seq, res.status) == (77, 2, t.STATUS_SUCCEEDED)
        assert at(x0, y0)
