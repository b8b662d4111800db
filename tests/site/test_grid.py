"""Tests for logitwin.site.grid."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from logitwin.errors import SiteError
from logitwin.site.grid import Grid

ROWS = [
    "..@.",
    ".E.S",
    "T..G",
]


@pytest.fixture
def grid() -> Grid:
    return Grid.from_strings(ROWS, name="tiny")


def test_shape_and_free_cells(grid: Grid) -> None:
    assert (grid.width, grid.height, grid.size, grid.name) == (4, 3, 12, "tiny")
    assert grid.free.shape == (3, 4)
    assert grid.free_cells.tolist() == [0, 1, 3, 4, 5, 6, 7, 9, 10, 11]
    assert grid.free_cells.dtype == np.int64
    assert grid.to_strings() == ROWS


def test_arrays_are_read_only(grid: Grid) -> None:
    for arr in (grid.free, grid.tiles, grid.free_cells, grid.neighbor_table):
        with pytest.raises(ValueError):
            arr.reshape(-1)[0] = 0
    with pytest.raises(AttributeError):
        grid.width = 5  # type: ignore[misc]


def test_cell_rc_roundtrip(grid: Grid) -> None:
    for cell in range(grid.size):
        assert grid.cell(*grid.rc(cell)) == cell
    assert grid.cell(2, 3) == 11
    assert grid.rc(6) == (1, 2)
    with pytest.raises(SiteError, match="outside"):
        grid.cell(3, 0)
    with pytest.raises(SiteError, match="outside"):
        grid.rc(12)


def test_is_free_and_tiles(grid: Grid) -> None:
    assert grid.is_free(0)
    assert not grid.is_free(2)  # '@'
    assert not grid.is_free(8)  # 'T'
    assert grid.is_free(5) and grid.tile(5) == "E"
    assert grid.is_free(7) and grid.tile(7) == "S"
    assert grid.is_free(11) and grid.tile(11) == "G"
    assert not grid.is_free(-1)
    assert not grid.is_free(12)


def test_neighbors_order_east_south_west_north(grid: Grid) -> None:
    nb = grid.neighbors
    assert len(nb) == grid.size
    assert nb[5] == (6, 9, 4, 1)
    assert nb[0] == (1, 4)
    assert nb[1] == (5, 0)  # east is '@'
    assert nb[2] == ()  # blocked cell
    assert nb[4] == (5, 0)  # south is 'T'
    assert all(type(v) is int for row in nb for v in row)
    assert grid.neighbors is nb  # cached


def test_neighbor_table_matches_neighbors(grid: Grid) -> None:
    for cell, row in enumerate(grid.neighbor_table.tolist()):
        assert tuple(v for v in row if v >= 0) == grid.neighbors[cell]


def test_equality_hash_pickle(grid: Grid) -> None:
    same = Grid.from_strings(ROWS, name="tiny")
    assert grid == same and hash(grid) == hash(same)
    assert grid != Grid.from_strings(ROWS, name="other")
    back = pickle.loads(pickle.dumps(grid))
    assert back == grid
    assert not back.free.flags.writeable


def test_constructor_from_free_array() -> None:
    free = np.array([[True, False], [True, True]])
    g = Grid(width=2, height=2, free=free)
    assert g.to_strings() == [".@", ".."]
    free[0, 1] = True  # the grid keeps its own copy
    assert not g.is_free(1)


def test_constructor_rejects_bad_shapes_and_tiles() -> None:
    with pytest.raises(SiteError, match="shape"):
        Grid(width=3, height=2, free=np.ones((2, 2), bool))
    with pytest.raises(SiteError, match=">= 1"):
        Grid(width=0, height=2, free=np.ones((2, 0), bool))
    tiles = np.array([[ord("."), ord("@")]], dtype=np.uint8)
    with pytest.raises(SiteError, match="disagree at row 0, col 1"):
        Grid(width=2, height=1, free=np.ones((1, 2), bool), tiles=tiles)


def test_from_strings_errors_name_row_col_char() -> None:
    with pytest.raises(SiteError, match="no rows"):
        Grid.from_strings([])
    with pytest.raises(SiteError, match="row 1: row has 2 characters but row 0 has 3"):
        Grid.from_strings(["...", ".."])
    with pytest.raises(SiteError, match=r"row 1, col 2: unknown map character 'x'"):
        Grid.from_strings(["...", "..x"])
    with pytest.raises(SiteError, match=r"row 0, col 1: unknown map character 'é'"):
        Grid.from_strings([".é."])
    with pytest.raises(SiteError, match="single string"):
        Grid.from_strings("...")
