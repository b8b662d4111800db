"""The compiled staging executor's own bookkeeping: rows that grow past their first
width, and plans or starts it must refuse."""

from __future__ import annotations

import pytest

from logitwin.mapf.footprint import ActionModel, FleetState
from logitwin.mapf.staging import StagingExecutor
from logitwin.site import Grid

F, R, C, W = 0, 1, 2, 3


def test_long_lines_and_long_plans_grow_their_rows_and_run_in_order():
    """Twelve robots in a row drive 20 cells east: cell 12's line holds all twelve (its
    rows start 8 wide) and each robot stages 20 moves (16 wide); the train runs to its end
    with no refused request, in line order."""
    grid = Grid.from_strings(["." * 40])
    starts = list(range(12))
    ex = StagingExecutor(starts, grid.width, grid.height, k=3)
    ex.stage([[F] * 20 for _ in starts])
    assert ex.line(12) == list(range(11, -1, -1))
    assert ex.backlog(0) == 20 and ex.cells(0) == list(range(1, 21))
    assert ex.pred_loc == [i + 20 for i in starts]
    state = FleetState.start(starts)
    model = ActionModel(grid, 3, 1.0)
    entered_12 = []
    for t in range(200):
        after, _, errors = model.step(state, ex.commands(state), t)
        assert errors == [], (t, errors)
        ex.executed(state, after)
        entered_12 += [i for i in starts if after.loc[i] == 12 != state.loc[i]]
        state = after
    assert state.loc == [i + 20 for i in starts]
    assert entered_12 == list(range(11, -1, -1))
    assert all(ex.backlog(i) == 0 and ex.line(i + 20) == [i] for i in starts)


def test_a_dry_run_keeps_what_runs_in_its_window():
    """Cut to two actions each: robot 0 turns round twice before it leaves cell 1, so
    robot 1, behind it, keeps no move; two robots driving apart keep two moves each, the
    lines rebuilt from where they stand, and the predicted states are where the dry run
    ends."""
    grid = Grid.from_strings(["." * 8])
    state = FleetState.start([1, 0])
    ex = StagingExecutor([1, 0], grid.width, grid.height, k=3)
    ex.stage([[R, C, F, F], [F, F, F]], state, 2)
    assert ex.backlog(0) == 2 and ex.backlog(1) == 0
    assert ex.pred_loc == [1, 0] and ex.pred_ori == [0, 0]
    ex = StagingExecutor([2, 0], grid.width, grid.height, k=3)
    ex.stage([[F, F, F], [F, F, F]], state=FleetState.start([2, 0]), window=2)
    assert ex.pred_loc == [4, 2] and ex.backlog(0) == ex.backlog(1) == 2
    assert ex.line(2) == [0, 1] and ex.line(1) == [1] and ex.line(4) == [0]


def test_plans_and_starts_off_the_map_are_refused():
    grid = Grid.from_strings(["...", "..."])
    with pytest.raises(ValueError, match=r"start cells \[6\] are off the 3x2 map"):
        StagingExecutor([0, 6], grid.width, grid.height)
    ex = StagingExecutor([0, 2], grid.width, grid.height)
    with pytest.raises(ValueError, match="robot 1's plan drives off the map at step 0"):
        ex.stage([[F], [F]])  # both face east; robot 1 stands on the east edge
    ex = StagingExecutor([0], grid.width, grid.height)
    with pytest.raises(ValueError, match="a plan for 2 robots, the executor has 1"):
        ex.stage([[F], [F]])
