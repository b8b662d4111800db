"""Task allocation: which idle robot takes a task, by estimated travel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

__all__ = ["NearestRobotAllocator", "RobotAllocator"]


class RobotAllocator(Protocol):
    """Chooses the robot for a task that starts at ``target``."""

    def choose(self, idle: Mapping[int, int], target_dist: Sequence[int]) -> int:
        """Return one robot of ``idle`` (robot index → cell)."""
        ...


class NearestRobotAllocator:
    """The idle robot with the shortest travel to the task's start; ties to the lower id."""

    def choose(self, idle: Mapping[int, int], target_dist: Sequence[int]) -> int:
        """Return the robot index nearest to the target by ``target_dist``."""
        if not idle:
            raise ValueError("no idle robot to allocate")
        return min(idle, key=lambda r: (target_dist[idle[r]], r))
