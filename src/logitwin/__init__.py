"""logitwin: a digital twin and control system for logistics sites."""

from logitwin.errors import LogitwinError, ProtocolError, ScenarioError

__version__ = "0.1.0"
__all__ = ["LogitwinError", "ProtocolError", "ScenarioError", "__version__"]
