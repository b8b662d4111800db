import argparse

import pytest

from logitwin.tms import cli


def vrp(*argv):
    p = argparse.ArgumentParser(prog="logitwin")
    cli.add_parser(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(["vrp", *argv])
    assert args.command == "vrp"
    return cli.run(args)


@pytest.mark.parametrize("backend", ["ortools", "pyvrp"])
def test_solve_then_check(tiny3_file, tmp_path, capsys, backend):
    out = tmp_path / "t.sol"
    assert vrp("solve", str(tiny3_file), "--time-limit", "0.3", "--backend", backend,
               "--out", str(out)) == 0  # fmt: skip
    assert out.read_text().splitlines()[-1] == "Cost 30"
    assert vrp("check", str(tiny3_file), str(out)) == 0
    assert "0 violation(s)" in capsys.readouterr().out


def test_check_fails_on_each_bad_solution(tiny3_file, tmp_path, capsys):
    bad = tmp_path / "bad.sol"
    bad.write_text("Route #1: 2 1\nRoute #2: 3\nCost 30.8\n")  # c1 late
    assert vrp("check", str(tiny3_file), str(bad)) == 1
    assert "time_window: route #1: arrives at customer 1" in capsys.readouterr().out
    wrong_cost = tmp_path / "cost.sol"
    wrong_cost.write_text("Route #1: 1 2\nRoute #2: 3\nCost 29\n")
    assert vrp("check", str(tiny3_file), str(wrong_cost)) == 1
    assert "states 29, recomputed 30" in capsys.readouterr().out


def test_bad_input_exits_2_with_the_line(tiny3_file, tmp_path, capsys):
    bad = tmp_path / "bad.sol"
    bad.write_text("Route #1: 1 two\n")
    assert vrp("check", str(tiny3_file), str(bad)) == 2
    assert "bad.sol line 1: route #1 has customer 'two'" in capsys.readouterr().err
    assert vrp("solve", str(tmp_path / "none.txt")) == 2
