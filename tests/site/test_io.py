"""Tests for logitwin.site.io: MovingAI maps and LoRR 2023/2024 problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from logitwin.errors import SiteError
from logitwin.site.io import load_lorr_problem, load_map, load_site

BENCH = Path("/work/shared/benchmarks/mapf")
needs_bench = pytest.mark.skipif(not BENCH.is_dir(), reason="benchmark data not present")

# 4 wide x 3 high; blocked cells: 2 (row 0, col 2) and 8 (row 2, col 0).
TINY_MAP = "type octile\nheight 3\nwidth 4\nmap\n..@.\n.E.S\n@..G\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _problem(
    tmp_path: Path,
    *,
    fmt: int = 2023,
    agents: list[str] | None = None,
    tasks: list[str] | None = None,
    **overrides: Any,
) -> Path:
    """Writes a LoRR problem folder with the tiny map; returns the JSON path."""
    _write(tmp_path / "maps" / "tiny.map", TINY_MAP)
    agents = ["0", "5", "11"] if agents is None else agents
    if tasks is None:
        tasks = ["7", "5"] if fmt == 2023 else ["5,7", "1,3,10"]
    header = "# version for LoRR 2024\n" if fmt == 2024 else ""
    _write(tmp_path / "agents" / "a.agents", header + f"{len(agents)}\n" + "\n".join(agents))
    _write(tmp_path / "tasks" / "t.tasks", header + f"{len(tasks)}\n" + "\n".join(tasks) + "\n")
    data: dict[str, Any] = {
        "mapFile": "maps/tiny.map",
        "agentFile": "agents/a.agents",
        "teamSize": len(agents),
        "taskFile": "tasks/t.tasks",
        "numTasksReveal": 1,
    }
    if fmt == 2023:
        data["taskAssignmentStrategy"] = "roundrobin"
    else:
        data["version"] = "2024 LoRR"
        data["numTasksReveal"] = 1.5
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return _write(tmp_path / "problem.json", json.dumps(data))


def test_load_map(tmp_path: Path) -> None:
    grid = load_map(_write(tmp_path / "tiny.map", TINY_MAP))
    assert (grid.width, grid.height, grid.name) == (4, 3, "tiny")
    assert grid.free_cells.tolist() == [0, 1, 3, 4, 5, 6, 7, 9, 10, 11]


def test_load_map_without_type_line_and_crlf(tmp_path: Path) -> None:
    text = "height 1\r\nwidth 3\r\nmap\r\n.@.\r\n\r\n"
    assert load_map(_write(tmp_path / "m.map", text)).to_strings() == [".@."]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("type octile\nheight 3\nwidth 4\nmap\n..@.\n.x.S\n@..G\n", r"line 6, row 1, col 1: .*'x'"),
        ("type octile\nheight 3\nwidth 4\nmap\n..@.\n.E.\n@..G\n", "line 6, row 1: row has 3"),
        ("type octile\nheight 3\nwidth 5\nmap\n..@.\n.E.S\n@..G\n", "header says width 5"),
        ("type octile\nheight 4\nwidth 4\nmap\n..@.\n.E.S\n@..G\n", "height 4 but only 3"),
        ("type octile\nheight 2\nwidth 4\nmap\n..@.\n.E.S\n@..G\n", "line 7: unexpected text"),
        ("type octile\nwidth 4\nmap\n..@.\n", "missing 'height'"),
        ("type octile\nheight x\nwidth 4\nmap\n", "line 2: height must be an integer"),
        ("type octile\nheight 1\nwidth 4\n", "no 'map' line"),
        ("type octile\nfoo 1\n", "line 2: unknown header line"),
    ],
)
def test_load_map_errors(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "bad.map", text)
    with pytest.raises(SiteError, match=message) as info:
        load_map(path)
    assert str(path) in str(info.value)


def test_load_map_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="does not exist"):
        load_map(tmp_path / "nope.map")


def test_load_site_from_map_and_json(tmp_path: Path) -> None:
    site = load_site(_write(tmp_path / "tiny.map", TINY_MAP))
    assert site.emitters == (5,) and site.service == (7,)
    assert site.name == "tiny"
    assert load_site(_problem(tmp_path / "p")) == site
    with pytest.raises(SiteError, match=r"'\.txt'"):
        load_site(_write(tmp_path / "x.txt", ""))


def test_load_2023_problem(tmp_path: Path) -> None:
    problem = load_lorr_problem(_problem(tmp_path))
    assert problem.version == 2023
    assert problem.starts.tolist() == [0, 5, 11]
    assert not problem.starts.flags.writeable
    assert problem.tasks == ((7,), (5,))
    assert problem.team_size == 3
    assert problem.num_tasks_reveal == 1.0
    assert problem.assignment_strategy == "roundrobin"
    assert problem.name == "problem"
    assert problem.site.emitters == (5,) and problem.grid.width == 4
    assert repr(problem).startswith("LorrProblem(name='problem', version=2023, map='tiny'")


def test_load_2024_problem(tmp_path: Path) -> None:
    problem = load_lorr_problem(_problem(tmp_path, fmt=2024))
    assert problem.version == 2024
    assert problem.tasks == ((5, 7), (1, 3, 10))
    assert problem.num_tasks_reveal == 1.5
    assert problem.assignment_strategy is None


def test_team_size_takes_first_starts(tmp_path: Path) -> None:
    problem = load_lorr_problem(_problem(tmp_path, teamSize=2, agents=["0", "5", "2"]))
    assert problem.starts.tolist() == [0, 5]  # the blocked third start is not used


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"agents": ["0", "2"]},
            r"a.agents: line 3: agent start cell 2 \(row 0, col 2\) is blocked",
        ),
        ({"agents": ["0", "12"]}, r"a.agents: line 3: agent start cell 12 .* is outside"),
        ({"agents": ["0", "-1"]}, r"line 3: agent start cell -1"),
        ({"agents": ["0", "0"]}, "lines 2 and 3: two agents start on cell 0"),
        ({"agents": ["0", "x"]}, r"a.agents: line 3: agent start must be one cell id"),
        ({"tasks": ["7", "8"]}, r"t.tasks: line 3: task cell 8 \(row 2, col 0\) is blocked"),
        ({"tasks": ["7", "99"]}, r"t.tasks: line 3: task cell 99 .* outside"),
        ({"teamSize": 4}, "teamSize 4 exceeds the 3 agents"),
        ({"teamSize": 0}, "'teamSize' must be >= 1"),
        ({"teamSize": None}, "missing key 'teamSize'"),
        ({"mapFile": None}, "missing key 'mapFile'"),
        ({"taskAssignmentStrategy": None}, "missing key 'taskAssignmentStrategy'"),
        ({"taskAssignmentStrategy": "random"}, "'taskAssignmentStrategy' is 'random'"),
        ({"numTasksReveal": 0}, "'numTasksReveal' must be > 0"),
        ({"teamSize": "3"}, "'teamSize' has the wrong type"),
        ({"version": "2025"}, "'version' is '2025'"),
        ({"mapFile": "maps/none.map"}, r"none.map does not exist"),
        ({"taskFile": "tasks/none.tasks"}, r"none.tasks does not exist"),
    ],
)
def test_2023_problem_errors(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SiteError, match=message):
        load_lorr_problem(_problem(tmp_path, **kwargs))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tasks": ["5,7", "1,8"]}, r"t.tasks: line 4: task cell 8 \(row 2, col 0\) is blocked"),
        ({"tasks": ["5,7", "1,,3"]}, "t.tasks: line 4: task must be comma-separated cell ids"),
        ({"tasks": ["5,7", ""]}, "line 4: task must be comma-separated"),
        ({"agents": ["0", "2"]}, r"a.agents: line 4: agent start cell 2"),
    ],
)
def test_2024_problem_errors(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SiteError, match=message):
        load_lorr_problem(_problem(tmp_path, fmt=2024, **kwargs))


def test_count_line_mismatch(tmp_path: Path) -> None:
    path = _problem(tmp_path)
    _write(tmp_path / "tasks" / "t.tasks", "3\n7\n5\n")
    with pytest.raises(SiteError, match="line 1: declares 3 tasks but 2 lines follow"):
        load_lorr_problem(path)
    _write(tmp_path / "tasks" / "t.tasks", "1\n7\n5\n")
    with pytest.raises(SiteError, match="line 3: more tasks lines than the 1 declared"):
        load_lorr_problem(path)
    _write(tmp_path / "tasks" / "t.tasks", "")
    with pytest.raises(SiteError, match="tasks file is empty"):
        load_lorr_problem(path)


def test_bad_json_and_missing_problem(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="line 1: invalid JSON"):
        load_lorr_problem(_write(tmp_path / "bad.json", "{"))
    with pytest.raises(SiteError, match="expected a JSON object"):
        load_lorr_problem(_write(tmp_path / "list.json", "[]"))
    with pytest.raises(SiteError, match="does not exist"):
        load_lorr_problem(tmp_path / "missing.json")


# -- real benchmark data -----------------------------------------------------------------------

EXPECTED = {
    "RANDOM-01": (100, 100_000, 2024, None),
    "RANDOM-05": (800, 100_000, 2024, None),
    "WAREHOUSE": (10_000, 100_000, 2024, None),
    "SORTATION": (10_000, 100_000, 2024, None),
    "MR23-I-03": (200, 40_000, 2023, "roundrobin"),
    "MR23-I-10": (10_000, 500_000, 2023, "roundrobin"),
    "warehouse_small_10": (10, 20_000, 2023, "roundrobin"),
}


def _problem_files() -> list[Path]:
    if not BENCH.is_dir():
        return []
    return sorted(p for p in BENCH.rglob("*.json") if p.name != "simulation_time.json")


@needs_bench
@pytest.mark.parametrize("path", _problem_files(), ids=lambda p: p.stem)
def test_every_benchmark_problem_loads(path: Path) -> None:
    problem = load_lorr_problem(path)
    assert len(problem.starts) == problem.team_size
    assert problem.tasks and all(problem.tasks)
    free = problem.grid.free.reshape(-1)
    assert free[problem.starts].all()
    if problem.name in EXPECTED:
        starts, tasks, version, strategy = EXPECTED[problem.name]
        assert (len(problem.starts), len(problem.tasks)) == (starts, tasks)
        assert (problem.version, problem.assignment_strategy) == (version, strategy)
    if problem.version == 2026:
        assert problem.agent_counter >= 1 and problem.agent_size > 0
        assert problem.delay is not None
    if problem.version >= 2024:
        assert problem.num_tasks_reveal == 1.5
    else:
        assert all(len(t) == 1 for t in problem.tasks)


@needs_bench
def test_benchmark_maps_match_sources() -> None:
    wh = load_site(BENCH / "lorr2024_main/warehouse.domain/maps/warehouse_large.map")
    assert (wh.grid.width, wh.grid.height) == (500, 140)
    assert len(wh.grid.free_cells) == 38_586
    assert (len(wh.emitters), len(wh.service)) == (352, 25_249)
    small = load_map(BENCH / "lorr2023_small/warehouse.domain/maps/warehouse_small.map")
    assert (small.width, small.height, len(small.free_cells)) == (57, 33, 1277)
    mai = load_map(BENCH / "movingai/warehouse-10-20-10-2-1.map")
    assert (mai.width, mai.height, len(mai.free_cells)) == (161, 63, 5699)


@needs_bench
def test_random_01_details() -> None:
    problem = load_lorr_problem(BENCH / "lorr2024_main/random.domain/RANDOM-01.json")
    assert problem.starts[:3].tolist() == [787, 395, 353]
    assert problem.tasks[0] == (566, 822, 422, 356)
    assert all(2 <= len(t) <= 5 for t in problem.tasks)
