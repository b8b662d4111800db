"""The rclpy node imports without ROS 2 and says what it needs; the ROS 2 launch file
compiles and the commands it runs parse."""

from __future__ import annotations

import ast
import importlib.util
import random
from pathlib import Path

import pytest

from logitwin.bridge.ros2 import node
from logitwin.bridge.ros2.robots import main as robots_main
from logitwin.cli import _parser
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import scenario_fleet

LAUNCH = Path(__file__).resolve().parents[2] / "launch" / "logitwin_live.launch.py"


@pytest.mark.skipif(importlib.util.find_spec("rclpy") is not None, reason="rclpy is here")
def test_node_without_rclpy_says_what_it_needs() -> None:
    setup = scenario_fleet(load_scenario("tiny"), robots=3)
    with pytest.raises(ImportError, match="source /opt/ros"):
        node.RclpyFleet(setup)


def test_launch_file_runs_commands_that_parse() -> None:
    tree = ast.parse(LAUNCH.read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "generate_launch_description" in names
    live = "live demo --robots ros2 --minutes 60 --option domain=0 --option goals=action "
    live += "--option namespace_prefix=robot_ --option network=env"
    args = _parser().parse_args(live.split())
    assert (args.command, args.robots) == ("live", "ros2")
    domain = str(random.SystemRandom().randint(1, 230))
    sim = ["--scenario", "tiny", "--domain", domain, "--network", "loopback"]
    assert robots_main([*sim, "--namespace-prefix", "robot_", "--seconds", "0.1"]) == 0
