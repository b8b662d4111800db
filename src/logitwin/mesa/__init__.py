"""The twin as a Mesa model, for agent-based modellers.

:class:`TwinModel` wraps a twin as a ``mesa.Model`` (Mesa 3): each ``step()`` advances
the twin by ``step_s`` simulated seconds; robots, stations and orders are read-only
agents on a ``mesa.space.MultiGrid``; ``DataCollector`` and ``mesa.batch_run`` work over
scenario parameters::

    import mesa
    from logitwin.mesa import TwinModel

    rows = mesa.batch_run(TwinModel, {"robots": [4, 6], "seed": range(3)},
                          max_steps=60, number_processes=1)

Importing this package imports Mesa, which sets the process's multiprocessing start
method to ``spawn`` (``mesa.batchrunner`` does so on import); nothing else in logitwin
imports it.
"""

from logitwin.mesa.agents import OrderAgent, RobotAgent, StationAgent, TwinAgent
from logitwin.mesa.model import AGENT_REPORTERS, MODEL_REPORTERS, PARAMETERS, TwinModel

__all__ = [
    "AGENT_REPORTERS",
    "MODEL_REPORTERS",
    "PARAMETERS",
    "OrderAgent",
    "RobotAgent",
    "StationAgent",
    "TwinAgent",
    "TwinModel",
]
