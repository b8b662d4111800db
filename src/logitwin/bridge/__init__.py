"""Bridges to robots in other processes: the twin side of each wire protocol.

Wire formats (our zmq link, ROS 2 types over DDS, VDA 5050 JSON over MQTT) are converted
here, at the edge; the twin sees only :class:`logitwin.actors.traffic.RobotDriver`.
"""

from logitwin.bridge.remote import RemoteFleet, RemoteMove

__all__ = ["RemoteFleet", "RemoteMove"]
