"""The benchmark beside tipg (bench/bench_http.py) in a short run, as a test of the harness, not a
timing: one PostGIS, both servers started, the same communes on both, every stage measured and
the result stored under its label beside the runs already there, the items load measured by wrk;
a tipg that cannot start, or no wrk, stops the run with a message and exit status 1."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
pytestmark = pytest.mark.e2e  # starts geo-ntm serve and tipg as subprocesses
NO_WRK = "wrk (the load generator) is not installed: `make wrk` (run by `make bench-http`) installs it"
needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason=NO_WRK)


@pytest.fixture(scope="module")
def bench_http():
    sys.path.insert(0, str(BENCH))  # bench_http imports bench_api and provenance by name
    import bench_http

    return bench_http


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench_http") / "http_vs_tipg.json"
    path.write_text(json.dumps({"runs": {"earlier": {"label": "earlier"}}}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result(bench_http, data_dir, out, tmp_path_factory) -> dict:
    if shutil.which("wrk") is None:
        pytest.skip(NO_WRK)
    return bench_http.run(
        "smoke",
        clients=4,
        duration=1.0,
        warmup=1.0,
        threads=2,
        pages=1,
        pull=False,
        data_dir=data_dir,
        workdir=tmp_path_factory.mktemp("bench_http_work"),
        out=out,
        log=lambda _: None,
    )


def test_both_servers_answer_the_same_communes(result):
    """Bến Tre's first page of 100 of its 164 communes, the 6 of Thành phố Bến Tre with their
    criteria met in 2020, on geo_ntm and on tipg."""
    assert result["same_communes"] == {"number_matched": 164, "number_returned": 100, "with_criteria_met": 6}


def test_every_stage_is_measured_on_both(result):
    for server in ("geo_ntm", "tipg"):
        items = result["items"][server]
        assert items["requests"] > 0 and items["rps"] > 0 and 0.9 < items["seconds"] < 3
        assert items["errors"] == {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
        assert 0 < items["p50_ms"] <= items["p90_ms"] <= items["p99_ms"] <= items["max_ms"]
        assert items["number_returned"] == 100 and items["content_encoding"] == ["gzip"]
        assert items["wire_bytes"] <= items["wrk_bytes_per_answer"] < items["response_bytes"]  # wrk got gzip too
        assert items["server_cpu_ms_per_request"] > 0 and items["postgres_cpu_ms_per_request"] > 0
        assert items["client_cpu_ms_per_request"] > 0  # wrk's, measured apart from this process
        page = result["national_page"][server]
        assert page["number_returned"] == 1000 and page["ms_median"] > 0
    assert result["pull"] == {}
    assert result["versions"]["tipg"] and result["versions"]["postgis"]
    assert result["versions"]["wrk"].startswith("wrk ") and result["load_generator"] == "wrk, 2 thread(s)"
    assert result["git"]["commit"] and "load average" in result["uptime_before"]


def test_the_result_is_stored_beside_earlier_runs(result, out):
    stored = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert set(stored) == {"earlier", "smoke"}
    assert stored["smoke"]["same_communes"] == result["same_communes"]


def test_tipg_that_cannot_start_fails_loudly(bench_http, tmp_path):
    """No database where tipg is told to look: it exits, and the run says so with exit status 1."""
    with pytest.raises(RuntimeError, match="tipg did not start"):
        bench_http.Tipg("postgresql://postgres@127.0.0.1:1/nowhere", 1, tmp_path)


@needs_wrk
def test_main_exits_1_with_the_reason(bench_http, tmp_path, monkeypatch, capsys):
    """PostgreSQL cannot start (no server found): exit status 1 and a message on stderr."""
    import tests.support.pg_cluster as pg_cluster

    monkeypatch.setattr(pg_cluster, "server_bindir", lambda: None)
    assert bench_http.main(["--no-pull", "--workdir", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 1
    assert "no PostgreSQL server installed" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_main_without_wrk_exits_1_saying_how_to_install_it(bench_http, tmp_path, monkeypatch, capsys):
    """wrk not on the PATH: exit status 1 before anything starts, with how to get it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert bench_http.main(["--no-pull", "--workdir", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 1
    assert "wrk, the load generator, is not installed: `make wrk`" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
