"""The `logitwin` command as a user runs it: a real subprocess, real files."""

import json
import subprocess
import sys

import pytest

from logitwin.cli import main


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "logitwin.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_run_tiny_prints_report_and_writes_outputs(tmp_path):
    out = tmp_path / "run"
    p = _cli("run", "tiny", "--seed", "3", "--set", "fleet.robots=5", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "orders that made their truck" in p.stdout
    assert "throughput (orders/h)" in p.stdout
    for name in ("kpis.json", "timeseries.csv", "journal.sqlite", "scenario.yaml"):
        assert (out / name).is_file()
    assert "robots: 5" in (out / "scenario.yaml").read_text()
    assert "seed: 3" in (out / "scenario.yaml").read_text()

    rep = _cli("replay", str(out), "--json", "--check-paths")
    assert rep.returncode == 0, rep.stderr
    assert "paths valid" in rep.stdout
    replayed = json.loads(rep.stdout[: rep.stdout.rindex("}") + 1])
    assert replayed == json.loads((out / "kpis.json").read_text())


def test_scenarios_and_validate():
    p = _cli("scenarios")
    assert p.returncode == 0
    for name in ("tiny", "demo", "peak_day"):
        assert name in p.stdout
    v = _cli("validate", "demo")
    assert v.returncode == 0 and "ok" in v.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "nope"), "unknown scenario 'nope'"),
        (("validate", "tiny", "--set", "fleet.robots=-1"), "fleet.robots"),
        (("validate", "tiny", "--set", "fleet.robots=5000"), "do not fit"),
        (("run", "tiny", "--set", "fleet.robts=3"), "allowed fields"),
        (("replay", "/nonexistent/journal.sqlite"), "does not exist"),
        (
            ("validate", "tiny", "--set", "trucks.every_h=0.25", "--set", "trucks.dwell_min=30"),
            "dwell_min must be at most",
        ),
        (("validate", "tiny", "--set", "layout.chargers=400"), "layout: chargers"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args, message, capsys):
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in " ".join(err.split())


