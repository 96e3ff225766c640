"""Every upload's import runs in a worker process with a memory ceiling and a time limit (issue 11):
over the ceiling it is 413, over the time 503, a crash 500 without details; in every case the
store is left as it was, even when the worker is killed in the middle of its write transaction,
and the upload's temporary folder is removed. A normal upload still works and is audited. The
import is a background job (issue 14): past ``job_wait_seconds`` the upload answers 202 with
``Location: /jobs/{id}``, where its progress, then its report or its error show. On both
backends."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api import writes
from api.app import create_app
from api.jobs import JobBoard, Limits, WorkerCrashed, WorkerOverTime, run_in_worker, status_job
from geo_ntm.errors import InputError
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import Store, open_store, rows
from tests.support.jobs import final_state
from tests.support.tokens import bearer, token_file

EDITOR = bearer("editor")


@pytest.fixture
def temp_root(tmp_path, monkeypatch) -> Path:
    """The parent's temporary folder, empty: every upload's folder must be gone after its request."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def make_client(db_location, tmp_path, temp_root):
    tokens = token_file(tmp_path, ("editor", "admin"))
    clients: list[TestClient] = []

    def make(**limits) -> TestClient:
        settings = Settings.from_env().model_copy(update=dict(db=db_location, tokens_file=tokens, **limits))
        client = TestClient(create_app(settings))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def sample(data_dir):
    path = data_dir / "samples" / "status_ben_tre_city_long.csv"
    return {"file": (path.name, path.read_bytes(), "text/csv")}


def _counts(db_location) -> tuple[int, int, int, int, int]:
    with open_store(db_location) as store:
        return (
            len(store.imports()),
            len(store.statuses()),
            len(store.summaries()),
            len(store.vintages()),
            len(store.layers()),
        )


def test_a_normal_upload_runs_in_a_worker_and_is_audited(make_client, db_location, sample, temp_root):
    client = make_client()
    before = _counts(db_location)
    response = client.post("/statuses", files=sample, headers=EDITOR)
    body = response.json()
    assert response.status_code == 200 and body["ok"] and body["stored"], response.text
    after = _counts(db_location)
    assert after[0] == before[0] + 1 and after[1] == before[1] + body["statuses_stored"] > before[1]
    last = client.get("/audit", headers=bearer("admin")).json()["imports"][-1]
    assert (last["actor"], last["kind"], last["source_file"]) == ("editor-user", "status", sample["file"][0])
    assert list(temp_root.glob("geo_ntm_upload_*")) == []


def import_needing_400_mb(store: Store, path: Path, **kwargs) -> dict:
    """An upload's import that needs 400 MB at once (TEST, in the worker in place of the status
    import): more than an allocator keeps in reserve, so a 50 MB worker fails whatever it held
    before its limit was set. The real import of the small sample fits in that reserve."""
    return {"ones": float(np.ones(50_000_000).sum())}


@pytest.fixture
def hungry_import(monkeypatch):
    monkeypatch.setattr(writes, "status_job", import_needing_400_mb)


def test_an_import_over_the_memory_ceiling_is_413_and_stores_nothing(
    make_client, db_location, sample, temp_root, hungry_import
):
    client = make_client(import_max_mb=50)
    before = _counts(db_location)
    response = client.post("/statuses", files=sample, headers=EDITOR)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "ContentTooLarge"
    assert "the import needed more than 50 MB (GEO_NTM_IMPORT_MAX_MB)" in response.json()["description"]
    assert _counts(db_location) == before
    assert list(temp_root.glob("geo_ntm_upload_*")) == []


def test_an_import_over_the_time_limit_is_503_and_stores_nothing(make_client, db_location, sample, temp_root):
    client = make_client(import_max_seconds=0.01)
    before = _counts(db_location)
    started = time.monotonic()
    response = client.post("/statuses", files=sample, headers=EDITOR)
    assert response.status_code == 503, response.text
    assert "the import ran longer than 0.01 s (GEO_NTM_IMPORT_MAX_SECONDS)" in response.json()["description"]
    assert time.monotonic() - started < 15  # killed, not waited for
    assert _counts(db_location) == before
    assert list(temp_root.glob("geo_ntm_upload_*")) == []


