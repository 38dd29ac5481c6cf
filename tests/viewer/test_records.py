"""viewer.records hands on formats.records' @record; the settings' sections are records the viewer compares."""

from __future__ import annotations

import dataclasses

from formats import records as formats_records
from viewer import records


def test_viewer_records_is_formats_records() -> None:
    assert records.record is formats_records.record


def test_settings_sections_are_records_the_viewer_compares() -> None:
    from viewer import settings as S

    one, two = S.Settings(), S.Settings()
    assert one == two and dataclasses.is_dataclass(one)
    two.pdf.pdfa = not two.pdf.pdfa
    assert one != two and "pdfa=" in repr(two.pdf)
