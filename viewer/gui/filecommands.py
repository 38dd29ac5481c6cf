"""Saving and printing the window's document: preview copy (V3), PDF with protection (F3), print (V9)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from viewer.gui import dialogs
from viewer.gui.dialogs import user_message
from viewer.gui.i18n import _


def _need_document(window: Any) -> bool:
    if window.current_document is None:
        window.status.show_message(_("status.no_document"))
        return False
    return True


def offer_save_preview(window: Any) -> None:
    """After a spool opens, offer to keep a copy — unless ``printing.no_save_offer`` is set."""
    document = window.current_document
    if document is None or not window.winfo_exists():
        return
    dialog = dialogs.SavePreviewDialog(window, document.name)
    if dialog.dont_offer.get():
        from viewer.gui.mainwindow import save_settings

        window.settings.printing.no_save_offer = True
        save_settings(window.settings)
    if dialog.result:
        save_preview(window)


def save_preview(window: Any) -> None:
    """Save a copy of the spool file as it is, where the user chooses."""
    if not _need_document(window):
        return
    source = Path(window.current_document.path)
    target = dialogs.ask_path(window, "save", _("savepreview.choose"), initialfile=source.name,
                              initialdir=str(source.parent))
    if not target:
        return
    try:
        if Path(target).resolve() != source.resolve():
            shutil.copyfile(source, target)
    except OSError as exc:
        window.show_error(_("error.save", path=target, detail=user_message(exc)))
        return
    window.status.show_message(_("status.saved", path=target))


def save_pdf(window: Any) -> None:
    """Save the document as a PDF with the protection chosen in the dialog."""
    if not _need_document(window):
        return
    document = window.current_document
    default = getattr(getattr(window.settings, "pdf", None), "protection", "none")
    choice = dialogs.SaveAsPdfDialog(window, mode=default).result
    if choice is None:
        return
    target = dialogs.ask_path(window, "save", _("savepdf.choose"), initialfile=f"{Path(document.name).stem}.pdf",
                              filetypes=[(_("menu.filetype.pdf"), "*.pdf")])
    if not target:
        return
    try:
        from formats.pdf import Protection, to_pdf

        data = to_pdf(document, protection=Protection(mode=choice.mode, password=choice.password))
    except Exception as exc:  # noqa: BLE001 - any conversion failure is told, not raised
        window.show_error(_("error.pdf", detail=user_message(exc)))
        return
    if write_file(window, Path(target), data):
        window.status.show_message(_("status.saved", path=target))


def save_attachment(window: Any, attachment: Any) -> None:
    target = dialogs.ask_path(window, "save", _("eml.save_title"), initialfile=attachment.filename)
    if target and write_file(window, Path(target), attachment.data):
        window.status.show_message(_("status.saved", path=target))


def write_file(window: Any, target: Path, data: bytes) -> bool:
    """Write ``data`` through a temporary name; a failure is shown and leaves nothing behind."""
    tmp = target.with_name(target.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
        return True
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        window.show_error(_("error.save", path=str(target), detail=user_message(exc)))
        return False


def print_document(window: Any) -> None:
    """Choose a printer and print (spools go through a temporary PDF)."""
    if not _need_document(window):
        return
    from viewer.gui.printing import print_document as system_print

    try:
        answer = system_print(window, window.current_document)
    except Exception as exc:  # noqa: BLE001 - no printer, no CUPS, lp failed, conversion failed: all told
        window.show_error(user_message(exc))
        return
    if answer is not None:
        window.status.show_message(_("status.printed", detail=answer))
