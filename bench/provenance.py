"""What a benchmark result records about the code it measured: the commit and what was changed."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_state(repo: Path) -> dict:
    """The commit of ``repo`` and its ``git status --short`` lines (None where git cannot tell)."""

    def run(*args):
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    status = run("status", "--short")
    return {"commit": run("rev-parse", "HEAD"), "status_short": status.splitlines() if status else []}
