"""Each stage of a benchmark in a fresh process of its own: spawned, so its imports, time and peak
memory are its own; not daemonic, so geo_ntm forks its workers there as it does on the command
line (a daemonic process, such as a ``multiprocessing.Pool`` worker, may have no children and
geo_ntm falls back to threads)."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any


def in_fresh_process(func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` computed in a new spawned process (``func`` and ``args`` picklable); an
    exception there is raised here as a RuntimeError with the child's traceback."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_answer, args=(sender, func, args), name="bench-stage")
    child.start()
    sender.close()  # the child holds the only writer: EOF when it dies
    try:
        outcome, value = receiver.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"the stage {func.__name__}{args!r:.200} died (exit code {child.exitcode})") from None
    child.join()
    if outcome == "error":
        raise RuntimeError(f"the stage {func.__name__} failed:\n{value}")
    return value


def _answer(sender, func: Callable[..., Any], args: tuple) -> None:
    try:
        answer = ("ok", func(*args))
    except BaseException:
        answer = ("error", traceback.format_exc())
    sender.send(answer)
    sender.close()
