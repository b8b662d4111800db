"""A self-contained HTML comparison report: tables and plots (inline SVG, no scripts).

Plots: headline KPIs as bars with 95% CIs per arm; throughput and release backlog over
the shift (mean over an arm's runs, from ``timeseries.csv``); robot state shares; a floor
congestion heatmap (robot-steps per cell, from the first run's journal); and the order
cycle-time distribution (from up to three runs' journals per arm).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from logitwin.experiments.compare import HEADLINE, Arm, Diff, headline

__all__ = ["floor_occupancy", "write_report"]

_CYCLE_RUNS = 3  # journals read per arm for the cycle-time distribution


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    _plt().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _colors(n: int) -> list[Any]:
    cmap = _plt().get_cmap("tab10")
    return [cmap(i % 10) for i in range(n)]


def _kpi_bars(arms: list[Arm]) -> str:
    plt = _plt()
    keys = [(k, label) for k, label, _ in headline(arms)]
    cols = 4
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    colors = _colors(len(arms))
    for ax, (k, label) in zip(axes.flat, keys, strict=False):
        means, errs = zip(*(a.mean_ci(k) for a in arms), strict=True)
        errs = tuple(0.0 if not math.isfinite(e) else e for e in errs)
        ax.bar(range(len(arms)), means, yerr=errs, color=colors, capsize=4)
        ax.set_title(label, fontsize=9)
        ax.set_xticks(range(len(arms)), [str(i + 1) for i in range(len(arms))], fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    fig.suptitle("mean and 95% CI per arm (numbers as in the table)", fontsize=10)
    fig.tight_layout()
    return _svg(fig)


def _series(arm: Arm) -> dict[str, np.ndarray] | None:
    """Mean per-minute series over the arm's runs: minute, throughput (orders/h), backlog."""
    curves = []
    for d in arm.run_dirs:
        f = d / "timeseries.csv"
        if not f.is_file():
            continue
        with open(f, newline="") as fh:
            rows = list(csv.DictReader(fh))
        if not rows:
            continue
        minute = np.array([float(r["minute"]) for r in rows])
        picked = np.array([float(r["orders_picked"]) for r in rows])
        backlog = np.array([float(r["backlog"]) for r in rows])
        curves.append((minute, picked, backlog))
    if not curves:
        return None
    n = min(len(c[0]) for c in curves)
    minute = curves[0][0][:n]
    picked = np.mean([c[1][:n] for c in curves], axis=0)
    backlog = np.mean([c[2][:n] for c in curves], axis=0)
    window = 15  # minutes of the rolling throughput
    rate = np.zeros(n)
    for i in range(n):
        j = max(0, i - window)
        span = minute[i] - (minute[j] if i > j else 0.0)
        rate[i] = (picked[i] - (picked[j] if i > j else 0.0)) * 60.0 / max(span, 1.0)
    return {"hour": minute / 60.0, "rate": rate, "backlog": backlog}


def _over_shift(arms: list[Arm]) -> str:
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 3.4))
    for i, (arm, color) in enumerate(zip(arms, _colors(len(arms)), strict=True)):
        s = _series(arm)
        if s is None:
            continue
        a1.plot(s["hour"], s["rate"], color=color, label=f"{i + 1}. {arm.label}")
        a2.plot(s["hour"], s["backlog"], color=color)
    a1.set_title("throughput over the shift (orders/h, rolling 15 min)", fontsize=10)
    a2.set_title("orders waiting for release (backlog)", fontsize=10)
    for ax in (a1, a2):
        ax.set_xlabel("hour")
        ax.grid(alpha=0.3)
    a1.legend(fontsize=8)
    fig.tight_layout()
    return _svg(fig)


