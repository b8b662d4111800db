"""Render a run's floor from its journal as an animated GIF a planner can open anywhere.

Each frame shows the floor (racks, pick stations and their queues, chargers, docks), a
congestion heat layer (where robots have been over the last minute), and every robot
coloured by what it is doing; a robot carrying a pod is drawn as a square. Frames are
sampled from the journal alone: the traffic controller's positions and moves, the
robots' statuses, the release backlog and the orders picked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from logitwin.actors.journal import JournalReader
from logitwin.errors import LogitwinError

__all__ = ["Frame", "frames", "render_gif"]

_CARRYING = {"to_station", "queued", "picking", "to_storage", "lowering"}
_GROUP_COLOR = {
    "idle": "#9e9e9e",
    "working": "#1f77b4",
    "carrying": "#ff7f0e",
    "charging": "#2ca02c",
}


def _group(status: str) -> str:
    if status in _CARRYING:
        return "carrying"
    if status in ("wait_charger", "to_charger", "charging"):
        return "charging"
    return "idle" if status == "idle" else "working"


@dataclass
class Frame:
    """The floor at one instant."""

    time: float
    cells: np.ndarray  # robot cells
    groups: list[str]  # robot activity group
    heat: np.ndarray  # flattened grid: recent robot presence
    backlog: int
    picked: int


def frames(
    journal: Path, start_s: float, end_s: float, every_s: float, heat_half_life_s: float = 30.0
) -> tuple[list[Frame], Any]:
    """Frames every ``every_s`` seconds in ``[start_s, end_s)`` and the run's site."""
    from logitwin.scenarios.build import build_site
    from logitwin.scenarios.loader import parse_scenario

    if not journal.is_file():
        raise LogitwinError(f"{journal} does not exist; animate needs a run folder's journal")
    if every_s <= 0 or end_s <= start_s:
        raise LogitwinError("animate needs a positive frame interval and a non-empty span")
    with JournalReader(journal) as j:
        meta = j.meta()
        try:
            scenario = parse_scenario(json.loads(meta["scenario"]), str(journal))
            horizon = float(meta["horizon_s"])
        except KeyError:
            raise LogitwinError(f"{journal}: journal has no run metadata") from None
        if start_s >= horizon:
            raise LogitwinError(
                f"the run lasts {horizon / 60:g} min; --from-min must be less than that"
            )
        end_s = min(end_s, horizon)
        site = build_site(scenario)
        size = site.grid.size
        pos: list[int] = []
        status: dict[int, str] = {}
        backlog = picked = 0
        heat = np.zeros(size)
        decay = 0.5 ** (every_s / heat_half_life_s)
        out: list[Frame] = []
        t_next = start_s
        # Heat builds up from a little before the first frame.
        warm = max(0.0, start_s - 4 * heat_half_life_s)
        t_heat = warm

        def emit(upto: float) -> None:
            nonlocal t_next, t_heat
            while t_heat < min(upto, end_s) and pos:
                heat[:] *= decay
                np.add.at(heat, np.asarray(pos), 1.0)
                if t_heat >= t_next - 1e-9 and t_heat >= start_s:
                    groups = [_group(status.get(i, "idle")) for i in range(len(pos))]
                    out.append(Frame(t_heat, np.asarray(pos), groups, heat.copy(), backlog, picked))
                    t_next += every_s
                t_heat += every_s

        for row in j.rows():
            if row.kind != "state":
                continue
            if row.time > t_heat:
                emit(row.time)
                if t_heat >= end_s:
                    break
            body = row.body
            if row.type == "traffic":
                if "positions" in body:
                    pos = list(body["positions"])
                if "done" in body:
                    done = body["done"]
                    for k in range(0, len(done), 3):
                        pos[done[k]] = done[k + 1]
            elif row.type == "robot" and "status" in body:
                status[int(row.entity.split(":")[1])] = body["status"]
            elif row.type == "release" and "backlog" in body:
                backlog = int(body["backlog"])
            elif row.type == "order" and body.get("status") == "picked":
                picked += 1
        emit(end_s)
    return out, site


