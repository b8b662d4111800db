"""One exception hierarchy for the whole package."""


class LogitwinError(Exception):
    """Base class of every error logitwin raises on purpose."""


class ScenarioError(LogitwinError):
    """A scenario file or override is invalid; the message names the field."""


class SiteError(LogitwinError):
    """A map, layout or problem file is invalid; the message names the file and the cause."""


class ProtocolError(LogitwinError):
    """A message is unknown or malformed; the message names the type and field."""


class JournalError(LogitwinError):
    """An event journal is missing, unreadable or inconsistent."""
