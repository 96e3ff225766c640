"""Long computations leave the request (issues 11 and 14), on both backends, on the hand-made world
of ``tests/geo_ntm/infrastructure/reach_world.py``: a coverage question not answered before starts a
background job and, past ``job_wait_seconds``, answers 202 with ``Location: /jobs/{id}``; polling
the job to done and asking again gives the answer a direct computation gives, read from the store;
the second question computes nothing; identical questions share one job; an import makes stored
answers stale; a job's failure (its error, its time or memory limit, naming the setting) shows at
``/jobs/{id}``; a question no computation could answer is refused at once, without a job."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api import background
from api.app import create_app
from api.jobs import JobBoard, Limits, WorkerOverMemory, failure, run_in_worker
from geo_ntm.infrastructure.queries import CoverageRequest, coverage
from geo_ntm.job_progress import report_progress
from geo_ntm.settings import Settings
from geo_ntm.store import ImportRecord, Store, open_store
from geo_ntm.where import resolve_where
from tests.support.jobs import answer_of, final_state

WATER = {"province": "999", "year": 2020, "distance": 250, "households_layer": "households"}


@pytest.fixture
def location(request, backend, new_location, tmp_path, world) -> str:
    """A new store holding the world, for one test (its stored answers are the test's own)."""
    return world.stored(new_location(backend, with_2009=False), tmp_path)


def client_for(location: str, **settings) -> TestClient:
    return TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location, **settings))))


def jobs_started(client: TestClient) -> int:
    board = getattr(client.app.state, "jobs", None)
    return 0 if board is None else len(board._jobs)


def slow_coverage_job(store: Store, request: CoverageRequest, thresholds) -> None:
    """The coverage job, started late: two questions asked at once both find it running."""
    time.sleep(3)
    coverage(store, request, thresholds)


def reporting_job(store: Store, steps: int) -> str:
    for step in range(steps):
        report_progress(step / steps, f"step {step}")
    return "finished"


def test_progress_comes_back_through_the_pipe(location, tmp_path):
    seen: list[tuple[float, str]] = []
    limits = Limits(4096, 60, "GEO_NTM_JOB", "the computation", "ask about a smaller place")
    answer = run_in_worker(reporting_job, location, tmp_path, limits, args=(4,), progress=lambda *p: seen.append(p))
    assert answer == "finished" and seen == [(0.0, "step 0"), (0.25, "step 1"), (0.5, "step 2"), (0.75, "step 3")]


def stored_rows(location: str) -> int:
    with open_store(location) as store:
        return len(store._rows("SELECT question FROM computed_results"))  # type: ignore[attr-defined]


def test_202_then_polling_gives_the_answer_of_a_direct_computation(location, backend, new_location, tmp_path, world):
    with client_for(location, job_wait_seconds=0) as client:
        first = client.get("/coverage/water", params=WATER)
        assert first.status_code == 202
        body = first.json()
        assert first.headers["Location"] == body["url"] == f"/jobs/{body['id']}"
        assert body["state"] in ("queued", "running", "done") and 0 <= body["progress"]["fraction"] <= 1
        answer = answer_of(client, first).json()
    elsewhere = world.stored(new_location(backend, with_2009=False), tmp_path / "direct")
    with open_store(elsewhere) as store:
        where = resolve_where(store, year=2020, province="999")
        table, totals = coverage(store, CoverageRequest("water", where, distance=250, households_layer="households"))
    assert answer["totals"] == totals
    direct = table.drop(columns="geometry").astype(object)
    direct = direct.where(direct.notna(), None).to_dict(orient="records")
    assert answer["communes"] == direct


def test_the_second_question_computes_nothing(location):
    with client_for(location) as client:
        first = client.get("/coverage/water", params=WATER)
        assert first.status_code == 200 and jobs_started(client) == 1 and stored_rows(location) == 1
        again = client.get("/coverage/water", params=WATER)
        assert again.status_code == 200 and jobs_started(client) == 1  # read from the store: no job
        assert again.json() == first.json()
    with client_for(location, job_wait_seconds=0) as other:  # another worker: the same stored answer
        assert other.get("/coverage/water", params=WATER).json() == first.json() and jobs_started(other) == 0


