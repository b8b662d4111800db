from logitwin.mapf.actions import apply_action, check_step
from logitwin.site import Grid

GRID = Grid.from_strings(["...", ".@.", "..."])


def test_rotation_and_forward():
    c = GRID.cell(0, 0)
    assert apply_action(GRID, c, 0, "F") == (GRID.cell(0, 1), 0)  # east
    assert apply_action(GRID, c, 0, "R") == (c, 1)  # clockwise: east → south
    assert apply_action(GRID, c, 0, "C") == (c, 3)  # counter-clockwise: east → north
    assert apply_action(GRID, c, 3, "R") == (c, 0)
    assert apply_action(GRID, c, 1, "F") == (GRID.cell(1, 0), 1)
    assert apply_action(GRID, c, 2, "F") == (-1, 2)  # off the map
    assert apply_action(GRID, c, 0, "W") == (c, 0)


def test_check_step_finds_every_kind_of_error():
    a, b = GRID.cell(0, 0), GRID.cell(0, 2)
    # both move into (0, 1): vertex conflict
    _, _, errors = check_step(GRID, [a, b], [0, 2], ["F", "F"], 5)
    assert [e.description for e in errors] == ["vertex conflict"]
    assert errors[0].timestep == 5
    # neighbours facing each other swap: edge conflict
    a2 = GRID.cell(0, 1)
    _, _, errors = check_step(GRID, [a, a2], [0, 2], ["F", "F"], 0)
    assert [e.description for e in errors] == ["edge conflict"]
    # into the obstacle, and off the map
    _, _, errors = check_step(GRID, [GRID.cell(0, 1), a], [1, 2], ["F", "F"], 0)
    assert [e.description for e in errors] == ["unallowed move", "unallowed move"]
    # wrong number of actions, unknown action
    _, _, errors = check_step(GRID, [a], [0], [], 0)
    assert "expected 1 actions" in errors[0].description
    _, _, errors = check_step(GRID, [a], [0], ["X"], 0)
    assert "unknown action" in errors[0].description
    # a valid step: follow-the-leader into a cell being vacated is fine
    cells, oris, errors = check_step(GRID, [a, a2], [0, 0], ["F", "F"], 0)
    assert errors == [] and cells == [a2, GRID.cell(0, 2)] and oris == [0, 0]
