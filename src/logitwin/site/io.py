"""File loaders for MovingAI maps and League of Robot Runners (LoRR) problems.

This is the only module of :mod:`logitwin.site` that touches the file system.

Formats:

* MovingAI ``.map``: header lines ``type octile``, ``height H``, ``width W``, ``map``, then H
  rows of W characters (see :data:`logitwin.site.grid.FREE_CHARS`/``BLOCKED_CHARS``).
* LoRR problem ``.json`` with ``mapFile``, ``agentFile``, ``teamSize``, ``taskFile``,
  ``numTasksReveal`` and either ``taskAssignmentStrategy`` (2023) or
  ``"version": "2024 LoRR"`` (2024). File paths are relative to the JSON file's folder.
  Agent and task files hold an optional ``#`` comment line (2024), a count N, then N lines:
  one linearised cell ``row * width + col`` per agent, and per task one cell (2023) or
  comma-separated cells, its errands in order (2024).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from logitwin.errors import SiteError
from logitwin.site.grid import Grid, _parse_rows
from logitwin.site.site import Site

__all__ = [
    "ASSIGNMENT_STRATEGIES",
    "DelayConfig",
    "LorrProblem",
    "load_lorr_problem",
    "load_map",
    "load_site",
]

#: Values LoRR 2023 accepts for ``taskAssignmentStrategy``.
ASSIGNMENT_STRATEGIES = frozenset({"greedy", "roundrobin", "roundrobin_fixed"})
_VERSION_2024 = "2024 LoRR"
_VERSION_2026 = "2026 LoRR"


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteError(f"{what} {path} does not exist; check the path") from None
    except UnicodeDecodeError as exc:
        raise SiteError(f"{what} {path} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise SiteError(f"{what} {path} cannot be read: {exc.strerror or exc}") from None


def _header_int(value: str, key: str, path: Path, line: int) -> int:
    try:
        out = int(value)
    except ValueError:
        raise SiteError(f"{path}: line {line}: {key} must be an integer, got {value!r}") from None
    if out < 1:
        raise SiteError(f"{path}: line {line}: {key} must be >= 1, got {out}")
    return out


def load_map(path: str | Path) -> Grid:
    """Loads a MovingAI / LoRR ``.map`` file.

    Args:
        path: The map file.

    Returns:
        The grid, named after the file's stem.

    Raises:
        SiteError: If the file is missing or malformed; the message names the file, line
            and offending value.
    """
    path = Path(path)
    lines = _read_text(path, "map file").splitlines()
    header: dict[str, int] = {}
    start = None
    for i, line in enumerate(lines):
        words = line.split()
        if not words:
            continue
        key = words[0].lower()
        if key == "map":
            start = i + 1
            break
        if key in ("height", "width"):
            if len(words) != 2:
                raise SiteError(f"{path}: line {i + 1}: expected '{key} N', got {line!r}")
            header[key] = _header_int(words[1], key, path, i + 1)
        elif key != "type":
            raise SiteError(
                f"{path}: line {i + 1}: unknown header line {line!r}; "
                "expected 'type', 'height', 'width' or 'map'"
            )
    if start is None:
        raise SiteError(f"{path}: no 'map' line; the grid rows must follow a line 'map'")
    for key in ("height", "width"):
        if key not in header:
            raise SiteError(f"{path}: header is missing '{key}'; add a line '{key} N'")
    height, width = header["height"], header["width"]
    rows = [line.rstrip() for line in lines[start : start + height]]
    if len(rows) < height:
        raise SiteError(f"{path}: header says height {height} but only {len(rows)} rows follow")
    extra = [i for i in range(start + height, len(lines)) if lines[i].strip()]
    if extra:
        raise SiteError(
            f"{path}: line {extra[0] + 1}: unexpected text after the {height} map rows; "
            "check the 'height' header"
        )
    grid = _parse_rows(rows, name=path.stem, source=str(path), first_line=start + 1)
    if grid.width != width:
        raise SiteError(
            f"{path}: line {start + 1}: rows are {grid.width} characters wide but the header "
            f"says width {width}"
        )
    return grid


_EVENT_MODELS = ("bernoulli", "poisson")
_DURATION_MODELS = ("uniform", "gaussian")


@dataclass(frozen=True, slots=True)
class DelayConfig:
    """A problem's ``delayConfig`` (all eight fields required, as the start kit reads it).

    Args:
        seed: seed of the delay generator (unsigned 32-bit).
        min_delay: shortest delay (ticks, > 0).
        max_delay: longest delay (ticks, >= min_delay).
        event_model: ``bernoulli`` or ``poisson``.
        p_delay: per-robot probability per tick (Poisson rate: team size times it).
        duration_model: ``uniform`` or ``gaussian``.
        gauss_mean_ratio: gaussian mean's position in the range (0..1).
        gauss_std_ratio: gaussian deviation relative to the range (>= 0).
    """

    seed: int
    min_delay: int
    max_delay: int
    event_model: str
    p_delay: float
    duration_model: str
    gauss_mean_ratio: float
    gauss_std_ratio: float

    def __post_init__(self) -> None:
        if not 0 <= self.seed < 1 << 32:
            raise ValueError(f"seed must be an unsigned 32-bit integer, got {self.seed}")
        if self.min_delay <= 0 or self.max_delay < self.min_delay:
            raise ValueError(
                f"need 0 < minDelay <= maxDelay, got {self.min_delay} and {self.max_delay}"
            )
        if self.event_model not in _EVENT_MODELS:
            raise ValueError(f"eventModel {self.event_model!r}: expected one of {_EVENT_MODELS}")
        if not 0.0 <= self.p_delay <= 1.0:
            raise ValueError(f"pDelay must be in [0, 1], got {self.p_delay}")
        if self.duration_model not in _DURATION_MODELS:
            raise ValueError(
                f"durationModel {self.duration_model!r}: expected one of {_DURATION_MODELS}"
            )
        if self.duration_model == "gaussian" and not (
            0.0 <= self.gauss_mean_ratio <= 1.0 and self.gauss_std_ratio >= 0.0
        ):
            raise ValueError("gaussMeanRatio must be in [0, 1] and gaussStdRatio >= 0")

    @classmethod
    def parse(cls, data: Any, where: str) -> DelayConfig:
        """From a problem file's ``delayConfig`` object; errors name ``where`` and the key."""
        keys = {
            "seed": "seed",
            "minDelay": "min_delay",
            "maxDelay": "max_delay",
            "eventModel": "event_model",
            "pDelay": "p_delay",
            "durationModel": "duration_model",
            "gaussMeanRatio": "gauss_mean_ratio",
            "gaussStdRatio": "gauss_std_ratio",
        }
        if not isinstance(data, dict):
            raise SiteError(f"{where}: key 'delayConfig' must be an object, got {data!r}")
        missing = [k for k in keys if k not in data]
        if missing:
            raise SiteError(f"{where}: delayConfig lacks {', '.join(missing)}")
        values: dict[str, Any] = {}
        for key, field in keys.items():
            v = data[key]
            if key in ("seed", "minDelay", "maxDelay"):
                ok = isinstance(v, int) and not isinstance(v, bool)
            elif key in ("eventModel", "durationModel"):
                ok = isinstance(v, str)
            else:
                ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            if not ok:
                raise SiteError(f"{where}: delayConfig.{key} has a bad value {v!r}")
            values[field] = float(v) if key in ("pDelay", "gaussMeanRatio", "gaussStdRatio") else v
        try:
            return cls(**values)
        except ValueError as exc:
            raise SiteError(f"{where}: delayConfig: {exc}") from None


