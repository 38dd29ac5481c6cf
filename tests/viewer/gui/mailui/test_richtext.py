"""The formatted body editor: HTML in and out, a paste from a word processor, real keys (xdotool) and a screenshot."""

from __future__ import annotations

import os
import subprocess

import pytest

from viewer.gui.mailui.richtext import RichEditor, read_html, write_html

pytestmark = pytest.mark.gui

WORD_PROCESSOR = """<html><head><meta charset="utf-8"><style>p { margin-bottom: 0.1in }</style></head>
<body lang="fr-FR"><p class="western" style="margin-bottom: 0in"><font face="Liberation Serif, serif">
<span style="font-size: 14pt; color: #c9211e">Devis <b>urgent</b> pour <i>l'atelier</i></span></font></p>
<ul><li><p style="margin-bottom: 0in"><u>Portes</u> en chêne<o:p></o:p></p></li><li><p>Fenêtres</p></li></ul>
<p>Voir <a href="https://example.com/devis" target="_blank" style="color:#000080">le site</a>.</p>
<script>alert(1)</script></body></html>"""


def test_html_round_trip_keeps_the_simple_subset():
    markup = ("<p>Bonjour <b>Madame</b>,<br>ci-joint <i>le devis</i> et <u>les conditions</u>.</p>"
              "<ul><li>un</li><li>deux</li></ul><ol><li>premier</li></ol>"
              '<p><a href="mailto:ventes@example.com">nous écrire</a></p>')
    lines: list = [[]]
    for text, tags in read_html(markup):
        for n, piece in enumerate(text.split("\n")):
            if n:
                lines.append([])
            if piece:
                lines[-1].append((piece, tags))
    out = write_html(lines)
    for fragment in ("<b>Madame</b>", "<br>", "<i>le devis</i>", "<u>les conditions</u>", "<ul>", "<li>un</li>",
                     "<ol>", "<li>premier</li>", '<a href="mailto:ventes@example.com">nous écrire</a>'):
        assert fragment in out, (fragment, out)


def test_paste_from_a_word_processor_keeps_simple_formatting(root):
    editor = RichEditor(root)
    editor.pack()
    editor.clipboard_clear()
    editor.clipboard_append(WORD_PROCESSOR, type="text/html")
    editor.paste()
    html = editor.get_html()
    assert "<b>urgent</b>" in html and "<i>l'atelier</i>" in html or "<i>l&#x27;atelier</i>" in html
    assert "<u>Portes</u>" in html and "<ul>" in html and "Fenêtres" in html
    assert '<a href="https://example.com/devis">le site</a>' in html
    for dropped in ("font", "style", "color", "14pt", "alert", "class", "Liberation"):
        assert dropped not in html, dropped
    editor.destroy()


def test_plain_text_paste_when_no_html_on_the_clipboard(root):
    editor = RichEditor(root)
    editor.clipboard_clear()
    editor.clipboard_append("ligne <b>pas du HTML</b>")
    editor.paste()
    assert editor.plain_text() == "ligne <b>pas du HTML</b>"
    assert "&lt;b&gt;" in editor.get_html()
    editor.destroy()


def test_toolbar_commands(root):
    editor = RichEditor(root, signature=lambda: "-- \nVentes Dupont", ask_link=lambda: "example.com")
    editor.set_html("<p>Bonjour</p><p>un</p><p>deux</p>")
    editor.text.tag_add("sel", "1.0", "1.7")
    editor.toggle("italic")
    editor.toggle("underline")
    assert "<u><i>Bonjour</i></u>" in editor.get_html()
    editor.toggle("italic")  # again: off
    assert "<u>Bonjour</u>" in editor.get_html()
    editor.text.tag_remove("sel", "1.0", "end")
    editor.text.tag_add("sel", "3.0", "5.end")
    editor.make_list("numbered")
    assert "<ol>\n<li>un</li>\n<li>deux</li>\n</ol>" in editor.get_html().replace("<br>", "")
    editor.text.tag_remove("sel", "1.0", "end")
    editor.text.insert("end", "\nSite : ")
    editor.text.mark_set("insert", "end")
    editor.add_link()
    assert '<p>Site : <a href="https://example.com">https://example.com</a></p>' in editor.get_html()
    editor.add_signature()
    assert editor.get_html().rstrip().endswith("Ventes Dupont</p>\n</body></html>")
    editor.destroy()


def test_real_keys_make_bold_in_the_send_dialog(root, tmp_path, notify, pump, samples):
    from tests.support.tools import require_tool
    require_tool("xdotool")
    require_tool("import")
    import formats
    from tests.viewer.gui.conftest import shoot
    from viewer import settings as settings_mod
    from viewer.directory import open_directory
    from viewer.gui import theme
    from viewer.gui.mailui.send_dialog import SendDialog
    from viewer.gui.mailui.services import MailServices

    theme.apply(root)
    root.deiconify()  # the dialog is a transient of it: shown only when it is
    root.geometry("10x10+1000+700")
    s = settings_mod.Settings()
    s.service.from_identity = "Ventes Dupont <ventes@example.com>"
    open_directory(s).import_csv(samples / "customers.csv", samples / "contacts.csv")
    services = MailServices(s)
    with formats.open_document(samples / "devis-D2026-0042.spv") as doc:
        draft = services.prepare(doc)
    dialog = SendDialog(root, services, draft, notify=notify)
    dialog.geometry("+0+0")
    assert pump(lambda: dialog.winfo_viewable(), timeout=10)
    text = dialog.editor.text
    env = {**os.environ}
    x, y = text.winfo_rootx() + 40, text.winfo_rooty() + text.winfo_height() - 12  # below the last line
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=True, timeout=20, env=env)
    # Tk gives the X focus itself (XSetInputFocus): xdotool windowfocus on the frame id could
    # meet a BadWindow on a loaded machine
    text.focus_force()
    assert pump(lambda: dialog.focus_get() is text, timeout=10)
    subprocess.run(["xdotool", "key", "ctrl+End", "Return"], check=True, timeout=20, env=env)
    subprocess.run(["xdotool", "type", "--delay", "5", "Merci"], check=True, timeout=20, env=env)
    subprocess.run(["xdotool", "key", "shift+Home", "ctrl+b"], check=True, timeout=20, env=env)
    assert pump(lambda: "<b>Merci</b>" in dialog.editor.get_html(), timeout=10), dialog.editor.get_html()
    shoot(env["DISPLAY"], tmp_path / "screens" / "send-dialog-editor.png", dialog)
    assert "<b>Merci</b>" in dialog.collect().html  # what is sent is the HTML underneath
    dialog.body_notebook.select(1)
    dialog.update()
    assert "<b>Merci</b>" in dialog.body_text.get("1.0", "end-1c")
    dialog.destroy()
