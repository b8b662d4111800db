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