def _robot_states(arms: list[Arm]) -> str:
    plt = _plt()
    parts = (
        ("robot_moving_share", "moving", "#2b8cbe"),
        ("robot_waiting_share", "waiting", "#fdae61"),
        ("robot_charging_share", "charging", "#66bd63"),
        ("robot_idle_share", "idle", "#bdbdbd"),
    )
    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.45 * len(arms)))
    left = np.zeros(len(arms))
    for key, label, color in parts:
        vals = np.array([a.mean_ci(key)[0] for a in arms])
        vals = np.nan_to_num(vals)
        ax.barh(range(len(arms)), vals, left=left, color=color, label=label)
        left += vals
    ax.set_yticks(range(len(arms)), [f"{i + 1}. {a.label}" for i, a in enumerate(arms)])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of robot time")
    ax.legend(ncol=4, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return _svg(fig)


def floor_occupancy(run_dir: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """Robot-seconds per cell over a run (from its journal's executed moves) and the
    floor's free mask, both (height, width); ``None`` when the run has no journal."""
    from logitwin.actors.journal import JournalReader
    from logitwin.scenarios.build import build_site
    from logitwin.scenarios.kpis import project
    from logitwin.scenarios.loader import parse_scenario

    journal = run_dir / "journal.sqlite"
    if not journal.is_file():
        return None
    with JournalReader(journal) as j:
        meta = j.meta()
        proj = project(j.rows(), float(meta["horizon_s"]), float(meta["cell_m"]), True)
        scenario = parse_scenario(json.loads(meta["scenario"]), str(journal))
    grid = build_site(scenario).grid
    counts = np.zeros(grid.size)
    horizon = float(meta["horizon_s"])
    here = list(proj.starts)
    since = [0.0] * len(here)
    for m in proj.moves or []:  # in journal order: by end time
        counts[here[m.robot]] += m.end - since[m.robot]
        here[m.robot], since[m.robot] = m.cell, m.end
    for r, c in enumerate(here):
        counts[c] += max(0.0, horizon - since[r])
    free = np.zeros(grid.size, dtype=bool)
    free[grid.free_cells] = True
    return counts.reshape(grid.height, grid.width), free.reshape(grid.height, grid.width)


def _heatmaps(arms: list[Arm]) -> str:
    plt = _plt()
    maps = []
    for i, arm in enumerate(arms):
        occ = floor_occupancy(arm.run_dirs[0]) if arm.run_dirs else None
        if occ is not None:
            maps.append((f"{i + 1}. {arm.label}", occ))
    if not maps:
        return "<p>No run journals found: no congestion heatmap.</p>"
    from matplotlib.colors import PowerNorm

    # Stations' pick cells hold robots most of the time; a square-root scale capped at the
    # 99th percentile keeps the aisles' differences visible beside them.
    vmax = max(float(np.percentile(m[0][m[1]], 99)) for _, m in maps) or 1.0
    cols = min(2, len(maps))
    rows = math.ceil(len(maps) / cols)
    h, w = maps[0][1][0].shape
    fig, axes = plt.subplots(rows, cols, figsize=(7.0 * cols, (7.0 * h / w + 0.5) * rows + 0.6))
    axes = np.atleast_1d(axes).ravel()
    cmap = plt.get_cmap("inferno").copy()
    cmap.set_bad("#7a7a7a")
    norm = PowerNorm(gamma=0.5, vmin=0, vmax=vmax)
    im = None
    for ax, (label, (counts, free)) in zip(axes, maps, strict=False):
        data = np.ma.masked_where(~free, counts)
        im = ax.imshow(data, cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(label, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(maps) :]:
        ax.axis("off")
    if im is not None:
        fig.colorbar(
            im, ax=list(axes[: len(maps)]), shrink=0.8, label="robot-seconds per cell (sqrt scale)"
        )
    fig.suptitle("floor congestion: where robots spend their time (first run; grey: walls)")
    return _svg(fig)


def _cycle_times(arm: Arm) -> list[float]:
    from logitwin.actors.journal import JournalReader
    from logitwin.scenarios.kpis import project

    out: list[float] = []
    for d in arm.run_dirs[:_CYCLE_RUNS]:
        j = d / "journal.sqlite"
        if not j.is_file():
            continue
        with JournalReader(j) as r:
            meta = r.meta()
            proj = project(r.rows(), float(meta["horizon_s"]), float(meta["cell_m"]))
        for ent, st in proj.state.items():
            if proj.kinds[ent] == "order" and "packed_at" in st:
                out.append((st["packed_at"] - st["created"]) / 60.0)
    return out


def _cycle_plot(arms: list[Arm]) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    any_data = False
    for i, (arm, color) in enumerate(zip(arms, _colors(len(arms)), strict=True)):
        xs = np.sort(_cycle_times(arm))
        if not len(xs):
            continue
        any_data = True
        ax.step(xs, np.arange(1, len(xs) + 1) / len(xs), color=color, where="post",
                label=f"{i + 1}. {arm.label} (n={len(xs)})")  # fmt: skip
    if not any_data:
        plt.close(fig)
        return "<p>No run journals found: no cycle-time distribution.</p>"
    ax.set_xlabel("order cycle time, arrival to packed (min)")
    ax.set_ylabel("share of orders")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("order cycle-time distribution (cumulative)", fontsize=10)
    fig.tight_layout()
    return _svg(fig)


def _num(v: float, k: str) -> str:
    if not math.isfinite(v):
        return "n/a"
    if k.endswith("share") or k in ("station_utilisation", "door_utilisation"):
        return f"{100 * v:.1f}%"
    return f"{v:,.2f}"


def _arms_table(arms: list[Arm]) -> str:
    shown = headline(arms)
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in shown)
    rows = []
    for i, a in enumerate(arms):
        cells = []
        for k, _, _ in shown:
            m, h = a.mean_ci(k)
            ci = "" if not math.isfinite(h) else f" ± {_num(h, k)}"
            cells.append(f"<td>{_num(m, k)}{ci}</td>")
        rows.append(
            f"<tr><td>{i + 1}</td><td>{html.escape(a.label)}</td><td>{len(a.kpis)}</td>"
            + "".join(cells)
            + "</tr>"
        )
    return f"<table><tr><th>#</th><th>arm</th><th>runs</th>{head}</tr>{''.join(rows)}</table>"


def _diff_table(diffs: list[Diff]) -> str:
    better = {k: up for k, _, up in HEADLINE}
    labels = {k: label for k, label, _ in HEADLINE}
    rows = []
    for d in diffs:
        if d.significant:
            good = (d.diff > 0) == better.get(d.kpi, True)
            verdict = f"<b class={'good' if good else 'bad'}>{'better' if good else 'worse'}</b>"
        else:
            verdict = "no significant difference"
        rows.append(
            f"<tr><td>{html.escape(d.arm)}</td><td>{html.escape(labels.get(d.kpi, d.kpi))}</td>"
            f"<td>{_num(d.baseline, d.kpi)}</td><td>{_num(d.value, d.kpi)}</td>"
            f"<td>{_num(d.diff, d.kpi)} [{_num(d.ci_low, d.kpi)}, {_num(d.ci_high, d.kpi)}]"
            f"</td><td>{'paired' if d.paired else 'Welch'}</td><td>{verdict}</td></tr>"
        )
    return (
        "<table><tr><th>arm</th><th>KPI</th><th>baseline</th><th>arm</th>"
        "<th>difference [95% CI]</th><th>test</th><th>verdict</th></tr>"
        + "".join(rows)
        + "</table>"
    )


_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1300px}
table{border-collapse:collapse;margin:8px 0 24px;font-size:13px}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:nth-child(2),th:nth-child(2),td:first-child{text-align:left}
th{background:#f2f2f2}.good{color:#1a7f37}.bad{color:#c62828}
h2{margin-top:32px;border-bottom:1px solid #ddd}svg{max-width:100%;height:auto}
"""


def write_report(arms: list[Arm], diffs: list[Diff], out: Path, title: str) -> Path:
    """Write the comparison report to ``out`` (one HTML file, no external resources)."""
    baseline = html.escape(arms[0].label)
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Baseline: <b>1. {baseline}</b>. Intervals are 95%: Student t over an arm's "
        "runs; differences are paired by seed when both arms ran the same seeds (common "
        "random numbers), Welch's otherwise. A difference is significant when its interval "
        "excludes zero.</p>",
        "<h2>Arms</h2>",
        _arms_table(arms),
    ]
    if diffs:
        parts += ["<h2>Differences to the baseline</h2>", _diff_table(diffs)]
    parts += [
        "<h2>KPIs</h2>",
        _kpi_bars(arms),
        "<h2>Over the shift</h2>",
        _over_shift(arms),
        "<h2>Robot time</h2>",
        _robot_states(arms),
        "<h2>Floor congestion</h2>",
        _heatmaps(arms),
        "<h2>Order cycle times</h2>",
        _cycle_plot(arms),
        "</body></html>",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
