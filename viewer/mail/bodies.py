"""Body alternatives: plain text as simple HTML or RTF, and HTML back to plain text."""

from __future__ import annotations

import re

__all__ = ["html_to_text", "text_to_html", "text_to_rtf"]


def _escape(text: str) -> str:
    """``html.escape(text)`` (quotes included) without importing html and its entity table."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#x27;"))


def text_to_html(text: str) -> str:
    """A plain body as simple HTML paragraphs (what the HTML editor starts from)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip("\n"))]
    parts = ["<p>" + _escape(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs if p.strip()]
    return "<html><body>\n" + "\n".join(parts) + "\n</body></html>\n"


def html_to_text(source: str) -> str:
    """The plain-text alternative of an HTML body (paragraphs and line breaks kept)."""
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", source)
    text = re.sub(r"(?i)<br\s*/?>\s*\n?", "\n", text)
    text = re.sub(r"(?i)</p\s*>\s*", "\n\n", text)
    text = re.sub(r"(?s)<[^>]+>", "", text)
    import html  # its entity table is large: imported when HTML is read back to text, not written

    text = html.unescape(text)
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def text_to_rtf(text: str) -> str:
    """A plain body as a minimal RTF document (ASCII only: other characters as \\uN escapes)."""
    out = []
    for char in text.replace("\r\n", "\n").strip("\n"):
        if char in "\\{}":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\par\n")
        elif char == "\t":
            out.append("\\tab ")
        elif ord(char) < 128:
            out.append(char)
        else:
            data = char.encode("utf-16-le")  # RTF counts in signed UTF-16 units (two for a surrogate pair)
            out.extend(f"\\u{int.from_bytes(data[i:i + 2], 'little', signed=True)}?" for i in range(0, len(data), 2))
    return "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\\f0\\fs20\n" + "".join(out) + "\\par\n}\n"
