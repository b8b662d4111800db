"""The temporal plan graph executor: robots pass every cell in the planned order, so
executed moves are collision-free and deadlock-free whatever the delays; a naive
"execute the plan on the clock" loop is not."""

import heapq

import numpy as np
import pytest

from logitwin.control.executor import TemporalPlanGraph, break_rotations
from logitwin.control.move_validator import ExecutedMove, find_move_conflicts
from logitwin.control.pibt import PIBT
from logitwin.robots.floor import DelayModel, GridFloor
from logitwin.site import DistanceOracle, Grid
from tests.control.fleet import random_fleet


class Clock:
    """A minimal event loop for a driver: the time now and the wake-ups asked for."""

    def __init__(self) -> None:
        self.now = 0.0
        self.wakes: list[float] = []

    def wake(self, t: float) -> None:
        heapq.heappush(self.wakes, t)

    def next(self) -> bool:
        if not self.wakes:
            return False
        self.now = heapq.heappop(self.wakes)
        while self.wakes and self.wakes[0] == self.now:
            heapq.heappop(self.wakes)
        return True


def _floor(grid, cells, delays=None, speed=None, seed=0):
    clock = Clock()
    rngs = [np.random.default_rng([seed, i]) for i in range(len(cells))]
    floor = GridFloor(grid.neighbors, cells, 1.0, speed, delays, rngs)
    floor.bind(lambda: clock.now, clock.wake)
    return floor, clock


def _execute(grid, starts, plans, delays, speed=None, seed=0):
    """Stage ``plans`` (per robot, cells per step) in one graph and run them on a floor
    with delays to the end; return the executed moves, the floor and the graph."""
    floor, clock = _floor(grid, starts, delays, speed, seed)
    tpg = TemporalPlanGraph(starts)
    tpg.stage(dict(enumerate(plans)))
    moves = []

    def release():
        for i in range(len(starts)):
            c = tpg.ready(i)
            if c is not None:
                tpg.start(i)
                floor.send_path(i, [c])

    release()
    while clock.next():
        for r in floor.progress():
            tpg.done(r.robot)
            moves.append(ExecutedMove(r.robot, r.cell, r.started, clock.now))
        release()
    return moves, floor, tpg


def _pibt_plans(grid, starts, goals, steps, seed=0):
    """A conflict-free, rotation-free plan of ``steps`` steps for every robot."""
    oracle = DistanceOracle(grid)
    planner = PIBT(grid, len(starts), np.random.default_rng(seed), rotation=False)
    dists = [oracle.dist_list(g) for g in goals]
    pos = list(starts)
    plans = [[] for _ in starts]
    for _ in range(steps):
        nxt = break_rotations(pos, planner.plan_cells(pos, dists))
        for i, c in enumerate(nxt):
            plans[i].append(c)
        pos = nxt
    return plans


def test_break_rotations_stops_cycles_and_what_follows_them_only():
    # A 2x2 block: robots 0..3 rotate clockwise; robot 4 follows robot 0 into its cell;
    # robots 5, 6 form an open chain elsewhere and keep moving.
    pos = [0, 1, 11, 10, 20, 5, 6]
    nxt = [1, 11, 10, 0, 0, 6, 7]
    assert break_rotations(pos, nxt) == [0, 1, 11, 10, 20, 6, 7]
    assert break_rotations([0, 1], [1, 2]) == [1, 2]  # a chain is not a rotation
    with pytest.raises(ValueError, match="expected 2 next cells"):
        break_rotations([0, 1], [1])


def test_a_late_leader_collides_a_naive_loop_but_not_the_plan_graph():
    """A corridor: robot 1 drives ahead of robot 0, one cell apart, both planned at one
    cell a second. The leader is slow (4 s a cell): on the clock, the follower drives
    into the cell the leader has not left yet."""
    grid = Grid.from_strings(["......"])
    starts = [0, 1]
    plans = [[0, 1, 2, 3], [2, 3, 4, 5]]
    speed = [1.0, 0.25]

    # Naive: each planned move is sent at its planned step, whatever has happened.
    floor, clock = _floor(grid, starts, speed=speed)
    for step in range(4):
        clock.now = float(step)
        floor.progress()
        for i, plan in enumerate(plans):
            before = plan[step - 1] if step else starts[i]
            if plan[step] != before:
                floor.send_path(i, [plan[step]])
    assert floor.contacts[0] == (1.0, 0, 1)

    # The plan graph: the follower enters each cell once the leader has left it.
    moves, floor, tpg = _execute(grid, starts, plans, None, speed)
    assert floor.contacts == []
    assert find_move_conflicts(grid, starts, moves) == []
    assert [tpg.committed(i) for i in (0, 1)] == [3, 5]
    follower = sorted(m.start for m in moves if m.robot == 0)
    leader = sorted(m.end for m in moves if m.robot == 1)
    assert follower == leader[:3] == [4.0, 8.0, 12.0]


