"""Choropleth pages on the real 2009 boundaries of Thành phố Bến Tre (10 phường, 7 xã).

The status figures are test data attached to real commune names.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import pytest

from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.settings import Settings
from maps import assets
from maps.choropleth import Choropleth
from maps.folium_page import render_map
from maps.measures import parse_measure
from maps.measures.base import OUTSIDE_FILLS

CHROMIUM = "/usr/bin/chromium"
TITLE = "Thành phố Bến Tre: tiến độ xây dựng nông thôn mới"
# name -> (criteria met, unmet, conflicting, level); criteria total 19 (QĐ 1980/QĐ-TTg). Test data:
# Phú Nhuận is recognised (a made-up decision), Nhơn Thạnh meets every criterion without a decision.
STATUS = {
    "Xã Nhơn Thạnh": (19, [], [], "ntm"),
    "Xã Phú Nhuận": (19, [], [], "ntm_nang_cao"),
    "Xã Bình Phú": (15, [1, 5, 9, 17], [], None),
    "Xã Phú Hưng": (16, [9, 17], [5], None),  # two sources disagree on criterion 5
    "Xã Mỹ Thạnh An": (12, [], [], None),  # a count only: which criteria are unmet is unknown
}
NO_DATA = {"Xã Sơn Đông", "Xã Mỹ Thành"}


def draw(frame, measure, *, assets, **options) -> str:
    """The folium page of ``frame`` for ``measure``."""
    return render_map(Choropleth.from_frame(frame, measure, **options), assets=assets)


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="module")
def frame(settings) -> gpd.GeoDataFrame:
    communes = gpd.read_file(
        settings.data_dir / "vn_admin_2009.gpkg", layer="communes", where="district_name = 'Thành phố Bến Tre'"
    )
    rows = []
    for c in communes.itertuples():
        met, unmet, conflicting, level = STATUS.get(c.commune_name, (None, [], [], None))
        rows.append(
            {
                "code": c.commune_id,
                "name": c.commune_name,
                "unit_type": c.unit_type,
                "district": c.district_name,
                "province": c.province_name,
                "assessed": c.unit_type == "xa",
                "has_data": met is not None,
                "framework": "qd1980_2016" if met is not None else None,
                "level": level,
                "criteria_met": met,
                "criteria_total": 19 if met is not None else None,
                "criteria_unmet": unmet,
                "criteria_conflicting": conflicting,
                "recognised_level": "ntm_nang_cao" if c.commune_name == "Xã Phú Nhuận" else None,
                "recognition_decision": "01/QĐ-KIỂM-THỬ" if c.commune_name == "Xã Phú Nhuận" else None,
                "recognition_date": "2020-12-30" if c.commune_name == "Xã Phú Nhuận" else None,
                "all_criteria_met_not_recognised": c.commune_name == "Xã Nhơn Thạnh",
                "geometry": c.geometry,
            }
        )
    return gpd.GeoDataFrame(rows, crs=communes.crs)


@pytest.fixture(scope="module")
def inline_assets(settings) -> assets.AssetMode:
    return assets.inline(settings.assets_dir)


@pytest.fixture(scope="module")
def page(frame, inline_assets) -> str:
    return draw(frame, "criteria_met", title=TITLE, subtitle="Năm 2020", assets=inline_assets)


class _Page(HTMLParser):
    """The tags' attributes and the legend rows (class, count, texts of the cells) of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.attrs: list[tuple[str, dict]] = []
        self.legend: dict[str, tuple[int, list[str]]] = {}
        self._row: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.attrs.append((tag, attrs))
        if tag == "tr" and "data-class" in attrs:
            self._row = attrs["data-class"]
            self.legend[self._row] = (int(attrs["data-count"]), [])

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row and data.strip():
            self.legend[self._row][1].append(data.strip())

    def links(self) -> list[str]:
        return [a[k] for _, a in self.attrs for k in ("src", "href") if a.get(k)]


def features(html: str) -> dict[str, dict]:
    """The properties of the page's GeoJSON features, by commune code."""
    data = json.loads(re.search(r"_add\((\{.*\})\);\n", html)[1])
    return {f["properties"]["code"]: f["properties"] for f in data["features"]}


def classes_by_name(frame, html: str) -> dict[str, str]:
    props = features(html)
    return {name: props[code]["class"] for code, name in zip(frame["code"], frame["name"], strict=True)}


