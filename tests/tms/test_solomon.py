from pathlib import Path

import pytest

from logitwin.tms.solomon import (
    InstanceError,
    parse_solomon,
    parse_solution,
    read_solomon,
    read_solution,
    write_solution,
)
from tests.tms.conftest import TINY3


def test_tiny3_parses_with_crlf(tiny3_file):
    d = read_solomon(tiny3_file)
    assert d.name == "TINY3"
    assert (d.vehicles, d.capacity, d.num_customers) == (2, 10, 3)
    assert d.x == (0, 3, 6, -3)
    assert d.demand == (0, 5, 5, 6)
    assert d.ready[3] == 20 and d.due[1] == 12 and d.service[2] == 1


def test_bad_demand_names_line_and_field():
    text = TINY3.replace(
        "    2          6       8           5", "    2          6       8           x"
    )
    with pytest.raises(InstanceError, match=r"t\.txt line 12: field 'DEMAND' is 'x'"):
        parse_solomon(text, "t.txt")


def test_missing_field_names_line_and_lists_fields():
    text = TINY3.replace("    3         -3      -4           6      20          50           1",
                         "    3         -3      -4           6      20          50")  # fmt: skip
    with pytest.raises(InstanceError, match=r"line 13: expected 7 fields .*SERVICE TIME.*got 6"):
        parse_solomon(text, "t.txt")


def test_customer_numbers_must_follow_on():
    text = TINY3.replace("    2          6", "    7          6")
    with pytest.raises(InstanceError, match=r"line 12: field 'CUST NO\.' is 7, expected 2"):
        parse_solomon(text, "t.txt")


def test_due_before_ready_is_named():
    text = TINY3.replace("20          50", "60          50")
    with pytest.raises(InstanceError, match=r"line 13: field 'DUE DATE' is 50, before"):
        parse_solomon(text, "t.txt")


def test_bad_fleet_line():
    with pytest.raises(InstanceError, match=r"line 5: field 'NUMBER' is 'two'"):
        parse_solomon(TINY3.replace("  2         10", "  two       10"), "t.txt")


def test_missing_file_names_it(tmp_path):
    with pytest.raises(InstanceError, match="nope.txt: cannot read"):
        read_solomon(tmp_path / "nope.txt")


def test_solution_round_trip(tmp_path):
    p = tmp_path / "s.sol"
    write_solution(p, [(1, 2), (), (3,)], 30.0)
    assert p.read_text() == "Route #1: 1 2\nRoute #2: 3\nCost 30\n"
    s = read_solution(p)
    assert s.routes == ((1, 2), (3,)) and s.cost == 30.0


def test_solution_errors_name_line_and_field():
    with pytest.raises(InstanceError, match=r"s\.sol line 2: route #2 has customer 'x'"):
        parse_solution("Route #1: 1 2\nRoute #2: 3 x\nCost 3\n", "s.sol")
    with pytest.raises(InstanceError, match=r"line 2: field 'Cost' is 'abc'"):
        parse_solution("Route #1: 1\nCost abc\n", "s.sol")
    with pytest.raises(InstanceError, match=r"line 1: expected 'Route #k"):
        parse_solution("Tour 1: 1\n", "s.sol")


def test_cvrplib_bks_file_parses():
    p = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "vrp" / "solomon"
    if not (p / "R101.sol").exists():
        pytest.skip("shared benchmark data not present")
    s = read_solution(p / "R101.sol")
    assert len(s.routes) == 20 and s.cost == 1637.7
    assert sorted(c for r in s.routes for c in r) == list(range(1, 101))
