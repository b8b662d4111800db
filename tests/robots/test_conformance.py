"""The driver conformance checker on the drivers that live in the twin's process, and
that it catches broken drivers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from logitwin.robots.conformance import DriverCheckError, check_driver
from logitwin.robots.fleet import FleetSetup
from logitwin.robots.floor import DelayModel, GridFloor
from logitwin.robots.registry import grid_floor
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import scenario_fleet


@pytest.fixture(scope="module")
def setup() -> FleetSetup:
    return scenario_fleet(load_scenario("tiny"), robots=4)


def test_grid_floor_passes(setup: FleetSetup) -> None:
    report = check_driver(grid_floor, setup)
    assert "cancel honoured" in report.passed
    assert report.not_applicable == ["offline detected"]


def test_grid_floor_with_delays_passes(setup: FleetSetup) -> None:
    import dataclasses

    delayed = dataclasses.replace(setup, delays=DelayModel(0.5, 0.5, 3.0), speed=(0.7, 1, 1.3, 1))
    assert len(check_driver(grid_floor, delayed).passed) == 6


class _IgnoresCancel(GridFloor):
    def cancel(self, robot: int) -> None:
        pass


class _IgnoresPause(GridFloor):
    def pause(self, robot: int) -> None:
        pass


class _NoCheck(GridFloor):
    def send_path(self, robot: int, cells: Sequence[int]) -> None:
        self._neighbors = [range(10**6)] * len(self._neighbors)  # accepts any cell
        super().send_path(robot, cells)


def _make(cls: type[GridFloor]) -> Any:
    def make(s: FleetSetup) -> GridFloor:
        return cls(s.site.grid.neighbors, list(s.starts), s.step_s)

    return make


@pytest.mark.parametrize(
    ("cls", "what"),
    [(_IgnoresCancel, "cancel"), (_IgnoresPause, "paused"), (_NoCheck, "accepted it")],
)
def test_broken_drivers_are_caught(setup: FleetSetup, cls: type[GridFloor], what: str) -> None:
    with pytest.raises(DriverCheckError, match=what):
        check_driver(_make(cls), setup)
