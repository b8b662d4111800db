"""ROS 2 message types as DDS sees them, for talking to ROS 2 nodes without rclpy.

ROS 2 (``rmw_cyclonedds``) maps ``pkg/msg/Name`` to the DDS type
``pkg::msg::dds_::Name_``, a final struct in XCDR1 with the fields of the ``.msg`` file in
order; actions and services live in ``pkg::action::dds_`` / ``pkg::srv::dds_``. The
definitions below follow the ROS 2 interface files (``builtin_interfaces``,
``std_msgs``, ``geometry_msgs``, ``nav_msgs``, ``unique_identifier_msgs``,
``action_msgs``) and ``nav2_msgs/action/NavigateToPose`` as of Jazzy/Kilted (result
``error_code`` + ``error_msg``; Humble's result is ``std_msgs/Empty`` and does not
match).

A service request or reply over ``rmw_cyclonedds`` starts with a request header, the
client's 64-bit GUID half and a sequence number (``cdds_request_header_t``), before the
request's own fields; the ``*Request`` / ``*Reply`` structs here carry it as their first
two fields, ``client_guid`` and ``seq``.

(No ``from __future__ import annotations`` here: cyclonedds reads the field types at
run time. Arrays and sequences are spelled ``Annotated[Sequence[T], array(T, n)]``, what
cyclonedds' ``array[T, n]`` stands for, so that mypy sees a sequence.)
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from cyclonedds.idl import IdlStruct
from cyclonedds.idl.types import (
    array,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    sequence,
    uint8,
    uint16,
    uint32,
    uint64,
)

__all__ = [
    "UUID",
    "CancelGoalReply",
    "CancelGoalRequest",
    "Duration",
    "GoalInfo",
    "GoalStatus",
    "GoalStatusArray",
    "Header",
    "NavigateToPoseFeedback",
    "NavigateToPoseFeedbackMessage",
    "NavigateToPoseGetResultReply",
    "NavigateToPoseGetResultRequest",
    "NavigateToPoseGoal",
    "NavigateToPoseResult",
    "NavigateToPoseSendGoalReply",
    "NavigateToPoseSendGoalRequest",
    "Odometry",
    "Point",
    "Pose",
    "PoseStamped",
    "PoseWithCovariance",
    "Quaternion",
    "Time",
    "Twist",
    "TwistWithCovariance",
    "Vector3",
]

# action_msgs/msg/GoalStatus constants
STATUS_UNKNOWN = 0
STATUS_ACCEPTED = 1
STATUS_EXECUTING = 2
STATUS_CANCELING = 3
STATUS_SUCCEEDED = 4
STATUS_CANCELED = 5
STATUS_ABORTED = 6


def _zeros36() -> list[float]:
    return [0.0] * 36


def _zeros16() -> list[int]:
    return [0] * 16


@dataclass
class Time(IdlStruct, typename="builtin_interfaces::msg::dds_::Time_"):
    """``builtin_interfaces/Time``: seconds and nanoseconds since the epoch."""

    sec: int32 = 0
    nanosec: uint32 = 0

    @classmethod
    def of(cls, t: float) -> "Time":
        """The time ``t`` (s since the epoch)."""
        sec = int(t // 1)
        return cls(sec=sec, nanosec=min(int((t - sec) * 1e9), 999_999_999))


@dataclass
class Duration(IdlStruct, typename="builtin_interfaces::msg::dds_::Duration_"):
    """``builtin_interfaces/Duration``."""

    sec: int32 = 0
    nanosec: uint32 = 0


@dataclass
class Header(IdlStruct, typename="std_msgs::msg::dds_::Header_"):
    """``std_msgs/Header``: stamp and coordinate frame."""

    stamp: Time = field(default_factory=Time)
    frame_id: str = ""


@dataclass
class Point(IdlStruct, typename="geometry_msgs::msg::dds_::Point_"):
    """``geometry_msgs/Point`` (m)."""

    x: float64 = 0.0
    y: float64 = 0.0
    z: float64 = 0.0


@dataclass
class Vector3(IdlStruct, typename="geometry_msgs::msg::dds_::Vector3_"):
    """``geometry_msgs/Vector3``."""

    x: float64 = 0.0
    y: float64 = 0.0
    z: float64 = 0.0


@dataclass
class Quaternion(IdlStruct, typename="geometry_msgs::msg::dds_::Quaternion_"):
    """``geometry_msgs/Quaternion`` (identity by default)."""

    x: float64 = 0.0
    y: float64 = 0.0
    z: float64 = 0.0
    w: float64 = 1.0


@dataclass
class Pose(IdlStruct, typename="geometry_msgs::msg::dds_::Pose_"):
    """``geometry_msgs/Pose``."""

    position: Point = field(default_factory=Point)
    orientation: Quaternion = field(default_factory=Quaternion)


@dataclass
class PoseStamped(IdlStruct, typename="geometry_msgs::msg::dds_::PoseStamped_"):
    """``geometry_msgs/PoseStamped``: what Nav2 takes on ``goal_pose``."""

    header: Header = field(default_factory=Header)
    pose: Pose = field(default_factory=Pose)


@dataclass
class PoseWithCovariance(IdlStruct, typename="geometry_msgs::msg::dds_::PoseWithCovariance_"):
    """``geometry_msgs/PoseWithCovariance``."""

    pose: Pose = field(default_factory=Pose)
    covariance: Annotated[Sequence[float], array(float64, 36)] = field(default_factory=_zeros36)


@dataclass
class Twist(IdlStruct, typename="geometry_msgs::msg::dds_::Twist_"):
    """``geometry_msgs/Twist`` (m/s, rad/s)."""

    linear: Vector3 = field(default_factory=Vector3)
    angular: Vector3 = field(default_factory=Vector3)


@dataclass
class TwistWithCovariance(IdlStruct, typename="geometry_msgs::msg::dds_::TwistWithCovariance_"):
    """``geometry_msgs/TwistWithCovariance``."""

    twist: Twist = field(default_factory=Twist)
    covariance: Annotated[Sequence[float], array(float64, 36)] = field(default_factory=_zeros36)


@dataclass
class Odometry(IdlStruct, typename="nav_msgs::msg::dds_::Odometry_"):
    """``nav_msgs/Odometry``: a robot's pose (in ``header.frame_id``) and twist."""

    header: Header = field(default_factory=Header)
    child_frame_id: str = ""
    pose: PoseWithCovariance = field(default_factory=PoseWithCovariance)
    twist: TwistWithCovariance = field(default_factory=TwistWithCovariance)


