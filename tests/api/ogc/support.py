"""What the OGC tests expect of the store of ``conftest.py``."""

from __future__ import annotations

CITY_XA_2020 = {"Xã Bình Phú", "Xã Mỹ Thạnh An", "Xã Nhơn Thạnh", "Xã Phú Hưng", "Xã Phú Nhuận", "Xã Sơn Đông"}


def names(body) -> set[str]:
    """The names of the features of an items response."""
    return {f["properties"]["name"] for f in body["features"]}
