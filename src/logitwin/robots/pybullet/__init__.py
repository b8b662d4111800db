"""The PyBullet robot world: the site's floor, racks (``kiva_shelf``), stations, chargers
and robots in a physics client of its own, behind the robot-driver interface.

Two fidelities: :class:`KinematicWorld` (bodies follow their moves with acceleration
limits and turn-in-place time; hundreds of robots) and :class:`WheeledWorld` (huskies
with velocity-controlled wheels; a few, for motion studies). Both report poses
(``pose(robot)``) and every contact between robots or with racks (``contacts``).
``logitwin robot-sim --backend pybullet`` serves a world to a live twin over the zmq link.
"""

from __future__ import annotations

from logitwin.robots.fleet import FleetSetup
from logitwin.robots.pybullet.kinematic import KinematicWorld, Motion, plan_motion
from logitwin.robots.pybullet.params import FIDELITIES, WorldParams
from logitwin.robots.pybullet.scene import Contact
from logitwin.robots.pybullet.wheeled import WheeledWorld

__all__ = [
    "FIDELITIES",
    "Contact",
    "KinematicWorld",
    "Motion",
    "WheeledWorld",
    "WorldParams",
    "make_driver",
    "plan_motion",
]


def make_driver(setup: FleetSetup) -> KinematicWorld | WheeledWorld:
    """The PyBullet world for ``setup``: kinematic unless the backend option
    ``fidelity`` says ``wheeled``; other options (``accel_mps2``, ``turn_s``,
    ``tick_s``, ...) are :class:`WorldParams` fields.

    Raises:
        ValueError: an option is malformed or out of range.
    """
    params = WorldParams.from_options(setup.options)
    if params.fidelity == "wheeled":
        return WheeledWorld(setup, params)
    return KinematicWorld(setup, params)
