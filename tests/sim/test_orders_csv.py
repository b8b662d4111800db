"""Orders from a CSV of order history: parsing, every kind of bad row, and a real run."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from logitwin.errors import ScenarioError
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import run_scenario
from logitwin.sim.orders_csv import load_orders_csv

HEADER = "order_id,created,sku,quantity,due\n"


def _write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    f = tmp_path / "orders.csv"
    f.write_text(header + body)
    return f


def test_orders_are_grouped_sorted_and_ranked_by_sku_frequency(tmp_path: Path) -> None:
    f = _write(
        tmp_path,
        "B,00:10,apple,1,\n"
        "A,300,pear,2,00:30:00\n"
        "A,300,apple,1,00:30:00\n"
        "C,0:20:30,apple,3,\n"
        "C,0:20:30,fig,1,\n",
    )
    orders = load_orders_csv(f, 3600.0, 10)
    assert [o.id for o in orders] == ["A", "B", "C"]
    assert [o.created for o in orders] == [300.0, 600.0, 1230.0]
    # apple (3 lines) is SKU 0; fig and pear (1 each) follow by name.
    assert orders[0].skus == (2, 0) and orders[1].skus == (0,) and orders[2].skus == (0, 1)
    assert orders[0].due == 1800.0 and math.isinf(orders[1].due)
    assert orders[0].line == 3
    assert orders[0].qty == (2, 1) and orders[2].qty == (3, 1)


def test_rows_of_one_sku_in_an_order_add_their_quantities(tmp_path: Path) -> None:
    f = _write(tmp_path, "A,0,apple,2,\nA,0,pear,1,\nA,0,apple,5,\n")
    (order,) = load_orders_csv(f, 3600.0, 10)
    assert order.skus == (0, 1) and order.qty == (7, 1)


def test_with_stock_the_files_quantities_are_picked(tmp_path: Path) -> None:
    lines = [f"SO-{k},{60 * k + 5},S{k % 7},{1 + k % 3}," for k in range(40)]
    _write(tmp_path, "\n".join(lines) + "\n")
    inbound = "inbound={every_h: 0.25, pallets: 2}"
    sc = load_scenario(_scenario(tmp_path, "orders.csv"), [inbound, "stock={}"])
    result = run_scenario(sc, tmp_path / "run")
    k = result.kpis
    system = result.twin.system
    picked = [j for j in range(40) if getattr(system.actor(f"order:SO-{j}"), "picked_at", None)]
    assert len(picked) >= 35 and k["lines_backordered"] == 0  # 8 h of cover: none run out
    assert k["units_picked"] == sum(1 + j % 3 for j in picked)


def test_iso_datetimes_count_from_the_earliest_orders_hour(tmp_path: Path) -> None:
    f = _write(
        tmp_path,
        "A,2026-11-27T08:15:00,x,1,2026-11-27T10:00:00\nB,2026-11-27T09:00:30,y,1,\n",
    )
    a, b = load_orders_csv(f, 8 * 3600.0, 10)
    assert (a.created, a.due, b.created) == (900.0, 7200.0, 3630.0)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("A,10,x,0,\n", ":2: quantity '0' is not a positive whole number"),
        ("A,10,x,2.5,\n", ":2: quantity '2.5'"),
        ("A,10,x,1,\nB,ten,x,1,\n", ":3: 'ten' is not a time"),
        ("A,10,,1,\n", ":2: sku is empty"),
        ("A B,10,x,1,\n", ":2: order_id 'A B'"),
        ("A,10,x,1,\nA,20,y,1,\n", ":3: order A was created at another time on line 2"),
        ("A,10,x,1,5\n", ":2: due is before created"),
        ("A,4000,x,1,\n", ":2: created at 1.11 h, after the run's horizon (1 h)"),
        ("A,-5,x,1,\n", ":2: created is before the run's start"),
        ("A,10,x,1,,extra\n", ":2: more fields than the header has"),
        ("A,2026-11-27T08:00:00,x,1,\nB,20,x,1,\n", ":3: created mixes date-times"),
        ("A,10,a,1,\nB,10,b,1,\nC,10,c,1,\n", "3 distinct SKUs but inventory.skus is 2"),
        ("", "no orders in the file"),
    ],
)
def test_a_bad_row_names_its_line(tmp_path: Path, body: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=None) as info:
        load_orders_csv(_write(tmp_path, body), 3600.0, 2)
    assert needle in str(info.value)


def test_missing_columns_are_listed(tmp_path: Path) -> None:
    f = _write(tmp_path, "A,10,1\n", header="order_id,created,quantity\n")
    with pytest.raises(ScenarioError, match=r":1: missing column\(s\) sku"):
        load_orders_csv(f, 3600.0, 10)


def _scenario(tmp_path: Path, csv_name: str) -> Path:
    f = tmp_path / "site.yaml"
    f.write_text(
        "name: csv_tiny\nhorizon_h: 1\n"
        "layout: {blocks_x: 3, blocks_y: 2, block_width: 4, block_depth: 2, aisle_width: 1,"
        " stations: 2, queue_length: 2, chargers: 2, docks: 1}\n"
        "fleet: {robots: 4}\ninventory: {skus: 200, fill: 0.8}\n"
        f"demand: {{orders_csv: {csv_name}, min_lead_s: 900}}\n"
        "trucks: {first_departure_h: 0.5, every_h: 0.25, dwell_min: 15, cutoff_min: 5,"
        " capacity: 100}\n"
    )
    return f


def test_a_run_replays_every_order_of_the_file(tmp_path: Path) -> None:
    lines = [f"SO-{k},{60 * k + 5},S{k % 7},1,{'' if k % 2 else 60 * k + 1500}" for k in range(40)]
    _write(tmp_path, "\n".join(lines) + "\n")
    sc = load_scenario(_scenario(tmp_path, "orders.csv"))  # relative to the scenario file
    assert sc.demand.orders_csv == str((tmp_path / "orders.csv").resolve())
    result = run_scenario(sc, tmp_path / "run")
    assert result.kpis["orders_created"] == 40
    state = result.twin.system.actor("order:SO-3")  # type: ignore[attr-defined]
    assert state.skus == (3,)  # S0..S4 have 6 lines each: ranked 0..4 by count, then name
    assert result.kpis["orders_picked"] >= 35


def test_cli_refuses_a_bad_file_before_writing_anything(tmp_path: Path) -> None:
    _write(tmp_path, "A,10,x,1,\nB,oops,x,1,\n")
    out = tmp_path / "run"
    p = subprocess.run(
        [sys.executable, "-m", "logitwin.cli", "run", str(_scenario(tmp_path, "orders.csv")),
         "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert p.returncode == 2
    assert "orders.csv:3: 'oops' is not a time" in p.stderr.replace("\n", "")
    assert not out.exists()


def test_a_run_stays_readable_after_its_order_file_is_gone(tmp_path: Path) -> None:
    """Replay, path checks and animation need the floor, not the orders: they work from
    the journal alone once the CSV has been moved away."""
    from logitwin.experiments.animate import frames
    from logitwin.scenarios.runner import check_paths, replay

    _write(tmp_path, "".join(f"O{k},{30 * k},S{k % 3},1,\n" for k in range(50)))
    result = run_scenario(load_scenario(_scenario(tmp_path, "orders.csv")), tmp_path / "run")
    (tmp_path / "orders.csv").rename(tmp_path / "gone.csv")
    journal = tmp_path / "run" / "journal.sqlite"
    assert replay(journal).kpis == result.kpis
    steps, conflicts = check_paths(journal)
    assert steps > 0 and conflicts == []
    assert len(frames(journal, 0.0, 600.0, 10.0)[0]) == 60
