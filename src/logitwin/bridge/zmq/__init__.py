"""The zmq link: the twin drives robots in other processes over our own wire protocol.

:class:`ZmqFleet` (the twin side) binds a ROUTER for commands and a SUB for telemetry;
robot processes (:mod:`logitwin.bridge.zmq.robots`) connect a DEALER and a PUB to them.
See :mod:`logitwin.bridge.zmq.wire` for the messages and sequence rules.
"""

from logitwin.bridge.zmq.link import ZmqFleet, make_driver

__all__ = ["ZmqFleet", "make_driver"]
