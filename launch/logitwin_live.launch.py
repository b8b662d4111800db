"""ROS 2 launch file: the logitwin twin driving Nav2 robots over DDS.

    ros2 launch launch/logitwin_live.launch.py scenario:=demo goals:=action

starts ``logitwin live SCENARIO --robots ros2`` with the robots' DDS domain
(``ROS_DOMAIN_ID``), namespace prefix (robot ``i`` is ``/robot_i``) and goal kind
(``action``: ``navigate_to_pose``; ``topic``: ``goal_pose``). ``network:=env`` (the
default) uses the host's Cyclone DDS configuration (``CYCLONEDDS_URI``), as ROS 2 does;
``standin:=true`` also starts stand-in robots on this machine (with ``network:=loopback``).
"""

from launch.actions import DeclareLaunchArgument, ExecuteProcess
from launch.conditions import IfCondition
from launch.substitutions import EnvironmentVariable, LaunchConfiguration

from launch import LaunchDescription

ARGUMENTS = {
    "scenario": ("demo", "built-in scenario name or path to a YAML file"),
    "goals": ("action", "action (NavigateToPose) or topic (goal_pose)"),
    "namespace_prefix": ("robot_", "robot i lives in namespace PREFIXi"),
    "network": ("env", "env (CYCLONEDDS_URI), loopback (this machine) or auto"),
    "minutes": ("60", "stop the twin after this long"),
    "standin": ("false", "also start stand-in robots (no real robots needed)"),
}


def generate_launch_description() -> LaunchDescription:
    """The twin (and, with ``standin:=true``, stand-in robots)."""
    arg = LaunchConfiguration
    declared = [
        DeclareLaunchArgument(name, default_value=default, description=text)
        for name, (default, text) in ARGUMENTS.items()
    ]
    declared.append(
        DeclareLaunchArgument(
            "domain",
            default_value=EnvironmentVariable("ROS_DOMAIN_ID", default_value="0"),
            description="DDS domain of the robots",
        )
    )
    live = ["logitwin", "live", arg("scenario"), "--robots", "ros2", "--minutes", arg("minutes")]
    for key in ("domain", "goals", "namespace_prefix", "network"):
        live += ["--option", [f"{key}=", arg(key)]]  # one argument: KEY=VALUE
    sim = ["logitwin", "robot-sim", "--backend", "ros2", "--scenario", arg("scenario"), "--"]
    sim += ["--domain", arg("domain"), "--network", arg("network")]
    sim += ["--namespace-prefix", arg("namespace_prefix")]
    twin = ExecuteProcess(cmd=live, output="screen")
    robots = ExecuteProcess(cmd=sim, output="screen", condition=IfCondition(arg("standin")))
    return LaunchDescription([*declared, robots, twin])
