"""A logistics site: a grid plus the cells that have a role (storage, stations, docks, ...)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np

from logitwin.errors import SiteError
from logitwin.site.grid import Grid

__all__ = ["DockSpec", "Site", "StationSpec"]


def _cells(values: Iterable[int], what: str) -> tuple[int, ...]:
    out: list[int] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise SiteError(f"{what}: cell ids must be integers, got {v!r}")
        out.append(int(v))
    return tuple(out)


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise SiteError(f"{what}: id must be a non-empty string, got {value!r}")


@dataclass(frozen=True)
class StationSpec:
    """A pick (goods-to-person) station.

    Attributes:
        id: Unique station id, e.g. ``"station-1"``.
        pick_cell: Cell where a robot stands while the operator picks from its pod.
        queue: Cells a robot waits in before the pick cell, in order: ``queue[0]`` is the
            cell right before (4-adjacent to) ``pick_cell``, ``queue[i + 1]`` is 4-adjacent
            to ``queue[i]``, and robots join at ``queue[-1]``. May be empty.
    """

    id: str
    pick_cell: int
    queue: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.id, "station")
        object.__setattr__(self, "pick_cell", _cells([self.pick_cell], f"station {self.id}")[0])
        object.__setattr__(self, "queue", _cells(self.queue, f"station {self.id} queue"))

    @property
    def cells(self) -> tuple[int, ...]:
        """The pick cell followed by the queue cells."""
        return (self.pick_cell, *self.queue)


@dataclass(frozen=True)
class DockSpec:
    """An outbound dock where finished orders are staged.

    Attributes:
        id: Unique dock id, e.g. ``"dock-1"``.
        cell: The dock's grid cell.
    """

    id: str
    cell: int

    def __post_init__(self) -> None:
        _check_id(self.id, "dock")
        object.__setattr__(self, "cell", _cells([self.cell], f"dock {self.id}")[0])


@dataclass(frozen=True, repr=False)
class Site:
    """Immutable description of a site: its grid and the cells with a role.

    Lists are accepted for the tuple fields and converted. Roles among storage, station
    (pick and queue), dock and charger cells are exclusive; emitters and service cells
    (LoRR ``E``/``S`` tiles) are checked for being free but may overlap other roles.

    Attributes:
        name: Site label.
        grid: The occupancy grid.
        storage: Cells where a storage pod rests (robots may drive through them).
        stations: Pick stations.
        docks: Outbound docks.
        chargers: Charger cells.
        emitters: LoRR emitter cells (``E`` tiles).
        service: LoRR service cells (``S`` tiles).

    Raises:
        SiteError: If a listed cell is out of range or blocked, a cell is listed twice or
            has two roles, an id repeats, or a station queue is not a 4-connected chain
            leading to the pick cell. The message names the role, id and cell (row, col).
    """

    name: str
    grid: Grid
    storage: tuple[int, ...] = ()
    stations: tuple[StationSpec, ...] = ()
    docks: tuple[DockSpec, ...] = ()
    chargers: tuple[int, ...] = ()
    emitters: tuple[int, ...] = ()
    service: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.grid, Grid):
            raise SiteError(f"site {self.name!r}: grid must be a Grid, got {type(self.grid)}")
        for role in ("storage", "chargers", "emitters", "service"):
            object.__setattr__(
                self, role, _cells(getattr(self, role), f"site {self.name!r} {role}")
            )
        object.__setattr__(self, "stations", tuple(self.stations))
        object.__setattr__(self, "docks", tuple(self.docks))
        self._check_ids()
        roles = self._exclusive_roles()
        for role, owner, cell in roles:
            self._check_free(role, owner, cell)
        for role in ("emitters", "service"):
            self._check_free_bulk(role, getattr(self, role))
        self._check_overlaps(roles)
        for station in self.stations:
            self._check_queue(station)

    def __repr__(self) -> str:
        return (
            f"Site(name={self.name!r}, grid={self.grid!r}, storage={len(self.storage)}, "
            f"stations={len(self.stations)}, docks={len(self.docks)}, "
            f"chargers={len(self.chargers)}, emitters={len(self.emitters)}, "
            f"service={len(self.service)})"
        )

    # -- validation ---------------------------------------------------------------------------

    def _where(self, role: str, owner: str, cell: int) -> str:
        who = f" {owner}" if owner else ""
        return f"site {self.name!r}: {role}{who} {self.grid.describe(cell)}"

    def _check_ids(self) -> None:
        seen: dict[str, str] = {}
        for kind, items in (("station", self.stations), ("dock", self.docks)):
            for item in items:
                expected = StationSpec if kind == "station" else DockSpec
                if not isinstance(item, expected):
                    raise SiteError(
                        f"site {self.name!r}: {kind}s must be {expected.__name__}, got {item!r}"
                    )
                if item.id in seen:
                    raise SiteError(
                        f"site {self.name!r}: id {item.id!r} is used by a {seen[item.id]} and a "
                        f"{kind}; give every station and dock a unique id"
                    )
                seen[item.id] = kind

    def _exclusive_roles(self) -> list[tuple[str, str, int]]:
        roles: list[tuple[str, str, int]] = [("storage", "", c) for c in self.storage]
        for st in self.stations:
            roles.append(("station pick cell", st.id, st.pick_cell))
            roles.extend(("station queue cell", st.id, c) for c in st.queue)
        roles.extend(("dock", d.id, d.cell) for d in self.docks)
        roles.extend(("charger", "", c) for c in self.chargers)
        return roles

    def _check_free(self, role: str, owner: str, cell: int) -> None:
        if not 0 <= cell < self.grid.size:
            raise SiteError(f"{self._where(role, owner, cell)} is outside the grid")
        if not self.grid.is_free(cell):
            raise SiteError(
                f"{self._where(role, owner, cell)} is blocked "
                f"(tile {self.grid.tile(cell)!r}); move it to a free cell"
            )

    def _check_free_bulk(self, role: str, cells: tuple[int, ...]) -> None:
        if not cells:
            return
        arr = np.asarray(cells, dtype=np.int64)
        ok = (arr >= 0) & (arr < self.grid.size)
        ok[ok] = self.grid.free.reshape(-1)[arr[ok]]
        if not ok.all():
            self._check_free(role, "", int(arr[np.argmin(ok)]))
        uniq, counts = np.unique(arr, return_counts=True)
        if (counts > 1).any():
            cell = int(uniq[np.argmax(counts > 1)])
            raise SiteError(f"{self._where(role, '', cell)} is listed twice; list it once")

    def _check_overlaps(self, roles: list[tuple[str, str, int]]) -> None:
        first: dict[int, tuple[str, str]] = {}
        for role, owner, cell in roles:
            if cell in first:
                prev_role, prev_owner = first[cell]
                prev = f"{prev_role} {prev_owner}".rstrip()
                raise SiteError(
                    f"{self._where(role, owner, cell)} is already used as {prev}; "
                    "a cell can have only one of the roles storage/station/dock/charger"
                )
            first[cell] = (role, owner)

    def _check_queue(self, station: StationSpec) -> None:
        chain = station.cells
        for prev, cell in pairwise(chain):
            if cell not in self.grid.neighbors[prev]:
                raise SiteError(
                    f"{self._where('station queue cell', station.id, cell)} is not 4-adjacent "
                    f"to {self.grid.describe(prev)}; queue[0] must touch the pick cell and "
                    "each queue cell the one before it"
                )

    # -- constructors and look-ups --------------------------------------------------------------

    @classmethod
    def from_grid(cls, grid: Grid, name: str | None = None) -> Site:
        """Builds a site whose emitters/service cells are the grid's ``E``/``S`` tiles.

        Args:
            grid: The grid, usually loaded from a LoRR or MovingAI ``.map``.
            name: Site name; defaults to ``grid.name``.

        Returns:
            A site with no storage, stations, docks or chargers.
        """
        flat = grid.tiles.reshape(-1)
        emitters = tuple(np.flatnonzero(flat == ord("E")).tolist())
        service = tuple(np.flatnonzero(flat == ord("S")).tolist())
        return cls(
            name=grid.name if name is None else name,
            grid=grid,
            emitters=emitters,
            service=service,
        )

    @cached_property
    def _by_id(self) -> dict[str, StationSpec | DockSpec]:
        out: dict[str, StationSpec | DockSpec] = {s.id: s for s in self.stations}
        out.update((d.id, d) for d in self.docks)
        return out

    def station(self, station_id: str) -> StationSpec:
        """Returns the station with this id.

        Raises:
            KeyError: If there is no such station; the message lists the known ids.
        """
        item = self._by_id.get(station_id)
        if not isinstance(item, StationSpec):
            known = [s.id for s in self.stations]
            raise KeyError(f"site {self.name!r} has no station {station_id!r}; known: {known}")
        return item

    def dock(self, dock_id: str) -> DockSpec:
        """Returns the dock with this id.

        Raises:
            KeyError: If there is no such dock; the message lists the known ids.
        """
        item = self._by_id.get(dock_id)
        if not isinstance(item, DockSpec):
            known = [d.id for d in self.docks]
            raise KeyError(f"site {self.name!r} has no dock {dock_id!r}; known: {known}")
        return item
