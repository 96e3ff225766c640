"""The OGC collections: the interface (``base``), one module per collection, and the registry of
those served (``registry``, whose docstring says how to add one)."""
