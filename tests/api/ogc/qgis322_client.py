"""What Debian 12's QGIS 3.22 (``python3-qgis``) makes of the service, run by the system Python
(``/usr/bin/python3``, which has QGIS's bindings; the project's virtualenv has not) for
``test_qgis322.py``, in one process because QGIS starts slowly:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis322_client.py SERVICE_URL PROVINCE GPKG

1. the OGC API - Features layer of the communes of PROVINCE as QGIS's OAPIF provider opens it with
   its default settings (no year in the URL: the collection's default year);
2. the same layer filtered by a subset string, as the layer properties' query builder sets it;
3. the GeoPackage download GPKG opened with the style its ``layer_styles`` table carries.

Prints one JSON object: what QGIS found (field types, counts, names, the renderer and its classes,
the class each feature is drawn with), for the test to check."""

from __future__ import annotations

import json
import sys
from collections import Counter

from qgis.core import Qgis, QgsApplication, QgsRenderContext, QgsVectorLayer

#: The fields whose type QGIS must read as numbers (and two others as a control).
TYPED = ("criteria_met", "criteria_total", "year", "population", "assessed", "name")


def oapif_layer(url: str, province: str) -> QgsVectorLayer:
    """The communes collection as QGIS's "Add WFS / OGC API - Features layer" dialog opens it."""
    return QgsVectorLayer(f"url='{url}/?province={province}' typename='communes'", "communes", "OAPIF")


def describe(layer: QgsVectorLayer) -> dict:
    """Validity, field types, feature count and the features' names and years."""
    features = list(layer.getFeatures())
    return {
        "valid": layer.isValid(),
        "types": {f.name(): f.typeName() for f in layer.fields() if f.name() in TYPED},
        "feature_count": layer.featureCount(),
        "features": len(features),
        "names": sorted({f["name"] for f in features}),
        "years": sorted({f["year"] for f in features if f["year"] is not None}),
        "criteria_met_max": max((f["criteria_met"] for f in features if f["criteria_met"] is not None), default=None),
    }


def styled(path: str) -> dict:
    """The GeoPackage layer with the style QGIS loads from its ``layer_styles`` table, and the class
    each feature is drawn with."""
    layer = QgsVectorLayer(f"{path}|layername=communes", "communes", "ogr")
    renderer = layer.renderer()
    found = {"valid": layer.isValid(), "renderer": renderer.type()}
    if renderer.type() != "categorizedSymbol":
        return found
    categories = [
        {
            "value": c.value(),
            "label": c.label(),
            "color": c.symbol().color().name(),
            "solid": c.symbol().symbolLayer(0).brushStyle() == 1,  # Qt.SolidPattern
        }
        for c in renderer.categories()
    ]
    context = QgsRenderContext()
    renderer.startRender(context, layer.fields())
    drawn = Counter()
    for feature in layer.getFeatures():
        symbol = renderer.symbolForFeature(feature, context)
        drawn[f"{feature['ntm_class']}={symbol.color().name() if symbol else None}"] += 1
    renderer.stopRender(context)
    return found | {"field": renderer.classAttribute(), "categories": categories, "drawn": dict(drawn)}


def main(url: str, province: str, gpkg: str) -> dict:
    """Everything the test checks, from one QGIS session."""
    layer = oapif_layer(url, province)
    loaded = describe(layer)
    filtered_ok = layer.setSubsetString('"criteria_met" >= 19')
    filtered = describe(layer) | {"accepted": filtered_ok}
    return {"qgis": Qgis.QGIS_VERSION, "loaded": loaded, "filtered": filtered, "styled": styled(gpkg)}


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    result = main(*sys.argv[1:4])
    print(json.dumps(result, ensure_ascii=False))
    app.exitQgis()
