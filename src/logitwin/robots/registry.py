"""Robot drivers by name: one entry per robot type, imported only when used.

A driver factory takes a :class:`~logitwin.robots.fleet.FleetSetup` and returns an
object meeting :class:`logitwin.actors.traffic.RobotDriver`. A stand-in robot process
(``logitwin robot-sim --backend NAME``) has a ``main(argv)``. Adding a robot type means
one folder with its driver, one line here, and passing
:func:`logitwin.robots.conformance.check_driver`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from logitwin.robots.fleet import FleetSetup

if TYPE_CHECKING:
    from logitwin.actors.traffic import RobotDriver

__all__ = ["DRIVERS", "ROBOT_SIMS", "grid_floor", "make_driver", "robot_sim_main"]

# name -> "module:factory"
DRIVERS: dict[str, str] = {
    "grid": "logitwin.robots.registry:grid_floor",
    "pybullet": "logitwin.robots.pybullet:make_driver",
    "zmq": "logitwin.bridge.zmq:make_driver",
    "ros2": "logitwin.bridge.ros2:make_driver",
    "vda5050": "logitwin.bridge.vda5050:make_driver",
}

# name -> "module:main" of the stand-in robot process
ROBOT_SIMS: dict[str, str] = {
    "zmq": "logitwin.bridge.zmq.robots:main",
    "pybullet": "logitwin.robots.pybullet.robots:main",
    "ros2": "logitwin.bridge.ros2.robots:main",
    "vda5050": "logitwin.bridge.vda5050.vehicle:main",
}


def _load(table: dict[str, str], name: str, what: str) -> Any:
    spec = table.get(name)
    if spec is None:
        raise ValueError(f"unknown {what} {name!r}; expected one of {sorted(table)}")
    module, attr = spec.split(":")
    return getattr(importlib.import_module(module), attr)


def make_driver(name: str, setup: FleetSetup) -> RobotDriver:
    """The driver ``name`` (a key of :data:`DRIVERS`) for ``setup``."""
    factory: Callable[[FleetSetup], RobotDriver] = _load(DRIVERS, name, "robot driver")
    return factory(setup)


def robot_sim_main(name: str) -> Callable[[list[str]], int]:
    """The ``main(argv)`` of the stand-in robot process for backend ``name``."""
    main: Callable[[list[str]], int] = _load(ROBOT_SIMS, name, "robot-sim backend")
    return main


def grid_floor(setup: FleetSetup) -> Any:
    """The grid floor (:class:`~logitwin.robots.floor.GridFloor`) with the setup's
    speeds and delays (each robot's delays from its own stream ``NAME.delays``)."""
    from logitwin.robots.floor import GridFloor

    rngs = None
    if setup.delays.probability > 0 and setup.rng is not None:
        rngs = [setup.rng(f"{r}.delays") for r in setup.names]
    return GridFloor(
        setup.site.grid.neighbors,
        list(setup.starts),
        setup.step_s,
        list(setup.speed),
        setup.delays,
        rngs,
    )
