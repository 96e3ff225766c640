"""The shape every import report shares (boundaries, lineage, statuses, infrastructure layers).

A report says which file was imported, how many rows were read and stored, whether anything was
stored (or it was a dry run), its problems, warnings and notes; each import kind adds its own
fields and writes its own ``lines`` for the terminal. The CLI prints ``text()``, the API returns
``to_dict()`` and the audit trail keeps ``record()``."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from geo_ntm.store.base import ImportRecord

#: ``field(metadata=HIDDEN)`` keeps a field out of ``to_dict`` (a live object, not data).
HIDDEN = {"hidden": True}


def _plain(value: Any) -> Any:
    """``value`` with every dataclass in it turned into a dict, as ``dataclasses.asdict`` does."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(kw_only=True)
class ImportReport(ABC):
    """What one import read, stored and found; subclasses add the fields of their kind."""

    #: The kind of import, as the audit trail records it: "boundaries", "status", "lineage" or "layer".
    import_kind: ClassVar[str]
    #: Keys ``to_dict`` also gives under the name a kind used before the common shape: old key -> field.
    aliases: ClassVar[dict[str, str]] = {}

    source_file: str  # the file as given, or the uploaded file's name
    rows_read: int = 0  # rows, features, events or raster cells read
    rows_stored: int = 0
    stored: bool = False
    dry_run: bool = False  # checked only: nothing was meant to be stored
    warnings: list = field(default_factory=list)  # remarks that did not stop the import
    notes: list = field(default_factory=list)  # remarks shared by several rows

    @property
    def problems(self) -> list:
        """The rows that stop the import (unless the user chose to skip them); files that cannot be
        used at all raise ``InputError`` instead, so most kinds have none."""
        return []

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems

    @abstractmethod
    def lines(self) -> list[str]:
        """The report for a person, line by line: counts first, then every remark."""

    def text(self) -> str:
        """``lines()`` as one text, for the terminal."""
        return "\n".join(self.lines())

    def to_dict(self) -> dict:
        """The report as JSON-able data: every field but the hidden ones, ``ok``, the import kind,
        and the old keys of ``aliases`` (clients of the API read them)."""
        data = {"import_kind": self.import_kind, "ok": self.ok}
        shown = [f.name for f in dataclasses.fields(self) if not f.metadata.get("hidden")]
        data |= {name: _plain(getattr(self, name)) for name in shown}
        data |= {old: data[name] for old, name in self.aliases.items()}
        return data

    def record(self, actor: str | None = None) -> ImportRecord:
        """The audit-trail record of this import, with this report as its data; ``actor`` is who
        imported (None: the command line)."""
        return ImportRecord(
            kind=self.import_kind,
            source_file=self.source_file,
            rows_read=self.rows_read,
            rows_stored=self.rows_stored,
            report=self.to_dict(),
            actor=actor,
        )
