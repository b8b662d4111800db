"""Scenario schema, loading, building, running, KPIs and reports."""

from logitwin.scenarios.build import Twin, build_twin
from logitwin.scenarios.kpis import Projection, project
from logitwin.scenarios.loader import builtin_names, load_scenario, parse_scenario
from logitwin.scenarios.runner import RunResult, replay, run_scenario
from logitwin.scenarios.schema import Scenario

__all__ = [
    "Projection",
    "RunResult",
    "Scenario",
    "Twin",
    "build_twin",
    "builtin_names",
    "load_scenario",
    "parse_scenario",
    "project",
    "replay",
    "run_scenario",
]
