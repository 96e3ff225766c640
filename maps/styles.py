"""Style files that make a downloaded layer open looking like the planner's level map: a QGIS
style (QML, a categorised renderer) and an OGC Styled Layer Descriptor (SLD 1.0), both on the
download's ``ntm_class`` column, with the classes, fills and labels of ``maps.measures.level``
(not assessed: grey diagonal hatch in QGIS, light grey in SLD).

``ntm_class`` is the class of each unit in that map (``level_classes``): recognised at a level by
decision, all criteria met but not recognised, not yet, no data, not assessed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from maps.classify import fixed_class
from maps.commune import Commune
from maps.i18n import texts
from maps.measures.base import NO_DATA, NOT_ASSESSED, OUTSIDE_FILLS
from maps.measures.level import Level

#: The column the styles read, in every download format (10 characters: Shapefile too).
CLASS_FIELD = "ntm_class"
_NOT_ASSESSED_FILL = "#f0f0f0"  # SLD and the QGIS hatch's background: the page draws a hatch
_OUTLINE = "#4a4a4a"


@dataclass(frozen=True)
class StyleClass:
    """One class of the style: the value of ``ntm_class``, its label and fill."""

    key: str
    label: str
    fill: str


def level_classes(frame: pd.DataFrame) -> list[str]:
    """The ``ntm_class`` of each row of an assessed unit view (communes, districts or provinces with
    their own status): the class of the planner's level map."""
    measure = Level()
    return [fixed_class(measure, Commune.from_row(row)) for row in frame.itertuples(index=False)]


def style_classes(lang: str = "vi") -> list[StyleClass]:
    """The classes of the level map, highest level first, then no data and not assessed."""
    t = texts(lang)
    fills = {**Level.fills, NO_DATA: OUTSIDE_FILLS[NO_DATA], NOT_ASSESSED: _NOT_ASSESSED_FILL}
    return [StyleClass(key, t[f"class.{key}"], fill) for key, fill in fills.items()]


def _rgba(fill: str) -> str:
    return ",".join(str(int(fill[i : i + 2], 16)) for i in (1, 3, 5)) + ",255"


def _qgis_symbol(number: int, style: StyleClass) -> str:
    hatched = style.key == NOT_ASSESSED
    options = {
        "color": _rgba("#9a9a9a" if hatched else style.fill),
        "style": "b_diagonal" if hatched else "solid",
        "outline_color": _rgba(_OUTLINE),
        "outline_style": "solid",
        "outline_width": "0.26",
        "outline_width_unit": "MM",
    }
    props = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in options.items())
    values = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in options.items())
    return (
        f'<symbol type="fill" name="{number}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" pass="0" locked="0" enabled="1"><Option type="Map">{values}</Option>{props}'
        "</layer></symbol>"
    )


def qml(classes: Iterable[StyleClass]) -> str:
    """A QGIS layer style (categorised on ``ntm_class``), readable by QGIS 3.x."""
    classes = list(classes)
    categories = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(c.key)} label={quoteattr(c.label)}/>'
        for i, c in enumerate(classes)
    )
    symbols = "".join(_qgis_symbol(i, c) for i, c in enumerate(classes))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22.0" styleCategories="Symbology">'
        f'<renderer-v2 type="categorizedSymbol" attr="{CLASS_FIELD}" forceraster="0" symbollevels="0" '
        f'enableorderby="0"><categories>{categories}</categories><symbols>{symbols}</symbols></renderer-v2>'
        "</qgis>\n"
    )


def sld(layer: str, classes: Iterable[StyleClass], title: str) -> str:
    """An SLD 1.0 style of ``layer``: one rule per class on ``ntm_class``."""
    rules = "".join(
        f"<Rule><Name>{escape(c.key)}</Name><Title>{escape(c.label)}</Title>"
        "<ogc:Filter><ogc:PropertyIsEqualTo>"
        f"<ogc:PropertyName>{CLASS_FIELD}</ogc:PropertyName><ogc:Literal>{escape(c.key)}</ogc:Literal>"
        "</ogc:PropertyIsEqualTo></ogc:Filter>"
        f'<PolygonSymbolizer><Fill><CssParameter name="fill">{c.fill}</CssParameter></Fill>'
        f'<Stroke><CssParameter name="stroke">{_OUTLINE}</CssParameter>'
        '<CssParameter name="stroke-width">0.5</CssParameter></Stroke></PolygonSymbolizer></Rule>'
        for c in classes
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.0.0/StyledLayerDescriptor.xsd">'
        f"<NamedLayer><Name>{escape(layer)}</Name><UserStyle><Title>{escape(title)}</Title>"
        f"<FeatureTypeStyle>{rules}</FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"
    )
