"""Cyclone DDS plumbing shared by the ROS 2 driver and the stand-in robots: the domain
(with its configuration), ROS 2 topic names and the QoS ROS 2 uses on them.

ROS 2 over DDS (``rmw_cyclonedds``): topic ``/ns/name`` is DDS topic ``rt/ns/name``; a
service ``/ns/srv`` is two topics, ``rq/ns/srvRequest`` and ``rr/ns/srvReply``; an action
``/ns/act`` is the services ``act/_action/send_goal``, ``cancel_goal``, ``get_result``
and the topics ``act/_action/feedback`` and ``act/_action/status``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cyclonedds.core import Listener, Policy, Qos
from cyclonedds.domain import Domain, DomainParticipant
from cyclonedds.util import duration

__all__ = [
    "ActionTopics",
    "DdsConfig",
    "loopback_config",
    "on_data",
    "open_participant",
    "robot_namespace",
    "topic",
]

NAV2_ACTION = "navigate_to_pose"

# ROS 2 defaults (rmw_qos_profile_default / services_default): reliable, volatile, depth 10.
RELIABLE = Qos(
    Policy.Reliability.Reliable(max_blocking_time=duration(milliseconds=100)),
    Policy.Durability.Volatile,
    Policy.History.KeepLast(10),
)
# A reader that matches both reliable and best-effort odometry publishers (sensor data).
BEST_EFFORT = Qos(
    Policy.Reliability.BestEffort,
    Policy.Durability.Volatile,
    Policy.History.KeepLast(10),
)
# Action status (rcl_action_qos_profile_status_default): latched, the last one.
STATUS = Qos(
    Policy.Reliability.Reliable(max_blocking_time=duration(milliseconds=100)),
    Policy.Durability.TransientLocal,
    Policy.History.KeepLast(1),
)


def on_data(fn: Callable[[Any], None]) -> Listener:
    """A listener calling ``fn(reader)`` when the reader has data (on a DDS thread)."""
    return Listener(on_data_available=fn)  # type: ignore[no-untyped-call]


def robot_namespace(prefix: str, robot: int) -> str:
    """The ROS namespace of robot ``robot`` (``robot_3`` for prefix ``robot_``)."""
    return f"{prefix}{robot}"


def topic(ns: str, name: str) -> str:
    """The DDS topic of ROS 2 topic ``/ns/name``."""
    return f"rt/{ns}/{name}" if ns else f"rt/{name}"


@dataclass(frozen=True, slots=True)
class ActionTopics:
    """The DDS topics of a ROS 2 action ``/ns/name``."""

    send_goal_request: str
    send_goal_reply: str
    get_result_request: str
    get_result_reply: str
    cancel_request: str
    cancel_reply: str
    feedback: str
    status: str

    @classmethod
    def of(cls, ns: str, name: str = NAV2_ACTION) -> ActionTopics:
        """The topics of action ``name`` in namespace ``ns``."""
        base = f"{ns}/{name}/_action" if ns else f"{name}/_action"
        return cls(
            send_goal_request=f"rq/{base}/send_goalRequest",
            send_goal_reply=f"rr/{base}/send_goalReply",
            get_result_request=f"rq/{base}/get_resultRequest",
            get_result_reply=f"rr/{base}/get_resultReply",
            cancel_request=f"rq/{base}/cancel_goalRequest",
            cancel_reply=f"rr/{base}/cancel_goalReply",
            feedback=f"rt/{base}/feedback",
            status=f"rt/{base}/status",
        )


def loopback_config(max_participants: int = 32) -> str:
    """Cyclone DDS configuration for processes on one machine: the loopback interface,
    no multicast, unicast discovery to 127.0.0.1 over the first ``max_participants``
    participant indices (one per process)."""
    if not 1 <= max_participants <= 120:
        raise ValueError(f"max_participants must be in 1..120, got {max_participants}")
    return (
        '<CycloneDDS><Domain id="any">'
        "<General><Interfaces>"
        '<NetworkInterface address="127.0.0.1"/>'
        "</Interfaces><AllowMulticast>false</AllowMulticast></General>"
        "<Discovery><ParticipantIndex>auto</ParticipantIndex>"
        f"<MaxAutoParticipantIndex>{max_participants}</MaxAutoParticipantIndex>"
        '<Peers><Peer address="127.0.0.1"/></Peers></Discovery>'
        "</Domain></CycloneDDS>"
    )


@dataclass(frozen=True, slots=True)
class DdsConfig:
    """Which DDS domain to join and how.

    Args:
        domain: the DDS domain id (``ROS_DOMAIN_ID``), 0..232.
        network: ``loopback`` (this machine only, :func:`loopback_config`), ``env``
            (Cyclone's own configuration, from ``CYCLONEDDS_URI``), or ``auto``
            (``env`` where ``CYCLONEDDS_URI`` is set, else ``loopback``).
    """

    domain: int = 0
    network: str = "auto"

    def __post_init__(self) -> None:
        if not 0 <= self.domain <= 232:
            raise ValueError(f"DDS domain must be in 0..232, got {self.domain}")
        if self.network not in ("auto", "loopback", "env"):
            raise ValueError(f"network must be 'auto', 'loopback' or 'env', got {self.network!r}")

    def xml(self) -> str | None:
        """The configuration to create the domain with (None: Cyclone's default)."""
        net = self.network
        if net == "auto":
            net = "env" if os.environ.get("CYCLONEDDS_URI") else "loopback"
        return loopback_config() if net == "loopback" else None


def open_participant(config: DdsConfig) -> tuple[Domain | None, DomainParticipant]:
    """A participant in ``config.domain``; keep the returned domain alive as long as the
    participant (deleting a domain deletes its participants)."""
    xml = config.xml()
    domain = Domain(config.domain, xml) if xml is not None else None
    return domain, DomainParticipant(config.domain)
