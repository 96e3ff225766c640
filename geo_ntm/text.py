"""Text normalisation for Vietnamese names: NFC on the way in, tone-insensitive keys for
matching, and type prefixes ("Xã", "P.", "TT.", "TP.") split off names."""

from __future__ import annotations

import re
import unicodedata

from geo_ntm.domain import UnitType

_SPACES = re.compile(r"\s+")


def nfc(text: object) -> str | None:
    """Return ``text`` as a Unicode NFC string with collapsed white space, or None if blank."""
    if text is None:
        return None
    if isinstance(text, float) and text != text:  # NaN from pandas
        return None
    s = _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()
    return s or None


def fold(text: str | None) -> str:
    """Tone- and case-insensitive key: strip diacritics, write đ as d, keep letters and digits.

    >>> fold("Xã Long Đực") == fold("xa long duc")
    True
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", base))


# Prefixes are recognised with their exact diacritics (case-insensitive), so that the commune
# "Phương Thạnh" is never read as "Phường Thạnh". Abbreviations need their dot or stand before
# a number ("P1", "P.1", "F.1").
_PREFIXES: tuple[tuple[str, tuple[UnitType, ...]], ...] = (
    ("thành phố", (UnitType.THANH_PHO,)),
    ("thị trấn", (UnitType.THI_TRAN,)),
    ("thị xã", (UnitType.THI_XA,)),
    ("đặc khu", (UnitType.DAC_KHU,)),
    ("phường", (UnitType.PHUONG,)),
    ("huyện", (UnitType.HUYEN,)),
    ("quận", (UnitType.QUAN,)),
    ("tỉnh", (UnitType.TINH,)),
    ("xã", (UnitType.XA,)),
    ("tp.", (UnitType.THANH_PHO,)),
    ("tp", (UnitType.THANH_PHO,)),
    ("tt.", (UnitType.THI_TRAN,)),
    ("tx.", (UnitType.THI_XA,)),
    ("p.", (UnitType.PHUONG,)),
    ("q.", (UnitType.QUAN,)),
    ("h.", (UnitType.HUYEN,)),
    ("x.", (UnitType.XA,)),
)
_NUMBERED = re.compile(r"^(p|f|q)\.?\s*(\d+)$", re.IGNORECASE)


def split_prefix(name: str | None) -> tuple[tuple[UnitType, ...], str]:
    """Split a unit name into the types its prefix allows and the bare name.

    >>> split_prefix("TP. Đồng Hới")
    ((<UnitType.THANH_PHO: 'thanh_pho'>,), 'Đồng Hới')
    >>> split_prefix("Phương Thạnh")
    ((), 'Phương Thạnh')
    """
    s = nfc(name) or ""
    numbered = _NUMBERED.match(s)
    if numbered:
        kind = numbered.group(1).lower()
        return ((UnitType.QUAN,) if kind == "q" else (UnitType.PHUONG,)), numbered.group(2)
    lowered = s.casefold()
    for prefix, types in _PREFIXES:
        if not lowered.startswith(prefix):
            continue
        rest = s[len(prefix) :]
        # a word prefix must end at a word boundary; an abbreviation ends with its dot
        if prefix.endswith(".") or (rest[:1] in (" ", "")):
            rest = rest.lstrip(" .")
            if rest:
                return types, rest
    return (), s


def name_key(name: str | None) -> str:
    """Matching key of a name: prefix removed, tones and case folded."""
    return fold(split_prefix(name)[1])