def test_page_is_standalone_html_with_a_tooltip_per_commune(frame, page):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert f"<title>{TITLE}</title>" in page
    tips = [p["tooltip"] for p in features(page).values()]
    assert len(tips) == len(frame) == 17
    for name in frame["name"]:
        assert sum(t.startswith(f"<b>{name}</b><br>Thành phố Bến Tre") for t in tips) == 1, name
    binh_phu = next(t for t in tips if "Bình Phú" in t)
    assert "Tiêu chí đạt: 15/19" in binh_phu and "Tiêu chí chưa đạt: 1, 5, 9, 17" in binh_phu
    assert "Mức: Chưa đạt chuẩn" in binh_phu


def test_legend_counts_communes_per_class_and_wards_apart(page):
    legend = _Page(page).legend
    assert {k: count for k, (count, _) in legend.items()} == {
        "all_met": 2,
        "15_top": 2,
        "10_14": 1,
        "below_10": 0,
        "no_data": 2,
        "not_assessed": 10,
    }
    assert [texts[0] for _, texts in legend.values()] == [
        "Đạt đủ 19/19", "15–18", "10–14", "dưới 10", "Chưa có số liệu", "Không đánh giá",
    ]  # fmt: skip


def test_wards_are_drawn_as_not_assessed_never_as_zero(frame, page):
    props = features(page)
    wards = frame[frame["unit_type"] == "phuong"]
    assert len(wards) == 10
    for code in wards["code"]:
        assert props[code]["class"] == "not_assessed"
        assert props[code]["tooltip"].endswith("Phường/thị trấn: không đánh giá tiêu chí NTM")
        assert "/19" not in props[code]["tooltip"]
    assert "url(#ntm-not-assessed-hatch)" in page
    assert {classes_by_name(frame, page)[n] for n in NO_DATA} == {"no_data"}


def test_inline_page_loads_nothing_from_the_internet(page):
    parsed = _Page(page)
    assert parsed.links() == []  # no src/href at all: Leaflet is inlined
    assert not [a for tag, a in parsed.attrs if tag == "link"]
    assert 't.version="1.9.4"' in page
    for cdn_only in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers", "d3.min.js"):
        assert cdn_only not in page.lower()


def test_served_page_links_leaflet_under_the_prefix(frame):
    html = draw(frame, "level", title=TITLE, assets=assets.served())
    assert sorted(_Page(html).links()) == ["/static/leaflet/leaflet.css", "/static/leaflet/leaflet.js"]
    assert '<script src="/static/leaflet/leaflet.js"></script>' in html
    legend = _Page(html).legend
    assert legend["recognised_ntm_nang_cao"][1] == ["Được công nhận NTM nâng cao", "1"]
    assert legend["met_not_recognised"][1] == ["Đạt đủ tiêu chí, chưa được công nhận", "1"]
    assert legend["recognised_ntm"][1] == ["Được công nhận đạt chuẩn NTM", "0"]  # 19/19 is not recognition
    tips = {p["name"]: p["tooltip"] for p in features(html).values()}
    assert "Được công nhận: NTM nâng cao (QĐ 01/QĐ-KIỂM-THỬ, 2020-12-30)" in tips["Xã Phú Nhuận"]
    assert "Mức: Đạt đủ tiêu chí, chưa được công nhận" in tips["Xã Nhơn Thạnh"]


def test_missing_leaflet_says_how_to_install_it(tmp_path):
    with pytest.raises(GeoNtmError, match=r"make install.*npm ci"):
        assets.inline(tmp_path)


@pytest.mark.parametrize("measure", ["tc25", "tc0", "foo", "criteria", ""])
def test_unknown_measure_is_an_input_error(frame, measure):
    with pytest.raises(InputError, match="unknown map measure"):
        parse_measure(measure)
    with pytest.raises(InputError, match="unknown map measure"):
        draw(frame, measure, title=TITLE, assets=assets.served())


def test_single_criterion_marks_unmet_conflicting_and_unknown(frame, inline_assets):
    html = draw(frame, "tc5", title=TITLE, assets=inline_assets)
    classes = classes_by_name(frame, html)
    assert classes["Xã Bình Phú"] == "unmet"  # 5 is in its unmet list
    assert classes["Xã Phú Hưng"] == "conflict"
    assert classes["Xã Nhơn Thạnh"] == classes["Xã Phú Nhuận"] == "met"
    assert classes["Xã Mỹ Thạnh An"] == "no_data"  # 12/19 without the list of unmet criteria
    assert classes["Phường Phú Tân"] == "not_assessed"
    legend = _Page(html).legend
    assert legend["unmet"][1] == ["Chưa đạt", "1"]
    assert "Tiêu chí số 5: Trường học" in html