def test_random_plans_under_heavy_delays_are_collision_and_deadlock_free():
    rng = np.random.default_rng(17)
    heavy = DelayModel(probability=0.5, min_s=0.5, max_s=6.0, duration="gaussian")
    for trial in range(6):
        grid, _, starts, _, goals = random_fleet(rng, 40)
        plans = _pibt_plans(grid, starts, goals, 30, seed=trial)
        speed = rng.uniform(0.5, 1.5, len(starts)).tolist()
        moves, floor, tpg = _execute(grid, starts, plans, heavy, speed, seed=trial)
        assert floor.delayed_moves > 0
        assert floor.contacts == []
        assert find_move_conflicts(grid, starts, moves) == [], trial
        # Deadlock-free: every robot got to the end of its plan.
        assert [tpg.committed(i) for i in range(len(starts))] == [p[-1] for p in plans]
        assert all(not tpg.planned(i) for i in range(len(starts)))


def test_restaging_mid_execution_keeps_robots_safe():
    """Replan every simulated second from where robots are (moving robots pinned), as
    the traffic controller does, with delays and mixed speeds."""
    rng = np.random.default_rng(5)
    grid, _, starts, _, goals = random_fleet(rng, 50)
    oracle = DistanceOracle(grid)
    dists = [oracle.dist_list(g) for g in goals]
    planner = PIBT(grid, len(starts), np.random.default_rng(1), rotation=False)
    delays = DelayModel(probability=0.3, min_s=0.2, max_s=4.0)
    floor, clock = _floor(grid, starts, delays, rng.uniform(0.6, 1.4, 50).tolist(), seed=3)
    tpg = TemporalPlanGraph(starts)
    moves = []
    for tick in range(120):
        clock.wake(float(tick))
    while clock.next():
        for r in floor.progress():
            tpg.done(r.robot)
            moves.append(ExecutedMove(r.robot, r.cell, r.started, clock.now))
        if clock.now == int(clock.now):  # a planning tick
            pos = [tpg.committed(i) for i in range(50)]
            pinned = [tpg.moving(i) for i in range(50)]
            nxt = break_rotations(pos, planner.plan_cells(pos, dists, pinned))
            tpg.stage({i: [c] for i, (p, c) in enumerate(zip(pos, nxt, strict=True)) if c != p})
        for i in range(50):
            c = tpg.ready(i)
            if c is not None:
                tpg.start(i)
                floor.send_path(i, [c])
    assert len(moves) > 500 and floor.delayed_moves > 50
    assert floor.contacts == []
    assert find_move_conflicts(grid, starts, moves) == []
    at_goal = sum(tpg.committed(i) == g for i, g in enumerate(goals))
    assert at_goal >= 40


def test_the_graph_refuses_what_breaks_its_contract():
    tpg = TemporalPlanGraph([0, 1])
    with pytest.raises(ValueError, match="plan for robot 2; there are 2 robots"):
        tpg.stage({2: [1]})
    tpg.stage({1: [2]})
    with pytest.raises(ValueError, match="robot 0 may not start"):
        tpg.start(0)
    with pytest.raises(ValueError, match="robot 1 is not moving"):
        tpg.done(1)
    with pytest.raises(ValueError, match="two robots start on the same cell"):
        TemporalPlanGraph([3, 3])


def test_the_move_validator_catches_what_the_executor_prevents():
    grid = Grid.from_strings(["....", ".@.."])
    starts = [0, 2]
    follow = [
        ExecutedMove(1, 3, 0.0, 1.0),
        ExecutedMove(0, 1, 0.5, 1.5),
        ExecutedMove(0, 2, 1.5, 2),
    ]
    assert [c.kind for c in find_move_conflicts(grid, starts, follow)] == []
    tailgate = [
        ExecutedMove(1, 3, 0.0, 1.0),
        ExecutedMove(0, 1, 0.0, 1.0),
        ExecutedMove(0, 2, 0.5, 1.5),
    ]
    kinds = [c.kind for c in find_move_conflicts(grid, starts, tailgate)]
    assert kinds == ["overlap", "occupied"]
    swap = [
        ExecutedMove(0, 1, 0.0, 1.0),
        ExecutedMove(1, 1, 0.0, 1.0),
        ExecutedMove(1, 0, 1.0, 2.0),
    ]
    assert "occupied" in {c.kind for c in find_move_conflicts(grid, [0, 2], swap)}
    bad = [ExecutedMove(0, 5, 0.0, 1.0), ExecutedMove(1, 0, 0.0, 1.0)]
    assert {c.kind for c in find_move_conflicts(grid, [0, 3], bad)} >= {"obstacle", "jump"}
