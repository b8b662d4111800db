"""logitwin.site: grids, sites, layouts, distances and map/problem loaders."""

from logitwin.site.distance import UNREACHABLE, DistanceOracle, bfs_distances
from logitwin.site.grid import BLOCKED_CHARS, FREE_CHARS, Grid
from logitwin.site.io import (
    ASSIGNMENT_STRATEGIES,
    LorrProblem,
    load_lorr_problem,
    load_map,
    load_site,
)
from logitwin.site.layout import LayoutParams, generate_layout
from logitwin.site.site import DockSpec, Site, StationSpec

__all__ = [
    "ASSIGNMENT_STRATEGIES",
    "BLOCKED_CHARS",
    "FREE_CHARS",
    "UNREACHABLE",
    "DistanceOracle",
    "DockSpec",
    "Grid",
    "LayoutParams",
    "LorrProblem",
    "Site",
    "StationSpec",
    "bfs_distances",
    "generate_layout",
    "load_lorr_problem",
    "load_map",
    "load_site",
]
