"""The layout seam: a layout is one class registered in ``layouts.LAYOUTS``; reading, matching,
importing and reporting need no change for a new one."""

from __future__ import annotations

import re
from typing import ClassVar

import pytest

from geo_ntm.domain import Framework
from geo_ntm.errors import InputError
from geo_ntm.status_import import layouts
from geo_ntm.status_import.cells import CriterionValue, RowCheck
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.status_import.layouts.base import Cells, Header, Reported, StatusLayout
from geo_ntm.status_import.reading import read_status_file

BEN_TRE = "Bến Tre,Thành phố Bến Tre"


class MetListLayout(StatusLayout):
    """A fourth layout, made up for this test: the criteria met listed in one cell ("1; 2; 5"),
    every other criterion of the framework unmet."""

    name = "met list"
    columns_hint = "Met criteria (a list)"
    fields: ClassVar[dict[str, tuple[str, ...]]] = {"met_list": ("met criteria",)}

    def detect(self, header: Header) -> bool:
        return "met_list" in header.fields

    def read(self, cells: Cells, framework: Framework, check: RowCheck) -> Reported:
        listed = {int(n) for n in re.findall(r"\d+", cells.get("met_list") or "")}
        return Reported(
            values=tuple(
                CriterionValue(c.number, c.number in listed, cells.label("met_list")) for c in framework.criteria
            )
        )


def write_csv(tmp_path, lines: list[str], name: str):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_registry_detects_in_order():
    assert [layout.name for layout in layouts.LAYOUTS] == ["wide", "long", "counts", "recognitions"]
    wide_with_total = Header(0, {"commune": 0, "criteria_met": 2}, {1: 1}, ["Xã", "TC1", "Số tiêu chí đạt"], [])
    assert layouts.detect_layout(wide_with_total).name == "wide"
    counts_with_decision = Header(0, {"commune": 0, "criteria_met": 1, "decision": 2}, {}, ["Xã", "Đạt", "QĐ"], [])
    assert layouts.detect_layout(counts_with_decision).name == "counts"
    decisions = Header(0, {"commune": 0, "decision": 1}, {}, ["Xã", "Quyết định"], [])
    assert layouts.detect_layout(decisions).name == "recognitions"


def test_a_new_layout_is_one_class_in_the_registry(store_2009, tmp_path, monkeypatch):
    path = write_csv(
        tmp_path,
        [
            "province,district,commune,year,framework,level,met criteria",
            f'{BEN_TRE},Phú Nhuận,2020,qd1980_2016,ntm,"1; 2; 5"',
        ],
        "met_list.csv",
    )
    with pytest.raises(InputError, match=r"no header row found"):
        read_status_file(path)  # not a layout yet

    monkeypatch.setattr(layouts, "LAYOUTS", [*layouts.LAYOUTS, MetListLayout()])
    report = import_status_file(store_2009, path)
    assert report.ok and report.stored and report.layout == "met list"
    assert report.statuses_stored == 19 and "met list layout" in report.text()
    assert {s.criterion for s in store_2009.statuses() if s.met} == {1, 2, 5}
    headerless = write_csv(tmp_path, ["just,some,cells"], "headerless.csv")
    with pytest.raises(
        InputError,
        match=r"\(criteria_met\), Quyết định \+ Ngày \(decision \+ decision_date\), or Met criteria \(a list\)",
    ):
        read_status_file(headerless)
