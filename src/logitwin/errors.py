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


class ActorError(LogitwinError):
    """An actor failed while handling a message: a broken invariant of the twin, not bad
    input. The message names the entity, the message, its sender and the time.

    Attributes:
        entity: the failing actor's id.
        message: the message type it was handling.
        cause: the original exception.
    """

    def __init__(self, entity: str, message: str, sender: str, time: float, cause: Exception):
        super().__init__(
            f"{entity} failed handling {message} from {sender} at t={time:g} s: "
            f"{type(cause).__name__}: {cause}"
        )
        self.entity = entity
        self.message = message
        self.sender = sender
        self.time = time
        self.cause = cause

    def __reduce__(self) -> tuple[object, ...]:  # picklable across Ray processes
        return (type(self), (self.entity, self.message, self.sender, self.time, self.cause))
