"""Tests for logitwin.control.validator."""

from __future__ import annotations

import numpy as np
import pytest

from logitwin.control.validator import Conflict, find_conflicts
from logitwin.site.grid import Grid

# 3 x 3 with the centre blocked:   cells 0 1 2 / 3 [4] 5 / 6 7 8
RING = Grid.from_strings(["...", ".@.", "..."])
LINE = Grid.from_strings(["...."])  # cells 0 1 2 3


def test_clean_paths_give_no_conflicts() -> None:
    # Two agents circle the ring one cell apart, in the same direction.
    a = [0, 1, 2, 5, 8, 7, 6, 3, 0]
    b = [3, 0, 1, 2, 5, 8, 7, 6, 3]
    assert find_conflicts(RING, [a, b]) == []
    assert find_conflicts(RING, np.array([a, b]).T) == []


def test_vertex_conflict() -> None:
    conflicts = find_conflicts(LINE, [[0, 1, 2], [2, 1, 0], [3, 3, 3]])
    assert conflicts == [Conflict("vertex", 1, (0, 1), (1,))]
    assert str(conflicts[0]) == "vertex conflict at t=1: agents 0, 1 on cell 1"


def test_three_agents_in_one_cell_is_one_conflict() -> None:
    got = find_conflicts(LINE, [[0, 1], [2, 1], [1, 1]])
    assert got == [Conflict("vertex", 1, (0, 1, 2), (1,))]


def test_swap_conflict() -> None:
    conflicts = find_conflicts(LINE, [[1, 2], [2, 1], [0, 0]])
    assert conflicts == [Conflict("swap", 0, (0, 1), (1, 2))]
    assert "exchange cells 1, 2" in str(conflicts[0])


def test_following_is_not_a_swap() -> None:
    assert find_conflicts(LINE, [[1, 2, 3], [0, 1, 2]]) == []


def test_jump_conflict() -> None:
    # 0 -> 2 skips a cell; 2 -> 3 on the ring wraps rows (cells 2 and 3 are not adjacent).
    assert find_conflicts(LINE, [[0, 2]]) == [Conflict("jump", 0, (0,), (0, 2))]
    assert find_conflicts(RING, [[1, 2, 3]]) == [Conflict("jump", 1, (0,), (2, 3))]
    assert "not adjacent" in str(find_conflicts(LINE, [[0, 2]])[0])


def test_obstacle_conflicts() -> None:
    got = find_conflicts(RING, [[1, 4, 1], [6, 9, -1]])
    assert got == [
        Conflict("obstacle", 1, (0,), (4,)),
        Conflict("obstacle", 1, (1,), (9,)),
        Conflict("obstacle", 2, (1,), (-1,)),
    ]
    assert "blocked or out-of-range cell 4" in str(got[0])


def test_out_of_range_cells_do_not_form_vertex_conflicts() -> None:
    got = find_conflicts(LINE, [[-1], [-1]])
    assert [c.kind for c in got] == ["obstacle", "obstacle"]


def test_sorted_by_step_then_kind_and_max_conflicts() -> None:
    paths = [[0, 2, 2], [2, 2, 3]]  # jump at t=0, vertex at t=1
    got = find_conflicts(LINE, paths)
    assert [(c.step, c.kind) for c in got] == [(0, "jump"), (1, "vertex")]
    assert find_conflicts(LINE, paths, max_conflicts=1) == got[:1]
    with pytest.raises(ValueError, match="max_conflicts"):
        find_conflicts(LINE, paths, max_conflicts=0)


def test_conflicts_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import logitwin.control.validator as validator

    monkeypatch.setattr(validator, "_CHUNK_CELLS", 2)  # one time step per chunk
    paths = [[0, 1, 2, 2], [3, 2, 1, 2]]  # swap between t=1 and t=2, vertex at t=3
    got = find_conflicts(LINE, paths)
    assert got == [Conflict("swap", 1, (0, 1), (1, 2)), Conflict("vertex", 3, (0, 1), (2,))]


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="same length"):
        find_conflicts(LINE, [[0, 1], [2]])
    with pytest.raises(ValueError, match="2-D"):
        find_conflicts(LINE, np.array([0, 1]))
    with pytest.raises(ValueError, match="integer"):
        find_conflicts(LINE, np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="integer"):
        find_conflicts(LINE, [[0, 1.5]])  # type: ignore[list-item]
    assert find_conflicts(LINE, np.zeros((0, 3), dtype=np.int64)) == []
    assert find_conflicts(LINE, []) == []


def test_large_clean_run_is_fast_enough() -> None:
    # 50 agents on a 60 x 40 open grid, each oscillating in its own row: no conflicts.
    grid = Grid.from_strings(["." * 60] * 50)
    base = np.array([grid.cell(r, 0) for r in range(50)])
    paths = base[None, :] + (np.arange(28_801) % 2)[:, None]
    assert find_conflicts(grid, paths) == []
