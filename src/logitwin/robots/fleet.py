"""What every robot driver is made from: the site, the fleet and where it starts.

A driver (the grid floor, a PyBullet world, a bridge to real robots) is made by a
factory from one :class:`FleetSetup`, so the twin builds any of them the same way and
the conformance checker (:mod:`logitwin.robots.conformance`) can make any of them on a
small site of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from logitwin.robots.floor import DelayModel
from logitwin.site.site import Site

__all__ = ["CellFrame", "FleetSetup", "fleet_starts"]


@dataclass(frozen=True, slots=True)
class CellFrame:
    """Grid cells in metres: cell (row, col) has its centre at
    ``x = (col + 0.5) * cell_m``, ``y = (height - row - 0.5) * cell_m`` (north up, the
    map's first row at the top), the frame ROS, VDA 5050 and PyBullet poses use.

    Args:
        width: grid columns.
        height: grid rows.
        cell_m: cell side (m).
    """

    width: int
    height: int
    cell_m: float

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"a frame needs at least 1x1 cells, got {self.width}x{self.height}")
        if not self.cell_m > 0:
            raise ValueError(f"cell_m must be > 0 m, got {self.cell_m}")

    def xy(self, cell: int) -> tuple[float, float]:
        """The centre (m) of ``cell``."""
        if not 0 <= cell < self.width * self.height:
            raise ValueError(f"cell {cell} is outside the {self.height}x{self.width} grid")
        r, c = divmod(int(cell), self.width)
        return ((c + 0.5) * self.cell_m, (self.height - r - 0.5) * self.cell_m)

    def cell(self, x: float, y: float) -> int:
        """The cell containing the point (x, y) (m).

        Raises:
            ValueError: the point is off the grid (the message gives it and the bounds).
        """
        c = int(np.floor(x / self.cell_m))
        r = self.height - 1 - int(np.floor(y / self.cell_m))
        if not (0 <= r < self.height and 0 <= c < self.width):
            raise ValueError(
                f"point ({x:.3f}, {y:.3f}) m is off the floor "
                f"(0..{self.width * self.cell_m:g} x 0..{self.height * self.cell_m:g} m)"
            )
        return r * self.width + c

    def off_centre(self, cell: int, x: float, y: float) -> float:
        """Distance (m) of (x, y) from the centre of ``cell``."""
        cx, cy = self.xy(cell)
        return float(np.hypot(x - cx, y - cy))


@dataclass(frozen=True)
class FleetSetup:
    """Everything a driver factory gets.

    Args:
        site: the site (grid, storage, stations, chargers).
        cell_m: grid cell size (m).
        step_s: time (s) of one move at speed factor 1.
        names: the robots' ids (``robot:0``, ...), index order.
        starts: each robot's start cell.
        speed: each robot's speed factor (> 0).
        delays: random execution delays (the grid floor and simulated worlds apply them).
        rng: the run's keyed random streams (:meth:`logitwin.actors.System.rng`).
        options: backend options (``endpoint``, ``broker``, ...), as strings.
    """

    site: Site
    cell_m: float
    step_s: float
    names: tuple[str, ...]
    starts: tuple[int, ...]
    speed: tuple[float, ...] = ()
    delays: DelayModel = field(default_factory=DelayModel)
    rng: Callable[[str], np.random.Generator] | None = None
    options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.names)
        if len(self.starts) != n:
            raise ValueError(f"{n} robot names but {len(self.starts)} start cells")
        if len(set(self.starts)) != n:
            raise ValueError("two robots start on the same cell")
        if not self.speed:
            object.__setattr__(self, "speed", (1.0,) * n)
        if len(self.speed) != n:
            raise ValueError(f"{n} robots but {len(self.speed)} speed factors")
        grid = self.site.grid
        for name, c in zip(self.names, self.starts, strict=True):
            if not (0 <= c < grid.size and grid.is_free(c)):
                raise ValueError(f"{name} starts on cell {c}, which is not a free cell")
        if self.delays.probability > 0 and self.rng is None:
            raise ValueError("delays need the run's random streams (rng)")

    @property
    def n(self) -> int:
        """Robots in the fleet."""
        return len(self.names)

    @property
    def frame(self) -> CellFrame:
        """Cells in metres."""
        g = self.site.grid
        return CellFrame(g.width, g.height, self.cell_m)

    def option(self, key: str, default: str) -> str:
        """A backend option, or ``default``."""
        return str(self.options.get(key, default))


def fleet_starts(site: Site, n: int) -> list[int]:
    """Where ``n`` robots start: spread evenly over the aisle cells (not storage,
    stations, queues, chargers or docks). The twin and every stand-in robot process use
    it, so both agree on where the fleet is at the start of a shift.

    Raises:
        ValueError: the robots do not fit (the message says how many aisle cells there are).
    """
    special = set(site.storage) | set(site.chargers) | {d.cell for d in site.docks}
    for st in site.stations:
        special.add(st.pick_cell)
        special.update(st.queue)
    aisles = [int(c) for c in site.grid.free_cells if int(c) not in special]
    if n > len(aisles):
        raise ValueError(
            f"{n} robots do not fit in the {len(aisles)} aisle cells of the layout; "
            "use fewer robots or a larger layout"
        )
    starts = [aisles[int(i)] for i in np.linspace(0, len(aisles) - 1, n).round().astype(int)]
    if len(set(starts)) != n:
        raise ValueError(f"could not place {n} robots on distinct cells")
    return starts
