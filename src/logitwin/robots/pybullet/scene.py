"""The static PyBullet scene built from a site, and the contacts seen in it.

Every world has its own physics client (``pybullet.DIRECT``; never the GUI), so several
worlds live in one process. The scene is the floor, a ``kiva_shelf`` rack standing on
every storage cell, flat markers (no collision) on stations, queues, chargers and docks,
and one body per robot, made by the world (:mod:`.kinematic`, :mod:`.wheeled`).

Geometry. The shelf is scaled to ``0.8 * cell_m`` (1:1 at the default 1.25 m cells):
its legs stand at the corners, ``0.405 * scale`` m from the centre on the inside, and its
lowest shelf is ``0.33 * scale`` m above the floor. Robots are lower than that and their
turning circle is narrower than the gap between the legs, so a robot driving along the
grid lines under racks (as drive units do under pods) touches none. A *contact* is any
touch between two robots or between a robot and a rack's legs or shelves: trouble every
time, never part of a correct drive.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pybullet as pb
import pybullet_data

from logitwin.robots.fleet import FleetSetup

__all__ = ["Contact", "Scene", "yaw_quaternion"]

# collision groups: robots touch robots, racks and (wheeled) the floor; nothing else pairs
ROBOTS, RACKS, FLOOR = 1, 2, 4
SHELF_PER_CELL = 0.8  # shelf scale per metre of cell (the asset is 0.875 m wide)
LOWEST_SHELF = 0.33  # m above the floor, unscaled (with Bullet's collision margin)
LEG_GAP = 0.405  # m from the centre to the inside of a leg, unscaled


@dataclass(frozen=True, slots=True)
class Contact:
    """Two bodies touching, from the instant they first touch.

    Args:
        t: when (s).
        a: a robot's name.
        b: another robot's name, or ``rack@CELL`` for the rack on that storage cell.
    """

    t: float
    a: str
    b: str

    @property
    def with_rack(self) -> bool:
        """A robot touched a rack."""
        return self.b.startswith("rack@")


def yaw_quaternion(yaw: float) -> tuple[float, float, float, float]:
    """The quaternion (x, y, z, w) of a rotation by ``yaw`` (rad) about the vertical."""
    return (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2))


def _data(*parts: str) -> str:
    return os.path.join(pybullet_data.getDataPath(), *parts)


class Scene:
    """A physics client with the site's floor, racks and markers, and the contact log.

    Args:
        setup: the fleet and its site.
        gravity: vertical gravity (m/s^2; 0 for a kinematic world, which never steps).
        floor_collides: robots stand on the floor (wheeled); otherwise the floor pairs
            with nothing, so kinematic robots cost the collision check no floor contacts.
    """

    def __init__(self, setup: FleetSetup, gravity: float, floor_collides: bool) -> None:
        self.cid: int = pb.connect(pb.DIRECT)
        self.frame = setup.frame
        self.names = setup.names
        self.shelf_scale = SHELF_PER_CELL * setup.cell_m
        cid = self.cid
        pb.setGravity(0, 0, -gravity, physicsClientId=cid)
        self.floor: int = pb.loadURDF(_data("plane.urdf"), physicsClientId=cid)
        pb.setCollisionFilterGroupMask(
            self.floor, -1, FLOOR, ROBOTS if floor_collides else 0, physicsClientId=cid
        )
        self.racks: dict[int, int] = {}  # body -> storage cell
        self._robot_of: dict[int, int] = {}  # body -> robot index
        self.robots: list[int] = []  # robot index -> body
        self._rack_z = 0.0
        for cell in setup.site.storage:
            self._add_rack(int(cell))
        self._markers(setup)
        self.contacts: list[Contact] = []
        self._touching: set[tuple[int, int]] = set()

    # --- building ------------------------------------------------------------------------
    def _add_rack(self, cell: int) -> None:
        (body,) = pb.loadSDF(
            _data("kiva_shelf", "model.sdf"), globalScaling=self.shelf_scale,
            physicsClientId=self.cid,
        )  # fmt: skip
        if not self.racks:  # the asset's origin is its centre of mass: stand it on the floor
            base_z = pb.getBasePositionAndOrientation(body, physicsClientId=self.cid)[0][2]
            self._rack_z = base_z - pb.getAABB(body, -1, physicsClientId=self.cid)[0][2]
        x, y = self.frame.xy(cell)
        pb.resetBasePositionAndOrientation(
            body, (x, y, self._rack_z), (0, 0, 0, 1), physicsClientId=self.cid
        )
        pb.setCollisionFilterGroupMask(body, -1, RACKS, ROBOTS, physicsClientId=self.cid)
        self.racks[body] = cell

    def _markers(self, setup: FleetSetup) -> None:
        site = setup.site
        half = 0.45 * setup.cell_m
        kinds = {
            "station": ([st.pick_cell for st in site.stations], (0.2, 0.4, 0.9, 1)),
            "queue": ([c for st in site.stations for c in st.queue], (0.6, 0.7, 0.95, 1)),
            "charger": (list(site.chargers), (0.2, 0.8, 0.3, 1)),
            "dock": ([d.cell for d in site.docks], (0.5, 0.5, 0.5, 1)),
        }
        for cells, rgba in kinds.values():
            if not cells:
                continue
            vis = pb.createVisualShape(
                pb.GEOM_BOX, halfExtents=(half, half, 0.002), rgbaColor=rgba,
                physicsClientId=self.cid,
            )  # fmt: skip
            for c in cells:
                x, y = self.frame.xy(int(c))
                pb.createMultiBody(0, -1, vis, (x, y, 0.002), physicsClientId=self.cid)

    def add_robot(self, body: int) -> None:
        """Register the next robot's body (index order) for contacts; it never sleeps."""
        cid = self.cid
        for link in range(-1, pb.getNumJoints(body, physicsClientId=cid)):
            pb.setCollisionFilterGroupMask(body, link, ROBOTS, ROBOTS | RACKS | FLOOR,
                                           physicsClientId=cid)  # fmt: skip
        pb.changeDynamics(
            body, -1, activationState=pb.ACTIVATION_STATE_DISABLE_SLEEPING, physicsClientId=cid
        )
        self._robot_of[body] = len(self.robots)
        self.robots.append(body)

    @property
    def robot_height_limit(self) -> float:
        """How tall a robot may be to pass under the racks (m)."""
        return LOWEST_SHELF * self.shelf_scale

    @property
    def robot_radius_limit(self) -> float:
        """How far a robot may reach from its centre to turn between a rack's legs (m)."""
        return LEG_GAP * self.shelf_scale

    # --- contacts ------------------------------------------------------------------------
    def check(self, t: float, detect: bool = True) -> None:
        """Record the contacts that began by time ``t`` (s): pairs of bodies touching now
        that did not at the last check. ``detect``: run collision detection first (a world
        that just stepped its physics has it)."""
        if detect:
            pb.performCollisionDetection(physicsClientId=self.cid)
        self._record(t, pb.getContactPoints(physicsClientId=self.cid))

    def _record(self, t: float, points: Iterable[tuple[Any, ...]]) -> None:
        robot_of, racks = self._robot_of, self.racks
        now: set[tuple[int, int]] = set()
        for pt in points:
            a, b, dist = pt[1], pt[2], pt[8]
            if not isinstance(dist, float) or dist > 0:
                continue
            if a not in robot_of:
                a, b = b, a
            if a not in robot_of or (b not in robot_of and b not in racks) or a == b:
                continue
            now.add((a, b) if b in racks or a < b else (b, a))
        for a, b in sorted(now - self._touching):
            other = self.names[robot_of[b]] if b in robot_of else f"rack@{racks[b]}"
            self.contacts.append(Contact(t, self.names[robot_of[a]], other))
        self._touching = now

    def close(self) -> None:
        """Disconnect the physics client (twice is harmless)."""
        if self.cid >= 0:
            pb.disconnect(physicsClientId=self.cid)
            self.cid = -1
