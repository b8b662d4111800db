"""TwinModel: the twin as a Mesa model, its read-only agents, DataCollector and batch_run."""

from pathlib import Path

import mesa
import pytest

from logitwin.actors.order import Order
from logitwin.actors.robot import Robot
from logitwin.actors.station import Station
from logitwin.errors import ScenarioError
from logitwin.mesa import AGENT_REPORTERS, MODEL_REPORTERS, TwinModel

SHORT = {"scenario": "tiny", "horizon_h": 0.25}  # 900 s: 15 steps of 60 s
PICKED = ("picked", "packed", "staged", "loaded", "shipped")


def run(model: TwinModel) -> TwinModel:
    while model.running:
        model.step()
    return model


def test_mesa_is_the_library_not_this_package():
    assert "logitwin" not in Path(mesa.__file__).parts
    assert issubclass(TwinModel, mesa.Model)


def test_agents_show_the_twin_after_each_step():
    model = TwinModel(seed=7, step_s=60.0, **SHORT)
    system = model.twin.system
    traffic = system.actor("traffic")
    grid = model.twin.site.grid
    placed = 0  # order views seen at their station
    for k in range(1, 8):
        model.step()
        assert model.time_s == system.now == 60.0 * k
        actors = system.actors()
        robots = [a for a in actors if isinstance(a, Robot)]
        orders = [a for a in actors if isinstance(a, Order)]
        assert [r.twin_id for r in model.robots] == [a.id for a in robots]
        assert len(model.stations) == len([a for a in actors if isinstance(a, Station)]) == 2
        assert sorted(model.orders) == sorted(o.id for o in orders if o.status != "shipped")
        assert model.orders_created == len(orders)
        assert len(model.agents) == len(model.robots) + len(model.stations) + len(model.orders)
        for view in model.robots:
            i = traffic.robot_ids.index(view.twin_id)
            row, col = grid.rc(traffic.cell(i))
            assert view.pos == (col, grid.height - 1 - row)  # Mesa's (0, 0) is bottom left
            assert view in model.grid.get_cell_list_contents([view.pos])
            actor = system.actor(view.twin_id)
            assert (view.status, view.soc, view.task) == (actor.status, actor.soc, actor.task)
        assert model.orders_picked == sum(o.status in PICKED for o in orders)
        for view in model.orders.values():
            if view.status in ("released", "picking"):
                placed += 1
                row, col = grid.rc(system.actor(view.station).pick_cell)
                assert view.pos == (col, grid.height - 1 - row)
            else:
                assert view.pos is None
    assert model.orders_created > 0 and model.orders_picked > 0 and placed > 0


