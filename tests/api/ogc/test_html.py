"""The HTML encodings of every OGC resource, with their links."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e  # every test reads the uvicorn subprocess (the `server` fixture)


def test_html_encodings(http):
    for path, words in [
        ("/collections", "communes"),
        ("/collections/communes", "storageCrs"),
        ("/collections/communes/items?year=2020&province=811&limit=5", "Số tiêu chí đạt"),
        ("/collections/communes/items/8110125?year=2020", "Xã Nhơn Thạnh"),
        ("/conformance", "conf/core"),
        ("/collections/communes/queryables", "criteria_met"),
    ]:
        r = http.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert r.text.startswith("<!DOCTYPE html>") and words in r.text, path
    page = http.get("/collections/communes/items", params={"f": "html", "province": "811", "limit": 5}).text
    assert 'rel="next"' in page and 'rel="alternate"' in page
