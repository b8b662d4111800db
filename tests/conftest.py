"""Shared test helpers."""

import json

MAP = ["type octile", "height 4", "width 6", "map", "......", ".@@...", "......", "......"]


def write_lorr_problem(
    tmp_path, starts, tasks, version=2024, strategy="roundrobin", reveal=1.5, rows=None
):
    """Write a tiny LoRR problem (the 6x4 map, or ``rows``) into ``tmp_path``; return the
    JSON path."""
    if rows is None:
        lines = MAP
    else:
        lines = ["type octile", f"height {len(rows)}", f"width {len(rows[0])}", "map", *rows]
    (tmp_path / "m.map").write_text("\n".join(lines) + "\n")
    head = "# version for LoRR 2024\n" if version == 2024 else ""
    (tmp_path / "a.agents").write_text(head + f"{len(starts)}\n" + "\n".join(map(str, starts)))
    body = "\n".join(",".join(map(str, t)) for t in tasks)
    (tmp_path / "t.tasks").write_text(head + f"{len(tasks)}\n" + body)
    spec = {
        "mapFile": "m.map",
        "agentFile": "a.agents",
        "teamSize": len(starts),
        "taskFile": "t.tasks",
        "numTasksReveal": reveal,
    }
    if version == 2024:
        spec["version"] = "2024 LoRR"
    else:
        spec["taskAssignmentStrategy"] = strategy
    (tmp_path / "p.json").write_text(json.dumps(spec))
    (tmp_path / "simulation_time.json").write_text(json.dumps({"p": 40}))
    return tmp_path / "p.json"
