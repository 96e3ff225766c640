"""Server-rendered HTML encodings of the OGC API - Features resources (Part 1 HTML conformance
class): plain HTML 5 tables, Vietnamese with English, every link of the JSON encoding as an <a>."""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f3f3f3}nav a{margin-right:1rem}code{background:#f6f6f6;padding:0 .2rem}
"""

#: Column headings: Vietnamese / English.
LABELS = {
    "code": "Mã / Code",
    "name": "Tên / Name",
    "unit_type": "Loại / Type",
    "district": "Huyện / District",
    "province": "Tỉnh / Province",
    "admin_level": "Cấp hành chính / Admin level",
    "population": "Dân số / Population",
    "area_ha": "Diện tích (ha) / Area (ha)",
    "flag": "Cờ / Flag",
    "assessed": "Được đánh giá / Assessed",
    "year": "Năm / Year",
    "framework": "Bộ tiêu chí / Framework",
    "level": "Mức đạt / Level reached",
    "criteria_met": "Số tiêu chí đạt / Criteria met",
    "criteria_total": "Tổng tiêu chí / Criteria total",
    "criteria_unmet": "Tiêu chí chưa đạt / Unmet criteria",
    "criteria_conflicting": "Tiêu chí mâu thuẫn / Conflicting criteria",
}
ITEM_COLUMNS = ("code", "name", "unit_type", "district", "province", "criteria_met", "level")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    if isinstance(value, bool):
        return "có / yes" if value else "không / no"
    return escape(str(value))


def _links(links: list[dict]) -> str:
    rows = "".join(
        f'<li><a href="{escape(link["href"])}" rel="{escape(link["rel"])}" '
        f'type="{escape(link.get("type", ""))}">{escape(link.get("title") or link["rel"])}</a> '
        f"<small>{escape(link.get('type', ''))}</small></li>"
        for link in links
    )
    return f"<h2>Liên kết / Links</h2><ul>{rows}</ul>"


def page(title: str, body: str, links: list[dict], base: str) -> str:
    nav = (
        f'<nav><a href="{base}/?f=html">Trang đầu / Landing page</a><a href="{base}/collections?f=html">'
        f'Tập dữ liệu / Collections</a><a href="{base}/conformance?f=html">Phù hợp / Conformance</a>'
        f'<a href="{base}/docs">API</a><a href="{base}/">Bản đồ / Map</a></nav>'
    )
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{nav}<h1>{escape(title)}</h1>{body}{_links(links)}</body></html>"
    )


def landing(doc: dict, base: str) -> str:
    body = f"<p>{escape(doc['description'])}</p>"
    return page(doc["title"], body, doc["links"], base)


def conformance(doc: dict, base: str) -> str:
    rows = "".join(f"<li><code>{escape(uri)}</code></li>" for uri in doc["conformsTo"])
    return page("Các lớp phù hợp / Conformance classes", f"<ul>{rows}</ul>", doc.get("links", []), base)


def _collection_rows(c: dict) -> str:
    bbox = c["extent"]["spatial"]["bbox"][0]
    interval = c["extent"]["temporal"]["interval"][0]
    items = next(link["href"] for link in c["links"] if link["rel"] == "items" and link["type"] == "text/html")
    return (
        f'<tr><td><a href="{escape(items)}">{escape(c["id"])}</a></td><td>{escape(c["title"])}</td>'
        f"<td>{', '.join(f'{v:.4f}' for v in bbox)}</td><td>{escape(interval[0] or '..')} – "
        f"{escape(interval[1] or '..')}</td></tr>"
    )


def collections(doc: dict, base: str) -> str:
    head = "<tr><th>Mã / Id</th><th>Tên / Title</th><th>Phạm vi / Extent (CRS84)</th><th>Thời gian / Time</th></tr>"
    body = f"<table>{head}{''.join(_collection_rows(c) for c in doc['collections'])}</table>"
    return page("Tập dữ liệu / Collections", body, doc["links"], base)


def collection(doc: dict, base: str) -> str:
    crs = "".join(f"<li><code>{escape(c)}</code></li>" for c in doc["crs"])
    head = "<tr><th>Mã / Id</th><th>Tên / Title</th><th>Phạm vi / Extent (CRS84)</th><th>Thời gian / Time</th></tr>"
    body = (
        f"<p>{escape(doc.get('description', ''))}</p><table>{head}{_collection_rows(doc)}</table>"
        f"<h2>Hệ tọa độ / Coordinate reference systems</h2><ul>{crs}</ul>"
        f"<p>storageCrs: <code>{escape(doc['storageCrs'])}</code></p>"
    )
    return page(doc["title"], body, doc["links"], base)


def queryables(doc: dict, base: str) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(p.get('type', ''))}</td>"
        f"<td>{escape(p.get('title', ''))}</td></tr>"
        for name, p in doc["properties"].items()
    )
    body = (
        f"<table><tr><th>Thuộc tính / Property</th><th>Kiểu / Type</th><th>Mô tả / Title</th></tr>{rows}</table>"
        "<p>Lọc / Filter: <code>?name=...</code> hoặc / or <code>?filter=criteria_met &gt;= 15 AND "
        "unit_type = 'xa'</code> (CQL2 text)</p>"
    )
    return page(doc["title"], body, doc.get("links", []), base)


def items(doc: dict, title: str, base: str) -> str:
    head = "".join(f"<th>{escape(LABELS.get(c, c))}</th>" for c in ITEM_COLUMNS)
    rows = []
    for f in doc["features"]:
        p = f["properties"]
        link = next((lk["href"] for lk in f.get("links", []) if lk["rel"] == "self"), None)
        cells = [f'<a href="{escape(link)}">{_cell(p.get("code"))}</a>' if link else _cell(p.get("code"))]
        cells += [_cell(p.get(c)) for c in ITEM_COLUMNS[1:]]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    summary = (
        f"<p>{doc['numberReturned']} / {doc['numberMatched']} đối tượng / features"
        + (f" · ranh giới / boundaries: {escape(doc['vintage']['name'])}" if doc.get("vintage") else "")
        + "</p>"
    )
    return page(title, f"{summary}<table><tr>{head}</tr>{''.join(rows)}</table>", doc["links"], base)


def item(doc: dict, base: str) -> str:
    rows = "".join(
        f"<tr><th>{escape(LABELS.get(k, k))}</th><td>{_cell(v)}</td></tr>" for k, v in doc["properties"].items()
    )
    title = f"{doc['properties'].get('name') or doc['id']} ({doc['id']})"
    return page(title, f"<table>{rows}</table>", doc["links"], base)
