"""The project's exceptions: one root, subclasses that also inherit the matching builtin."""

from __future__ import annotations


class FlashpointError(Exception):
    """Root of every error Flashpoint raises on purpose.

    The message says what was expected, what arrived and what to do next; the CLI prints it
    as one line and exits with code 1.
    """


class InvalidInput(FlashpointError, ValueError):
    """A value given by the user (option, filter, file) cannot be used."""


class UnknownCountry(FlashpointError, KeyError):
    """A country code or name that no supported code system knows."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the message as written
        return str(self.args[0]) if self.args else ""


class UnknownFormat(FlashpointError, ValueError):
    """A file whose format cannot be recognised (or does not match the forced format)."""


class UnknownSource(FlashpointError, KeyError):
    """A data source name that Flashpoint has no reader for."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotPermitted(FlashpointError, PermissionError):
    """A request for what the configuration does not allow (a file outside the import folder)."""


class StoreError(FlashpointError, RuntimeError):
    """The event store cannot be opened or written."""


class RemoteError(FlashpointError, ConnectionError):
    """A remote source cannot be reached, or answers what it should not (an error, not JSON, a loop)."""


class TooLarge(FlashpointError, ValueError):
    """An answer larger than the server sends: the message says how to ask for less."""