def test_uploads_beyond_the_import_slots_are_503_and_store_nothing(make_client, db_location, sample, monkeypatch):
    monkeypatch.setattr(writes, "SLOT_WAIT_SECONDS", 0.1)
    client = make_client(import_workers=1)
    assert client.post("/statuses", files=sample, headers=EDITOR).status_code == 200  # the slot is given back
    client.app.state.import_slots.acquire()  # an import running elsewhere holds the only slot
    before = _counts(db_location)
    try:
        response = client.post("/statuses", files=sample, headers=EDITOR)
    finally:
        client.app.state.import_slots.release()
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "every import slot is busy (GEO_NTM_IMPORT_WORKERS=1)" in response.json()["description"]
    assert _counts(db_location) == before


# -- the runner itself: a worker killed inside its write transaction --------------------------
def hang_in_write(store: Store, path: Path, marker: Path) -> dict:
    """The real status import, stopped for good inside its write transaction, after the import's
    record and before its first status row: ``marker`` says it got there."""

    def hang(*args):
        marker.write_text("in the write transaction")
        time.sleep(3600)

    rows.status_row = hang  # this worker's module only
    import_status_file(store, path, actor="test", source_name=path.name)
    return {}


def fail_with(store: Store, error: str) -> dict:
    if error == "input":
        raise InputError("row 3 is wrong", ["detail a", "detail b"])
    raise RuntimeError("boom")


def _limits(seconds: float) -> Limits:
    return Limits(4096, seconds, "GEO_NTM_IMPORT", "the import", "split the file")


def test_a_worker_killed_mid_write_leaves_the_store_unchanged(db_location, data_dir, tmp_path):
    before = _counts(db_location)
    marker = tmp_path / "marker"
    upload = data_dir / "samples" / "status_ben_tre_city_long.csv"
    with pytest.raises(WorkerOverTime):
        run_in_worker(hang_in_write, db_location, tmp_path, _limits(8), args=(upload,), kwargs={"marker": marker})
    assert marker.read_text() == "in the write transaction"
    assert _counts(db_location) == before
    with open_store(db_location) as store:  # nothing left locked: the store takes a write at once
        report = import_status_file(store, upload, actor="test", source_name=upload.name)
    assert report.stored and _counts(db_location)[0] == before[0] + 1


def test_errors_of_the_worker_come_back(db_location, tmp_path):
    with pytest.raises(InputError) as caught:
        run_in_worker(fail_with, db_location, tmp_path, _limits(60), args=("input",))
    assert (caught.value.message, caught.value.details) == ("row 3 is wrong", ["detail a", "detail b"])
    with pytest.raises(WorkerCrashed, match="RuntimeError: boom"):
        run_in_worker(fail_with, db_location, tmp_path, _limits(60), args=("crash",))


# -- uploads as background jobs (issue 14) -------------------------------------------------------
#: Test data: a CSV in no status layout.
NOT_A_STATUS_FILE = {"file": ("test_not_a_status_file.csv", b"TEST,data\n1,2\n", "text/csv")}


def test_an_upload_past_the_wait_answers_202_then_its_report(make_client, db_location, sample, temp_root, tmp_path):
    client = make_client(job_wait_seconds=0, jobs_dir=tmp_path / "jobs")
    before = _counts(db_location)
    response = client.post("/statuses", files=sample, headers=EDITOR)
    assert response.status_code == 202, response.text
    started = response.json()
    assert response.headers["Location"] == started["url"] == f"/jobs/{started['id']}" and started["result"] is None
    assert "GEO_NTM_JOB_WORKERS" not in started["progress"]["message"]  # an upload has its import slot already
    state = final_state(client, response.headers["Location"])
    assert state["state"] == "done" and state["answer"] is None and state["progress"]["fraction"] == 1.0
    result = state["result"]
    assert result["status"] == 200 and result["body"]["stored"] and result["body"]["source_file"] == sample["file"][0]
    after = _counts(db_location)
    assert after[0] == before[0] + 1 and after[1] == before[1] + result["body"]["statuses_stored"] > before[1]
    last = client.get("/audit", headers=bearer("admin")).json()["imports"][-1]
    assert (last["actor"], last["source_file"]) == ("editor-user", sample["file"][0])
    assert list(temp_root.glob("geo_ntm_upload_*")) == []
    # another process of the service (serve --workers) shows the same report
    limits = Limits.of_imports(client.app.state.settings)
    elsewhere = JobBoard(db_location, limits, None, folder=tmp_path / "jobs").get(started["id"])
    assert elsewhere is not None and elsewhere.result["body"] == result["body"]


