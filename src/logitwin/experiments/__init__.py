"""Experiments over scenarios: parameter sweeps with replications, run on Ray."""

from logitwin.experiments.sweep import (
    Job,
    SweepResult,
    expand,
    mean_ci,
    parse_grid,
    run_job,
    run_sweep,
    summarise,
    t_quantile_975,
)

__all__ = [
    "Job",
    "SweepResult",
    "expand",
    "mean_ci",
    "parse_grid",
    "run_job",
    "run_sweep",
    "summarise",
    "t_quantile_975",
]