@dataclass
class UUID(IdlStruct, typename="unique_identifier_msgs::msg::dds_::UUID_"):
    """``unique_identifier_msgs/UUID``: an action goal's id."""

    uuid: Annotated[Sequence[int], array(uint8, 16)] = field(default_factory=_zeros16)


@dataclass
class GoalInfo(IdlStruct, typename="action_msgs::msg::dds_::GoalInfo_"):
    """``action_msgs/GoalInfo``."""

    goal_id: UUID = field(default_factory=UUID)
    stamp: Time = field(default_factory=Time)


@dataclass
class GoalStatus(IdlStruct, typename="action_msgs::msg::dds_::GoalStatus_"):
    """``action_msgs/GoalStatus`` (``status``: the ``STATUS_*`` constants)."""

    goal_info: GoalInfo = field(default_factory=GoalInfo)
    status: int8 = STATUS_UNKNOWN


@dataclass
class GoalStatusArray(IdlStruct, typename="action_msgs::msg::dds_::GoalStatusArray_"):
    """``action_msgs/GoalStatusArray``: an action server's ``_action/status``."""

    status_list: Annotated[Sequence[GoalStatus], sequence(GoalStatus)] = field(default_factory=list)


@dataclass
class CancelGoalRequest(IdlStruct, typename="action_msgs::srv::dds_::CancelGoal_Request_"):
    """``action_msgs/srv/CancelGoal`` request, with the request header."""

    client_guid: uint64 = 0
    seq: int64 = 0
    goal_info: GoalInfo = field(default_factory=GoalInfo)


