"""How far a long computation has got, for whoever runs it: the API's background jobs show it at
``/jobs/{id}`` (``api.jobs``). The computation calls ``report_progress``; the runner installs the
receiver with ``reporting_to``. Without one (the CLI, the tests), a report does nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: The receiver of this process's reports: (fraction done in [0, 1], short message) -> None.
_receiver: Callable[[float, str], None] | None = None


def report_progress(fraction: float, message: str) -> None:
    """Say that the running computation is ``fraction`` (0..1) done and what it is doing now."""
    if _receiver is not None:
        _receiver(min(max(float(fraction), 0.0), 1.0), message)


@contextmanager
def reporting_to(receiver: Callable[[float, str], None]) -> Iterator[None]:
    """Send the reports made inside the block to ``receiver``."""
    global _receiver
    previous, _receiver = _receiver, receiver
    try:
        yield
    finally:
        _receiver = previous