def test_identical_questions_asked_at_once_share_one_job(location, monkeypatch):
    monkeypatch.setattr(background, "coverage_job", slow_coverage_job)
    with client_for(location, job_wait_seconds=0) as client:
        one, two = (client.get("/coverage/water", params=WATER) for _ in range(2))
        assert one.status_code == two.status_code == 202 and one.json()["id"] == two.json()["id"]
        other = client.get("/coverage/water", params={**WATER, "distance": 500})
        assert other.status_code == 202 and other.json()["id"] != one.json()["id"]
        assert jobs_started(client) == 2
        assert answer_of(client, one).status_code == 200


def test_an_import_makes_stored_answers_stale(location):
    with client_for(location) as client:
        before = client.get("/coverage/water", params=WATER).json()
        with open_store(location) as store:
            version = store.content_version()
            store.add_statuses(ImportRecord("status", "test", 0, 0), [], [])  # any import
            assert store.content_version() > version
        after = client.get("/coverage/water", params=WATER).json()
        assert jobs_started(client) == 2 and after == before  # computed again, on the same data
    assert stored_rows(location) == 1  # the stale answer went when the new one was stored


def test_a_failing_job_shows_its_error(location):
    with client_for(location, job_wait_seconds=0) as client:
        started = client.get("/coverage/water", params={**WATER, "year": 2019})  # no water layer in 2019
        assert started.status_code == 202
        state = final_state(client, started.headers["Location"])
        assert state["state"] == "failed" and state["answer"] is None
        error = state["error"]
        assert error["status"] == 404 and "no water_lines or water_points layer" in error["description"]


@pytest.mark.parametrize(
    "params, status, text",
    [
        ({"distance": -5}, 400, "give metres between 0 and 100,000"),
        ({"layer": "no such layer"}, 404, "no infrastructure layer 'no such layer'"),
        ({"layer": "roads"}, 400, "holds roads, not water_lines"),
    ],
)
def test_impossible_questions_are_refused_without_a_job(location, params, status, text):
    with client_for(location, job_wait_seconds=0) as client:
        answer = client.get("/coverage/water", params={**WATER, **params})
        assert answer.status_code == status and text in answer.json()["description"]
        assert jobs_started(client) == 0


def test_a_job_over_its_time_fails_naming_the_setting(location):
    with client_for(location, job_wait_seconds=0, job_max_seconds=0.01) as client:
        started = client.get("/coverage/water", params=WATER)
        state = final_state(client, started.headers["Location"])
        assert state["state"] == "failed" and state["error"]["status"] == 503
        assert "GEO_NTM_JOB_MAX_SECONDS" in state["error"]["description"]
        assert "nothing was stored" in state["error"]["description"]
    assert stored_rows(location) == 0


def allocate_400_mb(store) -> dict:
    """A job needing 400 MB at once (TEST): more than an allocator keeps in reserve, so a 50 MB
    worker fails whatever it held before its limit was set (the world's water question is too
    small to be sure of that)."""
    return {"ones": float(np.ones(50_000_000).sum())}


def test_a_job_over_its_memory_fails_413_naming_the_setting(location, tmp_path):
    limits = Limits.of_jobs(Settings.from_env().model_copy(update={"job_max_mb": 50}))
    with pytest.raises(WorkerOverMemory) as caught:
        run_in_worker(allocate_400_mb, location, tmp_path, limits)
    status, code, description = failure(caught.value)
    assert (status, code) == (413, "ContentTooLarge")
    assert "GEO_NTM_JOB_MAX_MB" in description and "nothing was stored" in description


def test_an_indicator_map_is_computed_by_a_job(location):
    params = {"province": "999", "year": 2020, "measure": "water:population_within_share@250"}
    with client_for(location, job_wait_seconds=0) as client:
        started = client.get("/map/data", params=params)
        assert started.status_code == 202 and started.headers["Location"].startswith("/jobs/")
        drawn = answer_of(client, started).json()
        assert drawn["type"] == "FeatureCollection" and len(drawn["features"]) == 3
        assert client.get("/map/data", params=params).status_code == 200 and jobs_started(client) == 1