def render_gif(
    run_dir: Path, out: Path, start_min: float | None, minutes: float, every_s: float, fps: int
) -> tuple[Path, int]:
    """Write the GIF; return its path and the number of frames.

    ``start_min`` ``None``: an hour into runs of two hours or more, else the start.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter
    from matplotlib.colors import ListedColormap

    if fps < 1:
        raise LogitwinError(f"--fps must be >= 1, got {fps}")
    if minutes <= 0:
        raise LogitwinError(f"--minutes must be > 0, got {minutes}")
    journal = run_dir / "journal.sqlite" if run_dir.is_dir() else run_dir
    if start_min is None:
        with JournalReader(journal) as j:
            horizon = float(j.meta().get("horizon_s", 0.0))
        start_min = 60.0 if horizon >= 2 * 3600 else 0.0
    fr, site = frames(journal, start_min * 60.0, (start_min + minutes) * 60.0, every_s)
    if not fr:
        raise LogitwinError("no robot positions in that span of the run")
    g = site.grid
    h, w = g.height, g.width
    # Floor: 0 blocked, 1 aisle, 2 rack, 3 station queue, 4 pick cell, 5 charger, 6 dock.
    floor = np.ones(g.size)
    floor[~np.isin(np.arange(g.size), g.free_cells)] = 0
    floor[list(site.storage)] = 2
    for st in site.stations:
        floor[list(st.queue)] = 3
        floor[st.pick_cell] = 4
    floor[list(site.chargers)] = 5
    floor[[d.cell for d in site.docks]] = 6
    cmap = ListedColormap(["#3a3a3a", "#ffffff", "#e8dcc8", "#c7e9c0", "#41ab5d", "#fff176",
                           "#90caf9"])  # fmt: skip
    scale = max(1.0, 9.0 / max(w, 1) * 1.6)
    fig, ax = plt.subplots(figsize=(max(6.0, w * 0.16 * scale), max(3.0, h * 0.16 * scale) + 0.9))
    ax.imshow(floor.reshape(h, w), cmap=cmap, vmin=0, vmax=6, interpolation="nearest")
    vmax = max(1.0, float(np.percentile(np.concatenate([f.heat for f in fr]), 99.5)))
    heat_cmap = plt.get_cmap("Reds").copy()
    heat_cmap.set_under(alpha=0.0)
    heat_im = ax.imshow(fr[0].heat.reshape(h, w), cmap=heat_cmap, vmin=0.05 * vmax, vmax=vmax,
                        alpha=0.55, interpolation="nearest")  # fmt: skip
    n = len(fr[0].cells)
    dots = ax.scatter(np.zeros(n), np.zeros(n), s=28, edgecolors="black", linewidths=0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    title = ax.set_title("")
    for label, color in _GROUP_COLOR.items():
        ax.scatter([], [], c=color, label=label, edgecolors="black", linewidths=0.5, s=28)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=4, fontsize=8,
              frameon=False)  # fmt: skip
    from matplotlib.markers import MarkerStyle

    def _marker(name: str) -> Any:
        m = MarkerStyle(name)
        return m.get_path().transformed(m.get_transform())

    square, circle = _marker("s"), _marker("o")  # a square carries a pod

    def draw(k: int) -> Any:
        f = fr[k]
        rows, cols = np.divmod(f.cells, w)
        dots.set_offsets(np.column_stack([cols, rows]))
        dots.set_facecolor([_GROUP_COLOR[gr] for gr in f.groups])
        dots.set_paths([square if gr == "carrying" else circle for gr in f.groups])
        heat_im.set_data(f.heat.reshape(h, w))
        hh, mm = divmod(int(f.time // 60), 60)
        ss = int(f.time % 60)
        title.set_text(
            f"{run_dir.name}  {hh:02d}:{mm:02d}:{ss:02d}   backlog {f.backlog}   "
            f"orders picked {f.picked}"
        )
        return dots, heat_im, title

    fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.07)
    anim = FuncAnimation(fig, draw, frames=len(fr), blit=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    anim.save(str(out), writer=PillowWriter(fps=fps), dpi=100)
    plt.close(fig)
    return out, len(fr)