def test_a_bad_file_past_the_wait_fails_with_the_400s_description(make_client, db_location, temp_root):
    waited = make_client().post("/statuses", files=NOT_A_STATUS_FILE, headers=EDITOR)
    assert waited.status_code == 400 and waited.json()["code"] == "InvalidParameterValue"
    before = _counts(db_location)
    client = make_client(job_wait_seconds=0)
    response = client.post("/statuses", files=NOT_A_STATUS_FILE, headers=EDITOR)
    assert response.status_code == 202, response.text
    state = final_state(client, response.headers["Location"])
    assert state["state"] == "failed" and state["result"] is None
    assert state["error"] == {"status": 400, **waited.json()}
    assert _counts(db_location) == before
    assert list(temp_root.glob("geo_ntm_upload_*")) == []


def test_rows_with_problems_past_the_wait_end_done_with_the_400_and_its_report(make_client, db_location, sample):
    name, content, kind = sample["file"]
    unknown = {"file": (name, content.replace("Nhơn Thạnh".encode(), "Xã Không Có TEST".encode()), kind)}
    waited = make_client().post("/statuses", files=unknown, headers=EDITOR)
    assert waited.status_code == 400 and waited.json()["unmatched"] and not waited.json()["stored"]
    before = _counts(db_location)
    client = make_client(job_wait_seconds=0)
    response = client.post("/statuses", files=unknown, headers=EDITOR)
    assert response.status_code == 202, response.text
    state = final_state(client, response.headers["Location"])
    assert state["state"] == "done" and state["error"] is None
    assert state["result"] == {"status": 400, "body": waited.json()}
    assert _counts(db_location) == before


def test_an_upload_over_its_memory_past_the_wait_fails_with_413(
    make_client, db_location, sample, temp_root, hungry_import
):
    client = make_client(job_wait_seconds=0, import_max_mb=50, import_workers=1)
    before = _counts(db_location)
    response = client.post("/statuses", files=sample, headers=EDITOR)
    assert response.status_code == 202, response.text
    error = final_state(client, response.headers["Location"])["error"]
    assert error["status"] == 413 and error["code"] == "ContentTooLarge"
    assert "the import needed more than 50 MB (GEO_NTM_IMPORT_MAX_MB)" in error["description"]
    assert _counts(db_location) == before
    assert list(temp_root.glob("geo_ntm_upload_*")) == []
    assert client.app.state.import_slots.acquire(timeout=5)  # the job gave its slot back


def test_a_status_import_reports_rows_read_and_matched(db_location, data_dir, tmp_path):
    seen: list[tuple[float, str]] = []
    upload = data_dir / "samples" / "status_ben_tre_city_long.csv"
    answer = run_in_worker(
        status_job,
        db_location,
        tmp_path,
        _limits(60),
        args=(upload,),
        kwargs={"dry_run": True},
        progress=lambda *p: seen.append(p),
    )
    body = answer["body"]
    assert answer["status"] == 200 and not answer["stored"]
    read, matched = body["rows_read"], body["matched"]
    assert seen[:2] == [(0.0, f"reading {upload.name}"), (0.1, f"rows: {read} read, 0 looked up, 0 matched")]
    assert (0.7, f"rows: {read} read, {read} looked up, {matched} matched; comparing with the store") in seen
    assert [fraction for fraction, _ in seen] == sorted(fraction for fraction, _ in seen)


def test_an_indicator_set_past_the_wait_answers_202_then_the_201s_body(make_client, temp_root):
    client = make_client(job_wait_seconds=0)
    test_set = Path(__file__).parent.parent / "data" / "indicator_set_qd51_TEST.csv"
    files = {"file": (test_set.name, test_set.read_bytes(), "text/csv")}
    response = client.post("/indicator-sets", files=files, headers=bearer("admin"))
    assert response.status_code == 202, response.text
    state = final_state(client, response.headers["Location"])
    assert state["state"] == "done" and state["result"]["status"] == 201
    body = state["result"]["body"]
    assert (body["framework"], body["source_file"], body["actor"]) == ("qd51_2025", test_set.name, "admin-user")
    assert client.get("/indicator-sets").json()["indicator_sets"] == [body]
    assert list(temp_root.glob("geo_ntm_upload_*")) == []
