"""A deterministic goods-to-person (Kiva-style) warehouse layout generator.

Layout, west to east and north to south (``L`` = ``queue_length``)::

    row 0:   wall over the station zone | charger lane along the north    | wall
    rows 1…: station zone (L + 1 cols)  | aisle ring around storage     | dock lane
                                          blocks, ``aisle_width`` apart

* Station zone: each station is two rows against the west wall. On the first row the pick
  cell is at col 0 and the queue runs east (``queue[0]`` at col 1 … ``queue[-1]`` at col L,
  where robots join from the storage aisle); the second row is the exit lane back east.
  Zone cells outside the stations are walls, so each station is a separate bay.
* Storage: ``blocks_x`` x ``blocks_y`` blocks of ``block_width`` x ``block_depth`` storage
  cells, surrounded by aisles of ``aisle_width`` cells (a ring around the whole area too).
  Storage cells are ordinary free cells where a pod rests; robots may drive through them.
* Chargers: spread along an open lane north of the aisle ring (row 0). A lane, not
  pockets: a robot parked on a charger can always step aside, whereas a one-cell pocket
  is a dead end where PIBT cannot push its occupant out (it may not swap with the robot
  coming in).
* Docks: spread along an open lane east of the aisle ring, for the same reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from logitwin.errors import SiteError
from logitwin.site.distance import UNREACHABLE, bfs_distances
from logitwin.site.grid import Grid
from logitwin.site.site import DockSpec, Site, StationSpec

__all__ = ["LayoutParams", "generate_layout"]

_RANGES: dict[str, tuple[int, int]] = {
    "blocks_x": (1, 100),
    "blocks_y": (1, 100),
    "block_width": (1, 50),
    "block_depth": (1, 50),
    "aisle_width": (1, 10),
    "stations": (1, 100),
    "queue_length": (1, 50),
}


@dataclass(frozen=True)
class LayoutParams:
    """Parameters of :func:`generate_layout`; all sizes in cells.

    The defaults give a 55 x 20 site with 480 storage cells, sized for about 50 robots.

    Attributes:
        blocks_x: Storage blocks per row, west to east, in [1, 100].
        blocks_y: Storage blocks per column, north to south, in [1, 100].
        block_width: Block width (cells, east-west), in [1, 50].
        block_depth: Block depth (cells, north-south), in [1, 50].
        aisle_width: Width of the aisles between blocks and of the ring around them, in [1, 10].
        stations: Pick stations on the west wall, in [1, 100].
        queue_length: Queue cells in front of each pick cell, in [1, 50].
        chargers: Charger cells on the north wall, in [0, storage-area width].
        docks: Outbound dock cells on the east wall, in [0, storage-area height].
        name: Name of the generated site.

    Raises:
        ValueError: If a field is out of range; the message names the field and range.
    """

    blocks_x: int = 8
    blocks_y: int = 6
    block_width: int = 5
    block_depth: int = 2
    aisle_width: int = 1
    stations: int = 6
    queue_length: int = 4
    chargers: int = 10
    docks: int = 3
    name: str = "g2p-warehouse"

    def __post_init__(self) -> None:
        for field_name, (lo, hi) in _RANGES.items():
            self._check(field_name, lo, hi)
        self._check("chargers", 0, self.storage_area_width)
        self._check("docks", 0, self.storage_area_height)
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")

    def _check(self, field_name: str, lo: int, hi: int) -> None:
        value = getattr(self, field_name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{field_name} must be an integer in [{lo}, {hi}], got {value!r}")
        if not lo <= value <= hi:
            raise ValueError(f"{field_name} must be in [{lo}, {hi}], got {value}")

    @property
    def storage_area_width(self) -> int:
        """Width (cells) of the storage blocks plus their aisle ring."""
        return self.blocks_x * self.block_width + (self.blocks_x + 1) * self.aisle_width

    @property
    def storage_area_height(self) -> int:
        """Height (cells) of the storage blocks plus their aisle ring."""
        return self.blocks_y * self.block_depth + (self.blocks_y + 1) * self.aisle_width

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict; ``LayoutParams(**params.to_dict()) == params``."""
        return asdict(self)


def _spread(count: int, length: int) -> list[int]:
    """``count`` evenly spaced offsets in ``range(length)`` (count <= length)."""
    if count == 0:
        return []
    step = length // count
    return [i * step + step // 2 for i in range(count)]


def generate_layout(params: LayoutParams | None = None) -> Site:
    """Generates a goods-to-person warehouse site (see the module docstring for the plan).

    Args:
        params: Layout parameters; defaults to ``LayoutParams()``.

    Returns:
        The site: storage, stations (ids ``station-1``…), docks (``dock-1``…) and chargers.

    Raises:
        SiteError: If the free cells do not form one connected component (cannot happen for
            valid parameters; it guards the generator itself).
    """
    p = LayoutParams() if params is None else params
    a, qlen = p.aisle_width, p.queue_length
    area_w, area_h = p.storage_area_width, p.storage_area_height
    x0, y0 = qlen + 1, 1  # top-left corner of the aisle ring
    zone_h = max(area_h, 3 * p.stations - 1)
    width, height = x0 + area_w + 1, y0 + zone_h
    free = np.zeros((height, width), dtype=bool)
    free[y0:, x0 : x0 + area_w] = True

    def cell(r: int, c: int) -> int:
        return r * width + c

    storage: list[int] = []
    for by in range(p.blocks_y):
        top = y0 + a + by * (p.block_depth + a)
        for bx in range(p.blocks_x):
            left = x0 + a + bx * (p.block_width + a)
            for r in range(top, top + p.block_depth):
                storage.extend(cell(r, c) for c in range(left, left + p.block_width))

    pitch = max(3, (zone_h + 1) // p.stations)
    first = y0 + (zone_h - (pitch * (p.stations - 1) + 2)) // 2
    stations: list[StationSpec] = []
    for i in range(p.stations):
        row = first + i * pitch
        free[row : row + 2, 0:x0] = True  # queue lane and exit lane
        queue = tuple(cell(row, c) for c in range(1, qlen + 1))
        stations.append(StationSpec(id=f"station-{i + 1}", pick_cell=cell(row, 0), queue=queue))

    chargers = [cell(0, x0 + off) for off in _spread(p.chargers, area_w)]
    docks = [
        DockSpec(id=f"dock-{i + 1}", cell=cell(y0 + off, width - 1))
        for i, off in enumerate(_spread(p.docks, area_h))
    ]
    free[0, x0 : x0 + area_w] = True  # charger lane
    free[y0:, width - 1] = True  # dock lane

    grid = Grid(width=width, height=height, free=free, name=p.name)
    dist = bfs_distances(grid, int(grid.free_cells[0]))
    cut_off = grid.free_cells[dist[grid.free_cells] >= UNREACHABLE]
    if cut_off.size:
        raise SiteError(
            f"layout {p.name!r}: {grid.describe(int(cut_off[0]))} is not connected to "
            f"{grid.describe(int(grid.free_cells[0]))} ({cut_off.size} cells cut off); "
            f"parameters {p.to_dict()}"
        )
    return Site(
        name=p.name,
        grid=grid,
        storage=tuple(storage),
        stations=tuple(stations),
        docks=tuple(docks),
        chargers=tuple(chargers),
    )
