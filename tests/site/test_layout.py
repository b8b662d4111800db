"""Tests for logitwin.site.layout."""

from __future__ import annotations

import dataclasses

import pytest

from logitwin.site.distance import UNREACHABLE, bfs_distances
from logitwin.site.layout import LayoutParams, generate_layout
from logitwin.site.site import Site


def _connected(site: Site) -> bool:
    grid = site.grid
    dist = bfs_distances(grid, int(grid.free_cells[0]))
    return bool((dist[grid.free_cells] < UNREACHABLE).all())


def test_default_layout_counts_and_connectivity() -> None:
    site = generate_layout()
    grid = site.grid
    assert (grid.width, grid.height) == (55, 20)
    assert len(site.storage) == 480
    assert len(grid.free_cells) == 1059
    assert len(site.stations) == 6 and len(site.docks) == 3 and len(site.chargers) == 10
    assert all(len(st.queue) == 4 for st in site.stations)
    assert _connected(site)


def test_default_layout_geometry() -> None:
    site = generate_layout()
    grid = site.grid
    for st in site.stations:
        assert grid.rc(st.pick_cell)[1] == 0  # west wall
        assert st.queue[0] in grid.neighbors[st.pick_cell]
    assert all(grid.rc(c)[0] == 0 for c in site.chargers)  # north wall
    assert all(grid.rc(d.cell)[1] == grid.width - 1 for d in site.docks)  # east wall
    assert [s.id for s in site.stations] == [f"station-{i}" for i in range(1, 7)]
    assert site.dock("dock-2").id == "dock-2"


def test_layout_is_deterministic() -> None:
    assert generate_layout() == generate_layout()


@pytest.mark.parametrize(
    "overrides",
    [
        {"blocks_x": 1, "blocks_y": 1, "stations": 1, "chargers": 0, "docks": 0},
        {"stations": 20, "queue_length": 1},
        {"aisle_width": 3, "block_depth": 4, "block_width": 1},
        {"chargers": 49, "docks": 19},
    ],
)
def test_other_layouts_are_valid_and_connected(overrides: dict[str, int]) -> None:
    params = LayoutParams(**overrides)  # type: ignore[arg-type]
    site = generate_layout(params)
    p = params
    assert len(site.storage) == p.blocks_x * p.blocks_y * p.block_width * p.block_depth
    assert len(site.stations) == p.stations
    assert len(site.chargers) == p.chargers and len(site.docks) == p.docks
    assert _connected(site)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("blocks_x", 0, r"\[1, 100\]"),
        ("blocks_y", 101, r"\[1, 100\]"),
        ("block_width", -1, r"\[1, 50\]"),
        ("block_depth", 0, r"\[1, 50\]"),
        ("aisle_width", 0, r"\[1, 10\]"),
        ("stations", 0, r"\[1, 100\]"),
        ("queue_length", 0, r"\[1, 50\]"),
        ("chargers", 50, r"\[0, 49\]"),
        ("docks", -1, r"\[0, 19\]"),
        ("docks", 2.5, r"\[0, 19\]"),
        ("stations", True, r"\[1, 100\]"),
    ],
)
def test_invalid_params_name_field_and_range(field: str, value: object, allowed: str) -> None:
    with pytest.raises(ValueError, match=rf"{field} must be .*{allowed}"):
        LayoutParams(**{field: value})  # type: ignore[arg-type]


def test_params_round_trip_through_dict() -> None:
    params = LayoutParams(blocks_x=4, name="small")
    as_dict = params.to_dict()
    assert as_dict["blocks_x"] == 4 and as_dict["name"] == "small"
    assert LayoutParams(**as_dict) == params
    assert set(as_dict) == {f.name for f in dataclasses.fields(LayoutParams)}


def test_chargers_and_docks_are_not_dead_ends():
    # A one-cell pocket traps PIBT: its occupant cannot leave while a robot waits at the
    # mouth. Every charger and dock cell must have at least two free neighbours.
    site = generate_layout()
    grid = site.grid
    for cell in (*site.chargers, *(d.cell for d in site.docks)):
        assert len(grid.neighbors[cell]) >= 2, grid.describe(cell)
