"""VDA 5050 (2.0, valid as 2.1) over MQTT: the twin as master control of vehicles.

:func:`make_driver` is the driver registry's ``vda5050`` entry; the test vehicle process
is :func:`logitwin.bridge.vda5050.vehicle.main`. Options read from the
:class:`~logitwin.robots.fleet.FleetSetup`: ``broker`` (``127.0.0.1:1883``),
``interface`` (``uagv``), ``manufacturer`` (``logitwin``), ``map`` (``floor``),
``offline_after_s`` (``2.0``).
"""

from __future__ import annotations

from logitwin.bridge.vda5050.master import Vda5050Fleet
from logitwin.bridge.vda5050.wire import Schemas, Topics
from logitwin.robots.fleet import FleetSetup

__all__ = ["Schemas", "Topics", "Vda5050Fleet", "make_driver"]


def make_driver(setup: FleetSetup) -> Vda5050Fleet:
    """The VDA 5050 driver for ``setup`` (options: see the module docstring).

    Raises:
        ValueError: an option is malformed (names it).
        ProtocolError: the broker cannot be reached.
    """
    text = setup.option("offline_after_s", "2.0")
    try:
        offline_after_s = float(text)
    except ValueError:
        raise ValueError(f"option offline_after_s={text!r}: expected seconds, e.g. 2.0") from None
    return Vda5050Fleet(
        setup,
        broker=setup.option("broker", "127.0.0.1:1883"),
        topics=Topics(setup.option("interface", "uagv"), setup.option("manufacturer", "logitwin")),
        offline_after_s=offline_after_s,
        map_id=setup.option("map", "floor"),
    )
