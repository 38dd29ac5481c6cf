"""A formatted mail body editor: bold, italic, underline, lists, links and signature over a Tk Text, HTML underneath.

The editor keeps a small subset of HTML — paragraphs, line breaks, <b> <i> <u>, bulleted
and numbered lists, links — which is what a mail body needs and what every mail program
shows the same way. ``set_html`` reads any HTML into that subset (so a paste from a word
processor keeps bold, italic, underline, lists and links and drops fonts, colours and
styles); ``get_html`` writes it back.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
import tkinter as tk
from collections.abc import Callable
from html.parser import HTMLParser
from tkinter import ttk

from viewer.gui.i18n import _
from viewer.gui.toolbar import Tooltip

INLINE = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline"}
TAG_HTML = {"bold": "b", "italic": "i", "underline": "u"}
BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "table", "pre"}
SKIP = {"script", "style", "head", "title", "xml", "o:p"}
FONT = ("TkDefaultFont", 10)  # a mail reads in a proportional font (bold and italic on top of it)
BUTTON_STYLES = {"bold": "Bold.Toolbutton", "italic": "Italic.Toolbutton", "underline": "Underline.Toolbutton"}


class _Reader(HTMLParser):
    """HTML -> runs of (text, tags): what the editor can show, the rest dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[tuple[str, tuple[str, ...]]] = []
        self.inline: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [is_numbered, counter]
        self.link: str = ""
        self.skip = 0

    def _newline(self, count: int = 1) -> None:
        text = "".join(t for t, _tags in self.runs)
        if not text:
            return
        have = len(text) - len(text.rstrip("\n"))
        if have < count:
            self.runs.append(("\n" * (count - have), ()))

    def _tags(self) -> tuple[str, ...]:
        tags = list(dict.fromkeys(self.inline))
        if self.link:
            tags += ["link", "href:" + self.link]
        return tuple(tags)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skip += 1
        elif tag in INLINE:
            self.inline.append(INLINE[tag])
        elif tag == "br":
            self.runs.append(("\n", ()))
        elif tag in BLOCKS:
            if not self.lists:  # a paragraph inside a list item stays on the item's line
                self._newline(2)
        elif tag in ("ul", "ol"):
            self._newline(1 if self.lists else 2)
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            self._newline(1)
            if self.lists:
                numbered = self.lists[-1]
                numbered[1] += 1
                mark = f"{numbered[1]}. " if numbered[0] else "• "
                self.runs.append((mark, ("numbered" if numbered[0] else "bullet",)))
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.link = href if href.lower().startswith(("http://", "https://", "mailto:")) else ""

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in INLINE and INLINE[tag] in self.inline:
            self.inline.reverse()
            self.inline.remove(INLINE[tag])
            self.inline.reverse()
        elif tag in BLOCKS:
            if not self.lists:
                self._newline(2)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._newline(2 if not self.lists else 1)
        elif tag == "a":
            self.link = ""

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = re.sub(r"\s+", " ", data)
        last = self.runs[-1][0] if self.runs else "\n"
        if last.endswith(("\n", " ")):
            text = text.lstrip(" ")
        if text:
            self.runs.append((text, self._tags()))


