"""Tests for logitwin.site.site."""

from __future__ import annotations

import pytest

from logitwin.errors import SiteError
from logitwin.site.grid import Grid
from logitwin.site.site import DockSpec, Site, StationSpec

# 5 wide x 3 high; cell 7 (row 1, col 2) is blocked.
GRID = Grid.from_strings([".....", "..@..", "E...S"], name="g")


def test_valid_site_and_lookups() -> None:
    site = Site(
        name="s",
        grid=GRID,
        storage=[3, 4],  # type: ignore[arg-type]
        stations=(StationSpec("p1", pick_cell=10, queue=(11, 12)),),
        docks=(DockSpec("d1", cell=9),),
        chargers=(0,),
    )
    assert site.storage == (3, 4)
    assert site.station("p1").cells == (10, 11, 12)
    assert site.dock("d1").cell == 9
    with pytest.raises(KeyError, match="known"):
        site.station("d1")
    assert "storage=2" in repr(site)


def test_from_grid_reads_emitters_and_service() -> None:
    site = Site.from_grid(GRID)
    assert site.name == "g" and site.emitters == (10,) and site.service == (14,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"storage": (7,)}, r"storage cell 7 \(row 1, col 2\) is blocked"),
        ({"storage": (15,)}, r"storage cell 15 .* outside the grid"),
        ({"chargers": (1, 1)}, r"charger cell 1 \(row 0, col 1\) is already used as charger"),
        ({"storage": (1,), "chargers": (1,)}, r"charger cell 1 .* already used as storage"),
        (
            {"docks": (DockSpec("x", 2),), "stations": (StationSpec("x", 0),)},
            "id 'x' is used by a station and a dock",
        ),
        ({"docks": (DockSpec("d1", 0), DockSpec("d2", 0))}, "dock d2 cell 0 .* used as dock d1"),
        ({"stations": (StationSpec("p", 10, (12,)),)}, r"queue cell p cell 12 .* not 4-adjacent"),
        ({"emitters": (7,)}, r"emitters cell 7 \(row 1, col 2\) is blocked"),
        ({"service": (3, 3)}, "service cell 3 .* listed twice"),
    ],
)
def test_invalid_sites(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SiteError, match=message):
        Site(name="s", grid=GRID, **kwargs)  # type: ignore[arg-type]


def test_spec_validation() -> None:
    with pytest.raises(SiteError, match="non-empty string"):
        StationSpec("", 0)
    with pytest.raises(SiteError, match="integers"):
        DockSpec("d", 1.5)  # type: ignore[arg-type]
