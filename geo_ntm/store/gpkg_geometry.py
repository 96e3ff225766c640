"""GeoPackage geometry blobs (OGC 12-128r18, section 2.1.3): a small header with the SRS id and
envelope, followed by ISO WKB. Encoding and decoding use shapely's WKB functions."""

from __future__ import annotations

import struct

import numpy as np
import shapely

_ENVELOPE_SIZES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _wkb_offset(blob: bytes) -> int:
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    return 8 + _ENVELOPE_SIZES[(blob[3] >> 1) & 0b111]


def decode_many(blobs) -> np.ndarray:
    """Shapely geometries for a sequence of GeoPackage blobs (None stays None)."""
    wkb = [None if b is None else bytes(b)[_wkb_offset(b) :] for b in blobs]
    return shapely.from_wkb(wkb)


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a blob, from its header when present, else from the WKB."""
    if blob is None or blob[3] & 0b1_0000:
        return None
    if (blob[3] >> 1) & 0b111:
        fmt = "<4d" if blob[3] & 1 else ">4d"
        return struct.unpack(fmt, blob[8:40])
    minx, miny, maxx, maxy = shapely.from_wkb(bytes(blob)[_wkb_offset(blob) :]).bounds
    return minx, maxx, miny, maxy


def is_empty(blob: bytes | None) -> int:
    return 1 if blob is None or bool(blob[3] & 0b1_0000) else 0


def encode_many(geoms, srs_id: int) -> list[bytes | None]:
    """GeoPackage blobs (XY envelope, little-endian; empty geometries flagged, without envelope) of an
    array of geometries (None stays None), with the WKB and envelopes computed vectorised."""
    geoms = np.asarray(geoms, dtype=object)
    wkb = shapely.to_wkb(geoms, flavor="iso", byte_order=1)
    bounds = shapely.bounds(geoms)
    empty = shapely.is_empty(geoms)
    srs = struct.pack("<i", srs_id)
    full, hollow = b"GP\x00\x03" + srs, b"GP\x00\x11" + srs
    return [
        None if w is None else hollow + w if e else full + struct.pack("<4d", b[0], b[2], b[1], b[3]) + w
        for w, b, e in zip(wkb, bounds, empty, strict=True)
    ]
