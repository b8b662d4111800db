"""ROS 2 robots (Nav2) over Cyclone DDS, without rclpy: the twin's driver
(:class:`Ros2Fleet`), ROS 2 message types (:mod:`.types`), stand-in robots
(:mod:`.robots`) and an rclpy node for ROS hosts (:mod:`.node`).

Options (``FleetSetup.options``): ``domain`` (DDS domain id, default 0), ``network``
(``auto``, ``loopback`` or ``env``: see :class:`.dds.DdsConfig`), ``namespace_prefix``
(``robot_``), ``goals`` (``action`` or ``topic``), ``frame_id`` (``map``),
``tolerance`` (0.1 cells), ``offline_after_s`` (2 s).
"""

from __future__ import annotations

from logitwin.bridge.ros2.dds import DdsConfig
from logitwin.bridge.ros2.driver import Ros2Fleet, Ros2Params
from logitwin.robots.fleet import FleetSetup

__all__ = ["DdsConfig", "Ros2Fleet", "Ros2Params", "make_driver"]


def make_driver(setup: FleetSetup) -> Ros2Fleet:
    """The ROS 2 driver for ``setup`` (parameters from its options)."""
    return Ros2Fleet(setup)
