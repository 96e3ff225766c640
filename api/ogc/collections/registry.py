"""The OGC collections the service serves, in the order ``/collections`` (and GDAL, OWSLib) lists them.

To add a collection:

1. write one module in ``api/ogc/collections/`` with a subclass of ``Collection``
   (``api.ogc.collections.base``): ``id``, ``title``, ``tiers``, ``queryables`` (and ``arrays``,
   ``description`` if need be); override ``frame`` when its features are not the units of its
   tiers as ``geo_ntm.views`` gives them, ``tiers_asked`` when ``level`` means something on it,
   ``default_year`` when the year shown without ``year`` is not the latest with statuses on the
   boundaries drawn;
2. add one line ``register(YourCollection())`` below.

Nothing else changes: the collections list, the collection document, ``/items``, ``/items/{id}``,
``/queryables``, ``/schema``, the downloads and the OpenAPI document (one items path per
collection, its queryables as parameters) all ask the registry."""

from __future__ import annotations

from api.ogc.collections.base import Collection
from api.ogc.collections.communes import Communes
from api.ogc.collections.districts import Districts
from api.ogc.collections.provinces import Provinces
from api.ogc.collections.units import Units
from geo_ntm.errors import NotFoundError

_SERVED: dict[str, Collection] = {}


def register(collection: Collection) -> None:
    """Serve ``collection`` after those registered before it; its id must be new."""
    if collection.id in _SERVED:
        raise ValueError(f"a collection {collection.id!r} is already registered")
    _SERVED[collection.id] = collection


def unregister(collection_id: str) -> None:
    """Stop serving a collection (tests register a tiny one and take it away again)."""
    _SERVED.pop(collection_id, None)


def served() -> list[Collection]:
    """Every collection served, in registration order."""
    return list(_SERVED.values())


def collection(collection_id: str) -> Collection:
    """The collection of an id from a URL; NotFoundError (404) names those served."""
    try:
        return _SERVED[collection_id]
    except KeyError:
        raise NotFoundError(f"no collection {collection_id!r}; collections are {', '.join(_SERVED)}") from None


register(Provinces())
register(Districts())
register(Communes())
register(Units())