@dataclass(frozen=True, eq=False, repr=False)
class LorrProblem:
    """A LoRR lifelong-MAPF problem instance.

    Attributes:
        path: The problem JSON file.
        site: The site built from the map (emitters/service from ``E``/``S`` tiles).
        starts: Read-only int64 array of the first ``team_size`` agents' start cells.
        tasks: Tasks in file order; each is a tuple of errand cells (one cell in 2023).
        team_size: Number of agents.
        num_tasks_reveal: Tasks revealed per agent (2024) or per assignment (2023).
        assignment_strategy: 2023 ``taskAssignmentStrategy`` (e.g. ``"roundrobin"``),
            or None when the file has none (2024, 2026).
        version: Format year, 2023, 2024 or 2026.
        agent_counter: 2026: ticks a forward move or a quarter turn takes (else 1).
        agent_size: 2026: side of a robot's square footprint, in cells (else 1).
        delay: 2026: the execution delays' configuration (else None).
    """

    path: Path
    site: Site
    starts: np.ndarray
    tasks: tuple[tuple[int, ...], ...]
    team_size: int
    num_tasks_reveal: float
    assignment_strategy: str | None
    version: int
    agent_counter: int = 1
    agent_size: float = 1.0
    delay: DelayConfig | None = None

    @property
    def name(self) -> str:
        """The problem's name, the JSON file's stem (e.g. ``"RANDOM-01"``)."""
        return self.path.stem

    @property
    def grid(self) -> Grid:
        """The site's grid."""
        return self.site.grid

    def __repr__(self) -> str:
        return (
            f"LorrProblem(name={self.name!r}, version={self.version}, map={self.grid.name!r}, "
            f"team_size={self.team_size}, tasks={len(self.tasks)}, "
            f"num_tasks_reveal={self.num_tasks_reveal}, "
            f"assignment_strategy={self.assignment_strategy!r})"
        )