def test_partial_report_still_marks_the_unmet_criterion(frame, inline_assets):
    # a report that only says "criterion 9 not met" (Bến Tre, 2011): the count is unknown
    partial = frame.copy()
    is_son_dong = partial["name"] == "Xã Sơn Đông"
    partial.loc[is_son_dong, "has_data"] = True
    partial.loc[is_son_dong, "criteria_unmet"] = partial.loc[is_son_dong, "criteria_unmet"].map(lambda _: [9])
    tc9 = classes_by_name(partial, draw(partial, "tc9", title=TITLE, assets=inline_assets))
    assert tc9["Xã Sơn Đông"] == "unmet"
    counts = classes_by_name(partial, draw(partial, "criteria_met", title=TITLE, assets=inline_assets))
    assert counts["Xã Sơn Đông"] == "no_data"
    tc1 = classes_by_name(partial, draw(partial, "tc1", title=TITLE, assets=inline_assets))
    assert tc1["Xã Sơn Đông"] == "no_data"


def test_english_page(frame):
    html = draw(frame, "level", title="Ben Tre city", lang="en", assets=assets.served())
    props = features(html)
    assert props["8110117"]["tooltip"] == (  # Phường Phú Khương
        "<b>Phường Phú Khương</b><br>Thành phố Bến Tre<br>Ward/town: not assessed on NTM criteria"
    )
    legend = _Page(html).legend
    assert legend["not_assessed"][1] == ["Not assessed", "10"]
    assert legend["not_reached"][1] == ["Not yet at NTM standard", "3"]
    assert legend["met_not_recognised"][1] == ["All criteria met, not recognised", "1"]
    assert legend["recognised_ntm_nang_cao"][1] == ["Recognised advanced NTM", "1"]
    with pytest.raises(InputError, match="language"):
        draw(frame, "level", title="x", lang="fr", assets=assets.served())


def test_unnamed_polygon_is_not_assessed(frame):
    unnamed = frame.copy()
    row = unnamed["name"] == "Xã Mỹ Thành"
    unnamed.loc[row, ["name", "unit_type", "assessed", "has_data"]] = [None, None, False, False]
    html = draw(unnamed, "criteria_met", title=TITLE, assets=assets.served())
    assert features(html)["8110131"]["tooltip"] == (
        "<b>(không tên)</b><br>Thành phố Bến Tre<br>Không đánh giá tiêu chí NTM"
    )
    assert _Page(html).legend["not_assessed"][0] == 11


def test_frame_without_the_status_columns_is_an_input_error(frame):
    with pytest.raises(InputError, match="criteria_unmet"):
        draw(frame.drop(columns="criteria_unmet"), "level", title=TITLE, assets=assets.served())


def png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit, non-interlaced RGB(A) PNG, as Chromium writes it, to an array."""
    pos, idat = 8, b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(idat)
    rows = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 1:  # Sub
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).ravel() & 255
        elif kind == 2:  # Up
            cur = (line + prev) & 255
        else:  # Average, Paeth: byte by byte
            cur, up = line.tolist(), prev.tolist()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    cur[i] = (cur[i] + ((a + b) >> 1)) & 255
                    continue
                c = up[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.array(cur, dtype=np.int32)
        rows[y] = prev = cur
    return rows.reshape(height, width, bpp)[:, :, :3].astype(np.uint8)


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="no headless Chromium at /usr/bin/chromium")
def test_screenshot_shows_coloured_communes(frame, inline_assets, tmp_path):
    html_file, png_file = tmp_path / "map.html", tmp_path / "map.png"
    html_file.write_text(draw(frame, "tc5", title=TITLE, assets=inline_assets), encoding="utf-8")
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={png_file}", "--window-size=1000,800", html_file.as_uri()],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    pixels = png_pixels(png_file.read_bytes()).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    assert (counts > 0.005 * len(pixels)).sum() >= 5  # background, boxes and the classes' fills
    for key in ("met", "unmet", "conflict", "no_data"):  # the polygons are filled, not only the legend
        fill = np.array([int({**parse_measure("tc5").fills, **OUTSIDE_FILLS}[key][i : i + 2], 16) for i in (1, 3, 5)])
        assert counts[(colours == fill).all(axis=1)].sum() > 0.01 * len(pixels), key