def test_validate_reports_file_and_field(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("name: mine\nhorizon_h: 2\nstations: {line_s: 0}\n")
    p = _cli("validate", str(f))
    assert p.returncode == 2
    assert "mine.yaml" in p.stderr and "stations.line_s" in p.stderr


def test_same_seed_same_journal_across_processes(tmp_path):
    """Two separate processes with different string-hash seeds write identical journals."""
    import os

    from logitwin.actors.journal import JournalReader

    prints = []
    for k, hashseed in enumerate(("1", "2")):
        out = tmp_path / f"r{k}"
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        p = subprocess.run(
            [sys.executable, "-m", "logitwin.cli", "run", "tiny", "--out", str(out), "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
        with JournalReader(out / "journal.sqlite") as j:
            prints.append(j.fingerprint())
    assert prints[0] == prints[1]


def test_mapf_run_and_validate_from_the_command_line(tmp_path):
    from tests.conftest import write_lorr_problem

    problem = write_lorr_problem(tmp_path, [0, 5, 18], [(23, 0), (12, 17), (5, 20)])
    out = tmp_path / "result.json"
    # horizon 40 from the folder; a little LNS per step keeps the test quick
    p = _cli("mapf", "run", str(problem), "--out", str(out), "--refine-ms", "2")
    assert p.returncode == 0, p.stderr
    assert "tasks finished" in p.stdout
    result = json.loads(out.read_text())
    assert len(result["actualPaths"][0].split(",")) == 40
    v = _cli("mapf", "validate", str(out), str(problem))
    assert v.returncode == 0, v.stdout + v.stderr
    assert json.loads(v.stdout)["ok"] is True
    e_out = tmp_path / "epibt.json"
    e = _cli(
        "mapf", "run", str(problem), "--out", str(e_out), "--planner", "epibt", "--refine-ms", "2"
    )
    assert e.returncode == 0 and ", epibt:" in e.stdout, e.stderr
    assert _cli("mapf", "validate", str(e_out), str(problem)).returncode == 0
    result["actualPaths"][0] = ",".join(["F"] * 40)  # drives robot 0 off the map
    out.write_text(json.dumps(result))
    bad = _cli("mapf", "validate", str(out), str(problem))
    assert bad.returncode == 1 and "unallowed move" in bad.stdout
    missing = _cli("mapf", "run", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json" in missing.stderr


def test_run_on_ray_gives_the_local_kpis(tmp_path):
    local = _cli("run", "tiny", "--json", "--out", str(tmp_path / "local"))
    on_ray = _cli(
        "run", "tiny", "--json", "--runtime", "ray", "--placement", "sharded:3",
        "--out", str(tmp_path / "ray"),
    )  # fmt: skip
    assert local.returncode == 0 and on_ray.returncode == 0, on_ray.stderr
    assert json.loads(on_ray.stdout) == json.loads(local.stdout)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--runtime", "spark"], "expected local, ray or ray:ADDRESS"),
        (["--runtime", "ray", "--placement", "sharded:0"], "sharded:N needs a host count"),
        (["--runtime", "ray", "--placement", "per_robot"], "expected sharded:N or per_entity"),
    ],
)
def test_run_bad_runtime_or_placement_exits_2(tmp_path, args, needle):
    p = _cli("run", "tiny", "--out", str(tmp_path / "r"), *args)
    assert p.returncode == 2
    assert needle in p.stderr


# --- defects that bad inputs found (issue 16): each failed before its fix --------------


def _err(capsys) -> str:
    return " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize("where", ["afile", "afile/sub"])
def test_out_naming_a_file_exits_2_and_starts_nothing(tmp_path, capsys, where):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / where
    assert main(["run", "tiny", "--out", str(out), "--no-progress"]) == 2
    assert f"--out {out}" in _err(capsys)
    assert (tmp_path / "afile").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_mapf_run_checks_its_output_path_before_planning(tmp_path, capsys):
    from tests.conftest import write_lorr_problem

    problem = write_lorr_problem(tmp_path, [0, 5, 18], [(23, 0), (12, 17), (5, 20)])
    out = tmp_path / "nodir" / "x.json"
    assert main(["mapf", "run", str(problem), "--out", str(out)]) == 2
    assert "folder" in _err(capsys) and "nodir" in str(out)
    assert main(["mapf", "run", str(problem), "--out", str(tmp_path)]) == 2
    assert "is a folder" in _err(capsys)


def test_user_text_is_never_rich_markup(tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("order_id,created,sku,quantity\nA,0,x,[/x]\n")
    (tmp_path / "id.csv").write_text("order_id,created,sku,quantity\n[bad],0,x,1\n")
    for name in ("bad", "id"):
        (tmp_path / f"{name}.yaml").write_text(
            f"name: t\nhorizon_h: 1\ndemand: {{orders_csv: {name}.csv}}\n"
        )
    assert main(["validate", str(tmp_path / "bad.yaml")]) == 2
    assert "quantity '[/x]' is not a positive whole number" in _err(capsys)
    assert main(["validate", str(tmp_path / "id.yaml")]) == 2
    assert "order_id '[bad]'" in _err(capsys)
    # A scenario name with markup runs to the end and is shown as written.
    out = tmp_path / "run"
    assert main(["run", "tiny", "--set", "name=x[/b]", "--out", str(out), "--no-progress"]) == 0
    assert "x[/b] (seed 7)" in capsys.readouterr().out


def test_sweep_cell_label_survives_in_its_error(capsys):
    code = main(["sweep", "tiny", "--grid", "fleet.robots=2,-1", "--reps", "1"])
    assert code == 2
    assert "[cell 1: fleet.robots=-1]" in _err(capsys)


def test_replay_of_a_database_that_is_not_a_journal(tmp_path, capsys):
    import sqlite3

    db = sqlite3.connect(tmp_path / "journal.sqlite")
    db.execute("CREATE TABLE events (seq INTEGER)")
    db.commit()
    db.close()
    assert main(["replay", str(tmp_path)]) == 2
    assert "is not a logitwin journal" in _err(capsys)


def test_an_orders_csv_set_on_the_command_line_is_stored_resolved(tmp_path, monkeypatch):
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "ok.csv").write_text("order_id,created,sku,quantity\nA,60,x,1\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    args = ["run", "tiny", "--set", "demand.orders_csv=csv/ok.csv", "--out", str(out)]
    assert main([*args, "--no-progress"]) == 0
    monkeypatch.chdir("/")
    assert main(["validate", str(out / "scenario.yaml")]) == 0


def test_a_latin1_orders_csv_names_its_line(tmp_path, capsys):
    (tmp_path / "o.csv").write_bytes(b"order_id,created,sku,quantity\nA,0,x,1\nB,0,caf\xe9,1\n")
    (tmp_path / "s.yaml").write_text("name: t\nhorizon_h: 1\ndemand: {orders_csv: o.csv}\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    assert "o.csv:3: byte 0xe9 at column 8 is not UTF-8 text" in _err(capsys)


def test_demand_the_site_cannot_serve_is_refused(capsys):
    assert main(["validate", "tiny", "--set", "demand.orders_per_hour=[1000000]"]) == 2
    err = _err(capsys)
    assert "demand.orders_per_hour" in err and "2 stations can pick at most 1,200" in err


def test_placement_without_ray_is_refused(capsys, tmp_path):
    assert main(["run", "tiny", "--placement", "sharded:2", "--out", str(tmp_path / "r")]) == 2
    assert "add --runtime ray" in _err(capsys)
    assert not (tmp_path / "r").exists()


def test_an_error_in_a_set_value_names_the_override(capsys):
    assert main(["validate", "demo", "--set", "fleet.robots=-1"]) == 2
    err = _err(capsys)
    assert err.startswith("error: --set fleet.robots=-1: invalid scenario")
    assert "builtin" not in err


def test_a_run_that_cannot_start_leaves_no_folder_behind(tmp_path):
    """The default output folder (runs/NAME-...) and its parents are removed again when
    the run cannot start, here because no Ray head answers."""
    p = _cli("run", "tiny", "--runtime", "ray:127.0.0.1:1", "--no-progress", cwd=tmp_path)
    assert p.returncode == 2 and "cannot connect" in " ".join(p.stderr.split())
    assert list(tmp_path.iterdir()) == []


def test_mapf_run_warns_of_2026_robots_whose_squares_overlap_at_the_start(tmp_path):
    from tests.mapf.test_rules2026 import _problem

    # 2x2 squares: robots 0 and 1 start one cell apart and overlap; robot 2 is clear
    _problem(tmp_path, ["." * 8] * 6, [0, 1, 20], [(40,), (5,)], size=2.0)
    out = tmp_path / "r.json"
    p = _cli("mapf", "run", str(tmp_path / "p.json"), "--steps", "60", "--out", str(out))
    assert p.returncode == 0, p.stderr
    text = " ".join(p.stdout.split())
    assert "warning: 2 robots (0, 1) do not fit where they start or overlap another" in text
    v = _cli("mapf", "validate", str(out), str(tmp_path / "p.json"))
    assert v.returncode == 1 and "robots 0 and 1 overlap during tick 0" in v.stdout


def test_mapf_run_and_validate_a_2026_problem(tmp_path):
    from tests.mapf.test_rules2026 import _problem

    rows = ["......", "..@...", "......"]
    delay = {"seed": 1, "minDelay": 2, "maxDelay": 5, "eventModel": "poisson", "pDelay": 0.05,
             "durationModel": "gaussian", "gaussMeanRatio": 0.5, "gaussStdRatio": 0.3}  # fmt: skip
    _problem(tmp_path, rows, [0, 5, 12, 17], [(3, 14), (16, 1), (9,), (6, 11)], delay=delay)
    problem, out = tmp_path / "p.json", tmp_path / "r.json"
    p = _cli("mapf", "run", str(problem), "--steps", "400", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "400 ticks (2026 rules, 3 ticks an action)" in " ".join(p.stdout.split())
    result = json.loads(out.read_text())
    assert result["version"] == "2026 LoRR" and result["makespan"] == 400
    for key in ("agentMaxCounter", "outputSegmentSize", "delayIntervals", "actualSchedule",
                "events", "tasks", "numEntryTimeouts", "numPlannerErrors"):  # fmt: skip
        assert key in result, key
    v = _cli("mapf", "validate", str(out), str(problem))
    assert v.returncode == 0 and json.loads(v.stdout)["ok"] is True, v.stdout
    result["actualPaths"][0] = result["actualPaths"][1]  # robot 0 replays robot 1's moves
    out.write_text(json.dumps(result))
    assert _cli("mapf", "validate", str(out), str(problem)).returncode == 1
    bad = _cli("mapf", "run", str(problem), "--plan-ms", "50", "--out", str(out))
    assert bad.returncode == 2 and "plan_interval_ms" in bad.stderr