def test_orders_wait_at_their_dock_and_leave_with_their_truck():
    # Trucks leave tiny from 0.5 h on, every 15 min.
    model = TwinModel(seed=7, horizon_h=1.0, step_s=120.0)
    (dock,) = model.twin.site.docks
    staged = 0
    while model.running:
        model.step()
        for view in model.orders.values():
            if view.status in ("staged", "loaded"):
                staged += 1
                assert view.pos == model.pos_of(dock.cell) == (dock.cell % 20, 7 - dock.cell // 20)
    assert staged > 0 and model.orders_shipped > 0
    assert model.orders_created == len(model.orders) + model.orders_shipped
    assert all(o.status != "shipped" for o in model.orders.values())
    assert len(model.agents) == 4 + 2 + len(model.orders)  # shipped views are deregistered
    orders = [a for a in model.twin.system.actors() if isinstance(a, Order)]
    assert sum(o.status == "shipped" for o in orders) == model.orders_shipped
    assert sum(o.status in PICKED for o in orders) == model.orders_picked
    assert model.throughput_per_h == model.orders_picked  # one hour


def test_same_seed_same_data_and_unseeded_runs_report_their_seed():
    a = run(TwinModel(seed=11, **SHORT)).datacollector
    b = run(TwinModel(seed=11, **SHORT)).datacollector
    assert a.get_model_vars_dataframe().equals(b.get_model_vars_dataframe())
    assert a.get_agent_vars_dataframe().equals(b.get_agent_vars_dataframe())
    fresh = run(TwinModel(**SHORT))
    again = run(TwinModel(seed=fresh.seed, **SHORT))
    assert fresh.seed == again.seed == fresh.twin.scenario.seed
    frame = fresh.datacollector.get_model_vars_dataframe()
    assert frame.equals(again.datacollector.get_model_vars_dataframe())
    assert not frame.equals(a.get_model_vars_dataframe())


def test_batch_run_over_scenario_parameters_on_tiny():
    rows = mesa.batch_run(
        TwinModel,
        parameters={**SHORT, "robots": [4, 6], "orders_per_hour": [60, 90]},
        iterations=2,
        max_steps=100,
        number_processes=1,
        display_progress=False,
    )
    columns = {"RunId", "iteration", "Step", "AgentID", *SHORT, "robots", "orders_per_hour"}
    assert all(set(r) == columns | set(MODEL_REPORTERS) | set(AGENT_REPORTERS) for r in rows)
    runs = {(r["robots"], r["orders_per_hour"], r["iteration"]): r for r in rows}
    assert sorted(runs) == [(n, rate, i) for n in (4, 6) for rate in (60, 90) for i in (0, 1)]
    for (n, _rate, _i), last in runs.items():
        mine = [r for r in rows if r["RunId"] == last["RunId"]]
        # batch_run reports its step "steps - 1": the state after that many steps.
        assert {r["Step"] for r in mine} == {14}
        assert last["time_s"] == 14 * 60.0
        assert sum(r["kind"] == "robot" for r in mine) == n
        assert sum(r["kind"] == "station" for r in mine) == 2
        assert all(0 < r["soc"] <= 1 for r in mine if r["kind"] == "robot")
        assert last["orders_created"] > 0
        assert 0 <= last["orders_picked"] <= last["orders_created"]
        assert 0 <= last["robots_idle"] <= 1 and 0 <= last["robots_travelling"] <= 1
    # Unseeded iterations differ; each reports its seed, which reproduces it.
    assert len({r["seed"] for r in rows}) == 8
    last = runs[(6, 90, 1)]
    model = TwinModel(seed=last["seed"], robots=6, orders_per_hour=90, **SHORT)
    for _ in range(14):
        model.step()
    assert (model.time_s, model.orders_created, model.orders_picked, model.mean_soc) == (
        last["time_s"], last["orders_created"], last["orders_picked"], last["mean_soc"]
    )  # fmt: skip


def test_agents_are_read_only_views():
    model = TwinModel(seed=7, **SHORT)
    model.step()
    robot, station = model.robots[0], model.stations[0]
    for view, name in ((robot, "soc"), (robot, "status"), (robot, "pos"), (station, "cell"),
                       (robot, "unique_id"), (robot, "anything")):  # fmt: skip
        with pytest.raises(AttributeError, match="read-only view"):
            setattr(view, name, 1)
    with pytest.raises(AttributeError, match="read-only view"):
        model.grid.move_agent(robot, (0, 0))
    with pytest.raises(AttributeError, match="read-only view"):
        del robot.pos
    assert robot.pos == model.pos_of(robot.cell)


def test_parameters_map_onto_the_scenario():
    model = TwinModel(
        seed=3, robots=6, orders_per_hour=90, overrides=["stations.line_s=5"],
        **{"fleet.lift_s": 2.5}, **SHORT,
    )  # fmt: skip
    sc = model.twin.scenario
    assert (sc.fleet.robots, sc.demand.orders_per_hour, sc.stations.line_s) == (6, (90.0,), 5.0)
    assert (sc.fleet.lift_s, sc.horizon_h, sc.seed) == (2.5, 0.25, 3)
    assert len(model.robots) == 6
    with pytest.raises(ScenarioError, match="unknown parameter 'robot'.*robots, "):
        TwinModel(robot=4)
    with pytest.raises(ScenarioError, match="fleet.robots is set twice"):
        TwinModel(robots=4, overrides=["fleet.robots=5"])
    with pytest.raises(ScenarioError, match="seed is set twice"):
        TwinModel(seed=1, overrides=["seed=2"])
    with pytest.raises(ScenarioError, match="fleet.robots"):
        TwinModel(robots=0)
    with pytest.raises(ValueError, match="step_s must be a positive number of seconds, got 0"):
        TwinModel(step_s=0)