def test_a_printed_indicator_map_waits_for_its_job_too(location):
    params = {"province": "999", "year": 2020, "measure": "water:population_within_share@250"}
    with client_for(location, job_wait_seconds=0) as client:
        started = client.get("/map.png", params=params)
        assert started.status_code == 202 and started.headers["Location"].startswith("/jobs/")
        printed = answer_of(client, started)
        assert printed.headers["content-type"] == "image/png" and printed.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_profile_lists_the_indicators_still_computing_then_gives_them(location, world):
    params = {"year": 2020}
    with client_for(location, job_wait_seconds=0) as client:
        first = client.get(f"/profile/{world.A}", params=params).json()
        computing = first["indicators_computing"]
        assert computing and all(c["job"].startswith("/jobs/") for c in computing)
        assert {i["id"].split(":")[0] for i in first["indicators"]}.isdisjoint({c["topic"] for c in computing})
        for c in computing:
            assert final_state(client, c["job"])["state"] == "done"
        later = client.get(f"/profile/{world.A}", params=params).json()
        assert later["indicators_computing"] == []
        assert {c["topic"] for c in computing} <= {i["id"].split(":")[0] for i in later["indicators"]}
        started = jobs_started(client)
        assert client.get(f"/profile/{world.A}", params=params).json() == later and jobs_started(client) == started


def test_an_unknown_job_is_404(location):
    with client_for(location) as client:
        answer = client.get("/jobs/nope")
        assert answer.status_code == 404 and "no job 'nope'" in answer.json()["description"]


def test_stored_tables_keep_their_types(location):
    with open_store(location) as store:
        frame = pd.DataFrame(
            {"unit_id": [1, 2], "share": [0.1 + 0.2, None], "name": ["Xã A (test)", None], "ok": [True, False]}
        )
        store.add_computed_result("q", 5, "water", frame, {"n": 2})
        table, totals = store.computed_result("q", 5)
        assert totals == {"n": 2} and table.dtypes.equals(frame.dtypes) and table["share"][0] == 0.1 + 0.2
        assert store.computed_result("q", 4) is None and store.computed_result("other", 5) is None
        store.add_computed_result("q", 6, "water", frame.iloc[:1], {"n": 1})
        assert store.computed_result("q", 5) is None and store.computed_result("q", 6)[1] == {"n": 1}


def test_the_openapi_document_gives_202_and_jobs(location):
    with client_for(location) as client:
        paths = client.get("/openapi.json").json()["paths"]
    for path in ("/coverage/{topic}", "/map/data"):
        accepted = paths[path]["get"]["responses"]["202"]
        assert "Location" in accepted["headers"] and accepted["content"]["application/json"]["schema"]
    assert set(paths["/jobs/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]) == {"$ref"}


def test_another_board_on_the_same_folder_answers_for_a_job(empty_db_location, tmp_path):
    """Two processes of one service (``serve --workers``): their boards share ``GEO_NTM_JOBS_DIR``."""
    limits = Limits(4096, 60, "GEO_NTM_JOB", "the computation", "ask about a smaller place")
    folder = tmp_path / "jobs"
    one, other = (JobBoard(empty_db_location, limits, 1, folder=folder) for _ in range(2))
    job = one.submit("question", "/answer", reporting_job, args=(3,))
    assert job.finished.wait(60) and job.state == "done"
    seen = other.get(job.job_id)
    assert seen is not None and seen.finished.is_set()
    assert (seen.state, seen.fraction, seen.message, seen.answer_url) == ("done", 1.0, "done", "/answer")
    failing = one.submit("bad question", "/bad", reporting_job, args=("three",))
    assert failing.finished.wait(60)
    shown = other.get(failing.job_id)
    assert shown is not None and shown.state == "failed" and shown.failure == failing.failure
    assert shown.failure[0] == 500
    assert other.get("../jobs/" + job.job_id) is None and other.get("0" * 16) is None
    assert JobBoard(empty_db_location, limits, 1).get(job.job_id) is None  # no folder: this process only


def test_a_jobs_folder_that_cannot_be_written_does_not_fail_the_job(empty_db_location, tmp_path, caplog):
    limits = Limits(4096, 60, "GEO_NTM_JOB", "the computation", "ask about a smaller place")
    folder = tmp_path / "jobs"
    board = JobBoard(empty_db_location, limits, 1, folder=folder)
    folder.rmdir()  # removed under the service's feet
    job = board.submit("question", "/answer", reporting_job, args=(2,))
    assert job.finished.wait(60) and job.state == "done" and board.get(job.job_id) is job
    assert "could not be written to GEO_NTM_JOBS_DIR" in caplog.text