def _read_json(path: Path) -> dict[str, Any]:
    text = _read_text(path, "problem file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SiteError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise SiteError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _key(data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    if key not in data:
        raise SiteError(f"{path}: missing key {key!r}; LoRR problem files need it")
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise SiteError(f"{path}: key {key!r} has the wrong type: {value!r}")
    return value


def _map_path(data: dict[str, Any], path: Path) -> Path:
    map_file: str = _key(data, "mapFile", str, path)
    return path.parent / map_file


def load_site(path: str | Path) -> Site:
    """Loads a site from a ``.map`` file or from the map of a LoRR problem ``.json``.

    Raises:
        SiteError: If the file is missing or malformed, or has another suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".map":
        return Site.from_grid(load_map(path))
    if suffix == ".json":
        return Site.from_grid(load_map(_map_path(_read_json(path), path)))
    raise SiteError(f"{path}: cannot load a site from a {suffix!r} file; use .map or .json")


def _count_and_body(path: Path, what: str) -> tuple[list[str], int]:
    """Returns the N data lines of an agents/tasks file and the 1-based line of the first."""
    lines = _read_text(path, f"{what} file").splitlines()
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i += 1
    if i == len(lines):
        raise SiteError(f"{path}: {what} file is empty; it must start with a count line")
    try:
        count = int(lines[i])
    except ValueError:
        raise SiteError(
            f"{path}: line {i + 1}: expected the number of {what}, got {lines[i]!r}"
        ) from None
    body = lines[i + 1 : i + 1 + count]
    if count < 0 or len(body) < count:
        raise SiteError(
            f"{path}: line {i + 1}: declares {count} {what} but {len(body)} lines follow"
        )
    extra = [j for j in range(i + 1 + count, len(lines)) if lines[j].strip()]
    if extra:
        raise SiteError(
            f"{path}: line {extra[0] + 1}: more {what} lines than the {count} declared "
            f"on line {i + 1}"
        )
    return body, i + 2


def _bad_line(path: Path, body: list[str], first: int, what: str, commas: bool) -> SiteError:
    for j, line in enumerate(body):
        try:
            cells = [int(v) for v in line.split(",")] if commas else [int(line)]
        except ValueError:
            cells = []
        if not cells:
            form = "comma-separated cell ids" if commas else "one cell id"
            return SiteError(f"{path}: line {first + j}: {what} must be {form}, got {line!r}")
    return SiteError(f"{path}: cannot parse the {what}")  # pragma: no cover - defensive


def _check_cells(grid: Grid, cells: np.ndarray, lines: np.ndarray, path: Path, what: str) -> None:
    ok = (cells >= 0) & (cells < grid.size)
    ok[ok] = grid.free.reshape(-1)[cells[ok]]
    if ok.all():
        return
    k = int(np.argmin(ok))
    cell = int(cells[k])
    if 0 <= cell < grid.size:
        why = f"is blocked (tile {grid.tile(cell)!r}) on map {grid.name!r}"
    else:
        why = f"is outside the {grid.height}x{grid.width} map {grid.name!r}"
    raise SiteError(f"{path}: line {int(lines[k])}: {what} {grid.describe(cell)} {why}")


def _load_starts(path: Path, grid: Grid, team_size: int, json_path: Path) -> np.ndarray:
    body, first = _count_and_body(path, "agents")
    if team_size > len(body):
        raise SiteError(
            f"{json_path}: teamSize {team_size} exceeds the {len(body)} agents in {path}; "
            "lower teamSize or add start cells"
        )
    body = body[:team_size]
    try:
        starts = np.array([int(v) for v in body], dtype=np.int64)
    except ValueError:
        raise _bad_line(path, body, first, "agent start", commas=False) from None
    line_no = np.arange(first, first + len(body))
    _check_cells(grid, starts, line_no, path, "agent start")
    order = np.argsort(starts, kind="stable")
    dup = np.flatnonzero(starts[order][1:] == starts[order][:-1])
    if dup.size:
        a, b = int(order[dup[0]]), int(order[dup[0] + 1])
        raise SiteError(
            f"{path}: lines {first + a} and {first + b}: two agents start on "
            f"{grid.describe(int(starts[a]))}; each agent needs its own start cell"
        )
    starts.flags.writeable = False
    return starts


def _load_tasks(path: Path, grid: Grid, version: int) -> tuple[tuple[int, ...], ...]:
    body, first = _count_and_body(path, "tasks")
    if not body:
        raise SiteError(f"{path}: has no tasks; add at least one task line")
    commas = version >= 2024
    try:
        if commas:
            tasks = tuple(tuple(map(int, line.split(","))) for line in body)
            lengths = np.fromiter((len(t) for t in tasks), dtype=np.int64, count=len(tasks))
            flat = np.fromiter(
                (c for t in tasks for c in t), dtype=np.int64, count=int(lengths.sum())
            )
        else:
            flat = np.array([int(v) for v in body], dtype=np.int64)
            lengths = np.ones(len(body), dtype=np.int64)
            tasks = tuple(zip(flat.tolist(), strict=True))
    except ValueError:
        raise _bad_line(path, body, first, "task", commas) from None
    line_no = np.repeat(np.arange(first, first + len(body)), lengths)
    _check_cells(grid, flat, line_no, path, "task")
    return tasks


def load_lorr_problem(path: str | Path) -> LorrProblem:
    """Loads a LoRR 2023, 2024 or 2026 problem JSON with its map, agents and tasks.

    Args:
        path: The problem ``.json`` file.

    Returns:
        The problem; only the first ``teamSize`` agent starts are kept.

    Raises:
        SiteError: If a file is missing or malformed, a key is missing or has a bad value,
            ``teamSize`` exceeds the agents in the file, two agents share a start, or a
            start or task cell is out of range or blocked. The message names the file, line
            and cell (with row, col).
    """
    path = Path(path)
    data = _read_json(path)
    version_value = data.get("version")
    if version_value is None:
        version = 2023
    elif version_value == _VERSION_2024:
        version = 2024
    elif version_value == _VERSION_2026:
        version = 2026
    else:
        raise SiteError(
            f"{path}: key 'version' is {version_value!r}; expected {_VERSION_2026!r}, "
            f"{_VERSION_2024!r} or no key (2023 format)"
        )
    team_size = _key(data, "teamSize", int, path)
    if team_size < 1:
        raise SiteError(f"{path}: key 'teamSize' must be >= 1, got {team_size}")
    reveal = 1.0  # the LoRR default when the key is absent
    if "numTasksReveal" in data:
        reveal = float(_key(data, "numTasksReveal", (int, float), path))
    if not reveal > 0:
        raise SiteError(f"{path}: key 'numTasksReveal' must be > 0, got {reveal}")
    strategy: str | None = None
    if version == 2023 or "taskAssignmentStrategy" in data:
        strategy = _key(data, "taskAssignmentStrategy", str, path)
        if strategy not in ASSIGNMENT_STRATEGIES:
            raise SiteError(
                f"{path}: key 'taskAssignmentStrategy' is {strategy!r}; expected one of "
                f"{sorted(ASSIGNMENT_STRATEGIES)}"
            )
    grid = load_map(_map_path(data, path))
    agent_file = path.parent / _key(data, "agentFile", str, path)
    task_file = path.parent / _key(data, "taskFile", str, path)
    starts = _load_starts(agent_file, grid, team_size, path)
    tasks = _load_tasks(task_file, grid, version)
    counter, size, delay = 1, 1.0, None
    if version == 2026:
        counter = _key(data, "agentCounter", int, path) if "agentCounter" in data else 10
        if counter < 1:
            raise SiteError(f"{path}: key 'agentCounter' must be >= 1, got {counter}")
        size = float(_key(data, "agentSize", (int, float), path)) if "agentSize" in data else 1.0
        if not size > 0:
            raise SiteError(f"{path}: key 'agentSize' must be > 0, got {size}")
        if "delayConfig" not in data:
            raise SiteError(f"{path}: missing key 'delayConfig'; 2026 problems need it")
        delay = DelayConfig.parse(data["delayConfig"], str(path))
    return LorrProblem(
        path=path,
        site=Site.from_grid(grid),
        starts=starts,
        tasks=tasks,
        team_size=team_size,
        num_tasks_reveal=reveal,
        assignment_strategy=strategy,
        version=version,
        agent_counter=counter,
        agent_size=size,
        delay=delay,
    )
