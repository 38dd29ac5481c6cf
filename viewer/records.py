"""``@record``: a dataclass without dataclasses' per-class work (formats.records, where formats' own classes use it too)."""

from formats.records import record

__all__ = ["record"]