def read_html(markup: str) -> list[tuple[str, tuple[str, ...]]]:
    """The runs of text and formatting the editor keeps from ``markup`` (leading/trailing blank lines removed)."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    runs = [(t, tags) for t, tags in reader.runs if t]
    while runs and not runs[0][0].strip(" \n"):
        runs.pop(0)
    while runs and not runs[-1][0].strip(" \n"):
        runs.pop()
    if runs:
        runs[0] = (runs[0][0].lstrip(" \n"), runs[0][1])
        runs[-1] = (runs[-1][0].rstrip(" \n"), runs[-1][1])
    return runs


def write_html(lines: list[list[tuple[str, tuple[str, ...]]]]) -> str:
    """Lines of runs -> HTML: blank lines separate paragraphs, marked lines make lists."""
    out: list[str] = []
    paragraph: list[str] = []
    open_list = ""

    def inline(runs: list[tuple[str, tuple[str, ...]]]) -> str:
        parts = []
        for text, tags in runs:
            piece = html_lib.escape(text)
            for tag in ("bold", "italic", "underline"):
                if tag in tags:
                    piece = f"<{TAG_HTML[tag]}>{piece}</{TAG_HTML[tag]}>"
            href = next((t[5:] for t in tags if t.startswith("href:")), "")
            if href:
                piece = f'<a href="{html_lib.escape(href)}">{piece}</a>'
            parts.append(piece)
        return "".join(parts)

    def flush() -> None:
        if paragraph:
            out.append("<p>" + "<br>\n".join(paragraph) + "</p>")
            paragraph.clear()

    def kind_of(runs: list[tuple[str, tuple[str, ...]]]) -> str:
        return next((tag for _t, tags in runs for tag in tags if tag in ("bullet", "numbered")), "")

    for number, runs in enumerate(lines):
        if not kind_of(runs) and open_list and not "".join(t for t, _tags in runs).strip():
            following = next((kind_of(r) for r in lines[number + 1:] if "".join(t for t, _g in r).strip()), "")
            if following == ("numbered" if open_list == "ol" else "bullet"):
                continue  # a blank line between two items of one list
        kind = next((tag for _t, tags in runs for tag in tags if tag in ("bullet", "numbered")), "")
        content = [(t, tags) for t, tags in runs if not ({"bullet", "numbered"} & set(tags))]
        if kind and not "".join(t for t, _tags in content).strip():
            continue  # an empty item: nothing to list
        if kind:
            flush()
            wanted = "ol" if kind == "numbered" else "ul"
            if open_list != wanted:
                if open_list:
                    out.append(f"</{open_list}>")
                out.append(f"<{wanted}>")
                open_list = wanted
            out.append(f"<li>{inline(content)}</li>")
            continue
        if open_list:
            out.append(f"</{open_list}>")
            open_list = ""
        if not "".join(t for t, _tags in content).strip():
            flush()
        else:
            paragraph.append(inline(content))
    flush()
    if open_list:
        out.append(f"</{open_list}>")
    return "<html><body>\n" + "\n".join(out) + "\n</body></html>\n"


class RichEditor(ttk.Frame):
    """A Text with a formatting bar; ``get_html()`` / ``set_html()``; ``signature`` is what the signature button adds."""

    def __init__(self, master: tk.Misc, *, signature: Callable[[], str] = lambda: "",
                 ask_link: Callable[[], str] | None = None) -> None:
        super().__init__(master)
        self.signature = signature
        self.ask_link = ask_link or self._ask_link
        self._links = 0
        bar = ttk.Frame(self)
        bar.pack(fill="x", pady=(0, 2))
        style = ttk.Style(self)
        for name, font in (("bold", (*FONT, "bold")), ("italic", (*FONT, "italic")), ("underline", (*FONT, "underline"))):
            style.configure(BUTTON_STYLES[name], font=font)
        self.buttons: dict[str, ttk.Button] = {}
        for name, text, command in (
            ("bold", _("mail.editor.bold_short"), lambda: self.toggle("bold")),
            ("italic", _("mail.editor.italic_short"), lambda: self.toggle("italic")),
            ("underline", _("mail.editor.underline_short"), lambda: self.toggle("underline")),
            ("bullet", "•", lambda: self.make_list("bullet")),
            ("numbered", "1.", lambda: self.make_list("numbered")),
            ("link", _("mail.editor.link"), self.add_link),
            ("signature", _("mail.editor.signature"), self.add_signature),
        ):
            button = ttk.Button(bar, text=text, command=command, style=BUTTON_STYLES.get(name, "Toolbutton"),
                                width=0 if name in ("signature", "link") else 3)
            button.pack(side="left", padx=1)
            self.buttons[name] = button
            Tooltip(button, functools.partial(_, f"mail.editor.{name}"))
        self.text = tk.Text(self, height=12, width=70, wrap="word", undo=True, font=FONT, padx=6, pady=4)
        scroll = ttk.Scrollbar(self, command=self.text.yview)
        self.text.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.text.pack(fill="both", expand=True)
        self.text.tag_configure("bold", font=(*FONT, "bold"))
        self.text.tag_configure("italic", font=(*FONT, "italic"))
        self.text.tag_configure("underline", underline=True)
        self.text.tag_configure("link", foreground="#2a62b8", underline=True)
        self.text.tag_configure("bullet", lmargin1=6, foreground="#2a62b8")
        self.text.tag_configure("numbered", lmargin1=6, foreground="#2a62b8")
        for key, tag in (("<Control-b>", "bold"), ("<Control-i>", "italic"), ("<Control-u>", "underline")):
            self.text.bind(key, functools.partial(self._toggle_key, tag))
        self.text.bind("<<Paste>>", self._paste_key)

    # -- content ----------------------------------------------------------------------
    def set_html(self, markup: str) -> None:
        self.text.delete("1.0", "end")
        self.insert_runs(read_html(markup))
        self.text.edit_modified(False)

    def insert_runs(self, runs: list[tuple[str, tuple[str, ...]]], index: str = "insert") -> None:
        for text, tags in runs:
            self.text.insert(index, text, tags)

    def get_html(self) -> str:
        lines: list[list[tuple[str, tuple[str, ...]]]] = [[]]
        tags: list[str] = []
        for key, value, _index in self.text.dump("1.0", "end-1c", text=True, tag=True):
            if key == "tagon":
                tags.append(value)
            elif key == "tagoff" and value in tags:
                tags.remove(value)
            elif key == "text":
                pieces = value.split("\n")
                for n, piece in enumerate(pieces):
                    if n:
                        lines.append([])
                    if not piece:
                        continue
                    now = tuple(t for t in tags if t != "sel")
                    if lines[-1] and lines[-1][-1][1] == now:  # one run per formatting: <b>Merci</b>
                        lines[-1][-1] = (lines[-1][-1][0] + piece, now)
                    else:
                        lines[-1].append((piece, now))
        return write_html(lines)

    def plain_text(self) -> str:
        return self.text.get("1.0", "end-1c")

    # -- commands ---------------------------------------------------------------------
    def _selection(self) -> tuple[str, str] | None:
        ranges = self.text.tag_ranges("sel")
        return (str(ranges[0]), str(ranges[1])) if ranges else None

    def _toggle_key(self, tag: str, _event: object) -> str:
        self.toggle(tag)
        return "break"

    def _paste_key(self, _event: object) -> str:
        self.paste()
        return "break"

    def toggle(self, tag: str) -> None:
        """Bold / italic / underline on the selection (off when all of it has it already)."""
        chosen = self._selection()
        if chosen is None:
            return
        start, end = chosen
        has = all(tag in self.text.tag_names(f"{start}+{i}c")
                  for i in range(len(self.text.get(start, end))) if self.text.get(f"{start}+{i}c") != "\n")
        (self.text.tag_remove if has else self.text.tag_add)(tag, start, end)

    def make_list(self, kind: str) -> None:
        """Turn the selected lines (or the current one) into list items."""
        chosen = self._selection() or (self.text.index("insert"), self.text.index("insert"))
        first = int(chosen[0].split(".")[0])
        last = int(self.text.index(f"{chosen[1]}-1c").split(".")[0]) if chosen[1] != chosen[0] else first
        last = max(first, last)
        lines = [line for line in range(first, last + 1) if self.text.get(f"{line}.0", f"{line}.end").strip()]
        for n, line in enumerate(lines or [first], start=1):
            mark = "• " if kind == "bullet" else f"{n}. "
            for other in ("bullet", "numbered"):  # one list kind per line: an old mark goes
                ranges = self.text.tag_nextrange(other, f"{line}.0", f"{line}.end")
                if ranges:
                    self.text.delete(*ranges)
            self.text.insert(f"{line}.0", mark, (kind,))

    def _ask_link(self) -> str:
        from tkinter import simpledialog

        return simpledialog.askstring(_("mail.editor.link"), _("mail.editor.link_prompt"), parent=self) or ""

    def add_link(self) -> None:
        """Make the selection (or the address itself) a link to the address asked for."""
        url = self.ask_link().strip()
        if not url:
            return
        if "@" in url and not url.lower().startswith(("mailto:", "http")):
            url = "mailto:" + url
        elif not url.lower().startswith(("http://", "https://", "mailto:")):
            url = "https://" + url
        chosen = self._selection()
        if chosen is None:
            self.text.insert("insert", url.removeprefix("mailto:"), ("link", "href:" + url))
        else:
            self.text.tag_add("link", *chosen)
            self.text.tag_add("href:" + url, *chosen)

    def add_signature(self) -> None:
        text = self.signature().strip("\n")
        if text:
            self.text.insert("end", "\n\n" + text)

    def paste(self) -> None:
        """Paste: HTML from a word processor keeps its simple formatting; else the plain text."""
        try:
            markup = self.clipboard_get(type="text/html")
        except tk.TclError:
            markup = ""
        if self._selection():
            self.text.delete("sel.first", "sel.last")
        if markup.strip():
            self.insert_runs(read_html(markup))
            return
        try:
            self.text.insert("insert", self.clipboard_get())
        except tk.TclError:
            pass
