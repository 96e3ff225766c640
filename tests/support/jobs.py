"""Following a ``202 Accepted`` answer (a background job, ``api.jobs``) to the answer itself."""

from __future__ import annotations

import time

import httpx


def answer_of(client, response: httpx.Response, seconds: float = 120) -> httpx.Response:
    """``response`` itself unless it is a 202; else ``GET Location`` until the job is done (or
    failed, or ``seconds`` passed), then the question's URL again, which answers from the store."""
    deadline = time.monotonic() + seconds
    while response.status_code == 202:
        state = client.get(response.headers["Location"]).json()
        if state["state"] == "done":
            return client.get(state["answer"])
        if state["state"] == "failed" or time.monotonic() > deadline:
            raise AssertionError(f"the job did not finish: {state}")
        time.sleep(0.1)
    return response


def final_state(client, url: str, seconds: float = 120) -> dict:
    """The state of the job at ``url`` (``/jobs/{id}``) once it is done or failed, or as it stands
    after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        state = client.get(url).json()
        if state["state"] in ("done", "failed") or time.monotonic() > deadline:
            return state
        time.sleep(0.05)
