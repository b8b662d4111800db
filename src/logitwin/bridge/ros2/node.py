"""The ROS 2 driver as an rclpy node, for hosts with ROS 2 installed.

:class:`RclpyFleet` is :class:`~logitwin.bridge.ros2.driver.Ros2Fleet` (the same goal
queue, odometry checks, offline and rejoin rules) with rclpy instead of raw DDS: a
subscription to each ``/robot_i/odom``, a ``goal_pose`` publisher or a
``NavigateToPose`` action client, and a timer that looks for odometry in namespaces
not of the fleet. rclpy is imported only when a node is made, so this module imports
anywhere; it is not tested here (no rclpy), the DDS driver is.

Experimental: use :class:`~logitwin.bridge.ros2.driver.Ros2Fleet` unless the host's
ROS 2 setup (another RMW, security enclaves) needs rclpy.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from logitwin.bridge.ros2 import types as t
from logitwin.bridge.ros2.driver import Ros2Fleet, Ros2Params
from logitwin.robots.fleet import FleetSetup

__all__ = ["RclpyFleet", "make_node_driver"]


def _rclpy() -> Any:
    try:
        import rclpy
    except ImportError as exc:
        raise ImportError(
            "the rclpy node needs ROS 2 (source /opt/ros/<distro>/setup.bash); without "
            "it use the DDS driver (--robots ros2), which needs only cyclonedds"
        ) from exc
    return rclpy


class RclpyFleet(Ros2Fleet):
    """The ROS 2 driver on rclpy; see the module docstring.

    Args:
        setup: the fleet.
        params: how to talk to it (``dds.domain`` is ignored: rclpy reads
            ``ROS_DOMAIN_ID``).
        node_name: the node's name.
    """

    def __init__(
        self, setup: FleetSetup, params: Ros2Params | None = None, node_name: str = "logitwin"
    ) -> None:
        self._node_name = node_name
        super().__init__(setup, params)

    def _open_transport(self) -> None:
        rclpy = _rclpy()
        from geometry_msgs.msg import PoseStamped
        from nav2_msgs.action import NavigateToPose
        from nav_msgs.msg import Odometry
        from rclpy.action import ActionClient
        from rclpy.executors import MultiThreadedExecutor
        from rclpy.qos import qos_profile_sensor_data

        if not rclpy.ok():
            rclpy.init()
        self.node = rclpy.create_node(self._node_name)
        self._goal_pubs: list[Any] = []
        self._clients: list[Any] = []
        for i, ns in enumerate(self._ns):
            self.node.create_subscription(
                Odometry,
                f"/{ns}/odom",
                functools.partial(self._on_rclpy_odometry, i),
                qos_profile_sensor_data,  # best effort: matches any odometry publisher
            )
            if self.params.goals == "topic":
                self._goal_pubs.append(
                    self.node.create_publisher(PoseStamped, f"/{ns}/goal_pose", 10)
                )
            else:
                self._clients.append(
                    ActionClient(self.node, NavigateToPose, f"/{ns}/navigate_to_pose")
                )
        self._msgs = (PoseStamped, NavigateToPose)
        self.node.create_timer(1.0, self._look_for_strangers)
        self._executor = MultiThreadedExecutor()
        self._executor.add_node(self.node)
        self._spin = threading.Thread(
            target=self._executor.spin, name="logitwin-rclpy", daemon=True
        )
        self._spin.start()

    def _on_rclpy_odometry(self, robot: int, msg: Any) -> None:
        if not self._closed:
            self._odometry(robot, msg)  # nav_msgs/Odometry has the fields t.Odometry has

    def _publish_goal(self, robot: int, pose: t.PoseStamped, goal_id: bytes) -> None:
        PoseStamped, NavigateToPose = self._msgs
        msg = PoseStamped()
        msg.header.frame_id = pose.header.frame_id
        msg.header.stamp.sec = pose.header.stamp.sec
        msg.header.stamp.nanosec = pose.header.stamp.nanosec
        msg.pose.position.x = pose.pose.position.x
        msg.pose.position.y = pose.pose.position.y
        msg.pose.orientation.w = 1.0
        if self.params.goals == "topic":
            self._goal_pubs[robot].publish(msg)
            return
        goal = NavigateToPose.Goal()
        goal.pose = msg
        future = self._clients[robot].send_goal_async(goal)
        future.add_done_callback(functools.partial(self._on_handle, robot, goal_id))

    def _on_handle(self, robot: int, goal_id: bytes, future: Any) -> None:
        handle = future.result()
        with self._ros_lock:
            if not self._goal_answer(robot, goal_id, bool(handle.accepted)):
                return
        handle.get_result_async().add_done_callback(
            functools.partial(self._on_rclpy_result, robot, goal_id)
        )

    def _on_rclpy_result(self, robot: int, goal_id: bytes, future: Any) -> None:
        res = future.result()
        error = getattr(res.result, "error_msg", "")
        with self._ros_lock:
            self._goal_result(robot, goal_id, int(res.status), str(error))

    def _look_for_strangers(self) -> None:
        for name, _types in self.node.get_topic_names_and_types():
            parts = name.strip("/").split("/")
            if len(parts) == 2 and parts[1] == "odom":
                self._stranger(parts[0])

    def _close_transport(self) -> None:
        self._executor.shutdown()
        self.node.destroy_node()


def make_node_driver(setup: FleetSetup) -> RclpyFleet:
    """The rclpy driver for ``setup`` (parameters from its options)."""
    return RclpyFleet(setup)
