"""Errors that carry a message a person can act on."""

from __future__ import annotations


class GeoNtmError(Exception):
    """Base of all geo_ntm errors; ``str(err)`` is the user-facing message."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        if not self.details:
            return self.message
        shown = self.details[:50]
        more = f"\n  ... and {len(self.details) - 50} more" if len(self.details) > 50 else ""
        return self.message + "\n  " + "\n  ".join(shown) + more


class InputError(GeoNtmError):
    """A file, a name or a request is wrong; nothing was stored."""


class NotFoundError(GeoNtmError):
    """A unit, vintage, framework or province asked for does not exist."""


class StoreBusyError(GeoNtmError):
    """The store could not serve the request now (no free connection): try again shortly."""


class StoreUnavailableError(GeoNtmError):
    """The database server cannot be reached (refused, timed out, starting up): try again later.

    ``message`` is what a client may be told and names no host, port or user; ``details`` say
    which server could not be reached and why, for the operator (``str()``, the CLI and the logs)."""

    MESSAGE = "the database is not reachable; try again later"

    def __init__(self, details: list[str] | None = None):
        super().__init__(self.MESSAGE, details)