@dataclass
class NavigateToPoseGoal(IdlStruct, typename="nav2_msgs::action::dds_::NavigateToPose_Goal_"):
    """``nav2_msgs/action/NavigateToPose`` goal."""

    pose: PoseStamped = field(default_factory=PoseStamped)
    behavior_tree: str = ""


@dataclass
class CancelGoalReply(IdlStruct, typename="action_msgs::srv::dds_::CancelGoal_Response_"):
    """``action_msgs/srv/CancelGoal`` response, with the request header."""

    client_guid: uint64 = 0
    seq: int64 = 0
    return_code: int8 = 0
    goals_canceling: Annotated[Sequence[GoalInfo], sequence(GoalInfo)] = field(default_factory=list)


@dataclass
class NavigateToPoseResult(IdlStruct, typename="nav2_msgs::action::dds_::NavigateToPose_Result_"):
    """``nav2_msgs/action/NavigateToPose`` result (0: no error)."""

    error_code: uint16 = 0
    error_msg: str = ""


@dataclass
class NavigateToPoseFeedback(
    IdlStruct, typename="nav2_msgs::action::dds_::NavigateToPose_Feedback_"
):
    """``nav2_msgs/action/NavigateToPose`` feedback (distance in m)."""

    current_pose: PoseStamped = field(default_factory=PoseStamped)
    navigation_time: Duration = field(default_factory=Duration)
    estimated_time_remaining: Duration = field(default_factory=Duration)
    number_of_recoveries: int16 = 0
    distance_remaining: float32 = 0.0


@dataclass
class NavigateToPoseSendGoalRequest(
    IdlStruct, typename="nav2_msgs::action::dds_::NavigateToPose_SendGoal_Request_"
):
    """``_action/send_goal`` request, with the request header."""

    client_guid: uint64 = 0
    seq: int64 = 0
    goal_id: UUID = field(default_factory=UUID)
    goal: NavigateToPoseGoal = field(default_factory=NavigateToPoseGoal)


@dataclass
class NavigateToPoseSendGoalReply(
    IdlStruct, typename="nav2_msgs::action::dds_::NavigateToPose_SendGoal_Response_"
):
    """``_action/send_goal`` response, with the request header."""

    client_guid: uint64 = 0
    seq: int64 = 0
    accepted: bool = False
    stamp: Time = field(default_factory=Time)


@dataclass
class NavigateToPoseGetResultRequest(
    IdlStruct, typename="nav2_msgs::action::dds_::NavigateToPose_GetResult_Request_"
):
    """``_action/get_result`` request, with the request header."""

    client_guid: uint64 = 0
    seq: int64 = 0
    goal_id: UUID = field(default_factory=UUID)


@dataclass
class NavigateToPoseGetResultReply(
    IdlStruct, typename="nav2_msgs::action::dds_::NavigateToPose_GetResult_Response_"
):
    """``_action/get_result`` response, with the request header (``status``: a
    ``STATUS_*`` constant)."""

    client_guid: uint64 = 0
    seq: int64 = 0
    status: int8 = STATUS_UNKNOWN
    result: NavigateToPoseResult = field(default_factory=NavigateToPoseResult)


@dataclass
class NavigateToPoseFeedbackMessage(
    IdlStruct, typename="nav2_msgs::action::dds_::NavigateToPose_FeedbackMessage_"
):
    """``_action/feedback``: a goal's id and its feedback."""

    goal_id: UUID = field(default_factory=UUID)
    feedback: NavigateToPoseFeedback = field(default_factory=NavigateToPoseFeedback)
