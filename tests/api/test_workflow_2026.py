"""A 2026 provincial workflow end to end over HTTP (issue 13, "Done when"), on both stores: Đồng
Tháp on the real 2025 units (beside the real 2009 ones and the real recognitions of Hồng Ngự before
the merger). The office loads its commune groups, an indicator set, its 2026 criterion statuses, a
recognition and two reported indicators (judged against its group's threshold), then sees the map
by group, the baseline from before the merger, its progress against a target, and downloads the
communes. Every file it uploads here is TEST DATA: real 2025 commune names and GSO codes, made-up
groups, statuses, decisions and targets."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from tests.support.office_2026 import (
    CAI_BE,
    GROUPS,
    HONG_NGU,
    HUNG_THANH,
    INDICATORS,
    RECOGNITION,
    STATUSES,
    TAN_PHUOC_1,
    TARGETS,
)
from tests.support.tokens import bearer, token_file

TEST_DATA = Path(__file__).resolve().parents[1] / "data"
PLACE = {"province": "Đồng Tháp", "year": 2026}


@pytest.fixture(scope="module")
def office(backend, new_location, tmp_path_factory):
    """The service on a store with the 2009 and 2025 boundaries and the Hồng Ngự sample."""
    location = new_location(backend, with_2025=True)
    tokens = token_file(tmp_path_factory.mktemp("tokens"))
    settings = Settings.from_env().model_copy(update=dict(db=location, tokens_file=tokens))
    with TestClient(create_app(settings)) as client:
        yield client


def _upload(client: TestClient, path: str, name: str, text: str, role: str = "editor") -> dict:
    answer = client.post(path, files={"file": (name, text.encode())}, headers=bearer(role))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_a_provincial_office_works_through_2026(office):
    # 1. groups, an indicator set (an admin's), the 2026 statuses and a recognition
    assert _upload(office, "/groups", "groups_TEST.csv", GROUPS)["matched"] == 3
    indicator_set = (TEST_DATA / "indicator_set_qd51_TEST.csv").read_text(encoding="utf-8")
    _upload(office, "/indicator-sets", "indicator_set_qd51_TEST.csv", indicator_set, role="admin")
    sets = office.get("/indicator-sets", params={"framework": "qd51_2025"}).json()
    assert "2.1" in str(sets)
    assert _upload(office, "/statuses", "statuses_2026_TEST.csv", STATUSES)["stored"]
    assert _upload(office, "/statuses", "recognition_2026_TEST.csv", RECOGNITION)["stored"]
    assert _upload(office, "/statuses", "indicators_2026_TEST.csv", INDICATORS)["stored"]

    # each reported indicator against the threshold of its commune's group (the TEST set: 2.1 at
    # least 100% in nhóm 1, 90% in nhóm 2)
    for code, threshold, verdict in ((HUNG_THANH, ">= 90", "unmet"), (TAN_PHUOC_1, ">= 100", "met")):
        (reported,) = office.get(f"/profile/{code}", params={"year": 2026}).json()["reported_indicators"]
        assert (reported["indicator"], reported["threshold"], reported["verdict"]) == ("2.1", threshold, verdict)

    # 2. the map of level for group 2 only: Cái Bè met every criterion but has no decision
    shown = office.get("/map/data", params={**PLACE, "measure": "level", "group": 2, "lang": "en"}).json()
    classes = {f["id"]: f["properties"]["class"] for f in shown["features"]}
    assert classes == {HUNG_THANH: "not_reached", CAI_BE: "met_not_recognised"}
    summary = office.get("/map/summary", params={**PLACE, "group": 2}).json()
    assert summary["group"] == 2 and summary["communes"] == 2  # the summaries follow the group too
    assert [c["code"] for c in summary["near_next_level"]] == [HUNG_THANH]  # one criterion short
    everyone = office.get("/map/data", params={**PLACE, "measure": "level"}).json()
    tan_phuoc = next(f for f in everyone["features"] if f["id"] == TAN_PHUOC_1)["properties"]
    assert tan_phuoc["class"] == "recognised_ntm" and tan_phuoc["ntm_group"] == 1

    # 3. the baseline before the merger is history, never the ward's own recognition
    before = office.get("/baseline", params={"province": "Đồng Tháp", "vintage": "2025-07-01 vn_admin_2025"})
    hong_ngu = next(c for c in before.json()["communes"] if c["code"] == HONG_NGU)
    assert hong_ngu["area_share"]["ntm_nang_cao"] == pytest.approx(0.909, abs=0.005)
    assert office.get(f"/profile/{HONG_NGU}", params={"year": 2026}).json()["recognised_level"] is None

    # 4. progress against the province's target: 65% NTM by 2030 from 0% in 2025
    _upload(office, "/targets", "targets_TEST.csv", TARGETS)
    progress = office.get("/progress", params=PLACE).json()
    (target,) = progress["province_targets"]
    assert target["recognised"] == 1 and target["path_share"] == pytest.approx(0.13)

    # the province report per group, as a spreadsheet would read it (no district tier in 2025)
    report = office.get("/report", params={**PLACE, "f": "csv", "by_group": "true"})
    groups = {r["district"]: r for r in csv.DictReader(io.StringIO(report.content.decode("utf-8-sig")))}
    assert groups["nhóm 1"]["recognised_ntm"] == "1" and groups["nhóm 2"]["all_criteria_met_not_recognised"] == "1"

    # 5. the communes with their group and recognition, as a CSV download
    got = office.get("/collections/communes/download", params={**PLACE, "format": "csv", "filter": "ntm_group = 2"})
    assert got.status_code == 200
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(got.content.decode("utf-8-sig")))}
    assert set(rows) == {HUNG_THANH, CAI_BE}
    assert rows[CAI_BE]["criteria_met"] == "10" and rows[CAI_BE]["recognised_level"] == ""
    assert rows[HUNG_THANH]["tc2"] == "unmet" and rows[HUNG_THANH]["tc10"] == "met" and "tc11" not in rows[HUNG_THANH]
    assert rows[HUNG_THANH]["province_code"] == "82" and rows[HUNG_THANH]["district_code"] == ""  # no district tier
