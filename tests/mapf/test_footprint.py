"""The 2026 action model on hand-made maps: actions take K ticks, footprints collide."""

from logitwin.mapf.footprint import ActionModel, FleetState, collide
from logitwin.site import Grid

F, R, C, W = 0, 1, 2, 3


def _tick(model, state, actions, t=0):
    return model.step(state, actions, t)


def test_forward_and_turns_take_k_ticks_and_a_wait_pauses():
    model = ActionModel(Grid.from_strings(["...."]), k=3, size=1.0)
    s = FleetState.start([0])
    s, done, err = _tick(model, s, [F])
    assert (s.loc, s.count, s.cur) == ([0], [1], [F]) and done == [F] and err == []
    s, done, _ = _tick(model, s, [W])  # paused mid-move: the counter is frozen
    assert (s.loc, s.count) == ([0], [1]) and done == [W]
    s, _, _ = _tick(model, s, [R])  # another request continues the move in progress
    assert (s.loc, s.count) == ([0], [2])
    s, _, _ = _tick(model, s, [F])
    assert (s.loc, s.count, s.cur) == ([1], [0], [4])  # the cell changes at the K-th tick
    for _ in range(3):
        s, _, _ = _tick(model, s, [R])
    assert (s.loc, s.ori) == ([1], [1])  # a quarter turn clockwise: facing south


def test_a_straight_train_may_move_in_step_but_not_into_a_paused_leader():
    model = ActionModel(Grid.from_strings(["....."]), k=3, size=1.0)
    s = FleetState.start([1, 0])  # robot 0 leads, robot 1 follows, both face east
    _, done, err = _tick(model, s, [F, F])
    assert done == [F, F] and err == []  # in step: the squares only touch
    _, done, err = _tick(model, s, [W, F])
    assert done == [W, W] and len(err) == 1 and err[0][:3] == (1, 0, 1)
    assert "waits instead of F" in err[0][3]


def test_head_on_robots_and_a_cycle_wait_and_obstacles_refuse():
    model = ActionModel(Grid.from_strings(["..@.", "...."]), k=3, size=1.0)
    s = FleetState.start([0, 1], [0, 2])  # facing each other
    _, done, err = _tick(model, s, [F, F])
    assert done == [W, W] and {e[0] for e in err} == {0, 1}
    s = FleetState.start([1], [0])  # cell 2 is blocked
    _, done, err = _tick(model, s, [F])
    assert done == [W] and "invalid" in err[0][3]
    s = FleetState.start([3], [0])  # east edge of the map
    _, done, err = _tick(model, s, [F])
    assert done == [W] and err


def test_following_round_a_corner_needs_the_leader_gone():
    grid = Grid.from_strings(["...", "...", "..."])
    model = ActionModel(grid, k=3, size=1.0)
    # Leader at (1,1) drives south, follower at (1,0) drives east into (1,1).
    s = FleetState.start([4, 3], [1, 0])
    _, done, err = _tick(model, s, [F, F])
    assert done == [F, W] and err[0][0] == 1
    # Once the leader's move is complete (it stands in (2,1)), the follower may go.
    s = FleetState.start([7, 3], [1, 0])
    _, done, err = _tick(model, s, [W, F])
    assert done == [W, F] and err == []


def test_swept_squares():
    third = 1 / 3
    assert not collide((0, 0, third, 0), (1, 0, 1 + third, 0), 1.0)  # train in step
    assert collide((0, 0, third, 0), (1, 0, 1, 0), 1.0)  # leader paused
    assert not collide((0, 0, third, 0), (1 + 2 * third, 0, 2, 0), 1.0)  # leader completes
    assert not collide((0, 0, 0, 0), (1, 1, 1, 1), 1.0)  # diagonal neighbours
    assert not collide((0, 0, third, 0), (1, 0, 1, 0), 0.5)  # small footprints pass
    assert collide((0, 0, third, 0), (1, 0, 1, 0), 0.8)
