"""Each stage of a benchmark in a fresh process of its own: spawned, so its imports, time and peak
memory are its own; not daemonic, so geo_ntm forks its workers there as it does on the command
line (a daemonic process, such as a ``multiprocessing.Pool`` worker, may have no children and
geo_ntm falls back to threads). The memory of the stage's process and its children is sampled
from the benchmark's own process meanwhile (``TreeMemory``)."""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from collections.abc import Callable
from typing import Any


def in_fresh_process(func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` computed in a new spawned process (``func`` and ``args`` picklable); an
    exception there is raised here as a RuntimeError with the child's traceback. A dict answer
    gets the peak memory of the process and its children (``peak_pss_tree_mb``,
    ``peak_rss_tree_mb``: see ``TreeMemory``)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_answer, args=(sender, func, args), name="bench-stage")
    child.start()
    sender.close()  # the child holds the only writer: EOF when it dies
    with TreeMemory(child.pid) as memory:
        try:
            outcome, value = receiver.recv()
        except EOFError:
            child.join()
            raise RuntimeError(f"the stage {func.__name__}{args!r:.200} died (exit code {child.exitcode})") from None
    child.join()
    if outcome == "error":
        raise RuntimeError(f"the stage {func.__name__} failed:\n{value}")
    if isinstance(value, dict):
        value |= {"peak_pss_tree_mb": memory.peak_pss_mb, "peak_rss_tree_mb": memory.peak_rss_mb}
    return value


class TreeMemory:
    """The peak memory of process ``pid`` and its children (geo_ntm forks workers), sampled every
    ``every`` seconds on a thread of this process: the sum of their PSS (a page several processes
    share, as forked workers share their parent's, counted once, split between them: what the
    processes hold together) and the sum of their RSS (shared pages counted in every process: an
    upper bound), and each process's own peak RSS with its command line (``by_process``: pid ->
    (command line, MB)). A spike shorter than ``every`` can be missed."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every = pid, every
        self.peak_pss_mb = self.peak_rss_mb = 0.0
        self.by_process: dict[int, tuple[list[str], float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            pss = rss = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for process in tree:
                try:
                    info = process.memory_full_info()
                    command, peak = self.by_process.get(process.pid) or (process.cmdline(), 0.0)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                pss, rss = pss + info.pss, rss + info.rss
                self.by_process[process.pid] = (command, max(peak, round(info.rss / 2**20, 1)))
            self.peak_pss_mb = max(self.peak_pss_mb, round(pss / 2**20, 1))
            self.peak_rss_mb = max(self.peak_rss_mb, round(rss / 2**20, 1))
            self._stop.wait(self.every)


def _answer(sender, func: Callable[..., Any], args: tuple) -> None:
    try:
        answer = ("ok", func(*args))
    except BaseException:
        answer = ("error", traceback.format_exc())
    sender.send(answer)
    sender.close()
