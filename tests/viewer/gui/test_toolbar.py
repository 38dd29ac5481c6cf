"""Toolbar: every icon draws, buttons go where asked, tooltips follow the language."""

from __future__ import annotations

import tkinter as tk

import pytest
from PIL import Image

from viewer.gui import i18n
from viewer.gui.toolbar import ICONS, Toolbar, Tooltip, draw_icon

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("name", ICONS)
def test_every_icon_draws_something(name):
    image = draw_icon(name, 24)
    assert image.size == (24, 24) and image.mode == "RGBA"
    assert image.getchannel("A").getextrema()[1] > 200  # opaque ink somewhere
    assert image.getchannel("A").getextrema()[0] == 0  # and a transparent background


def test_unknown_icon_is_an_error():
    with pytest.raises(KeyError):
        draw_icon("nope")


def test_add_buttons_in_order_and_before_a_named_one(root, tmp_path):
    bar = Toolbar(root)
    calls = []
    bar.add("open", "open", "tip.open", lambda: calls.append("open"))
    bar.add("print", "print", "tip.print", lambda: calls.append("print"))
    png = tmp_path / "x.png"
    Image.new("RGBA", (16, 16), (255, 0, 0, 255)).save(png)
    bar.add("fax", png, "tip.print", lambda: None, position="print")
    bar.add("mail", Image.new("RGBA", (8, 8)), "tip.print", lambda: None, position=0)
    names = {v: k for k, v in bar.buttons.items()}
    assert [names[w] for w in bar._order] == ["mail", "open", "fax", "print"]
    bar.buttons["print"].invoke()
    assert calls == ["print"]
    assert bar.buttons["fax"].cget("image")


def test_tooltip_text_is_translated_when_shown(root):
    bar = Toolbar(root)
    bar.pack()
    button = bar.add("open", "open", "tip.open", lambda: None)
    tip = bar.tooltips["open"]
    root.deiconify()
    root.update()
    try:
        i18n.set_language("en")
        tip.show()
        label = tip.tip.winfo_children()[0]
        assert label.cget("text") == "Open a document (Ctrl+O)"
        tip.hide()
        i18n.set_language("fr")
        tip.show()
        assert tip.tip.winfo_children()[0].cget("text").startswith("Ouvrir")
    finally:
        tip.hide()
        i18n.set_language("fr")
    assert tip.tip is None and isinstance(button, tk.Widget)


def test_tooltip_is_scheduled_on_enter_and_cancelled_on_leave(root):
    label = tk.Label(root, text="x")
    tip = Tooltip(label, lambda: "hello")
    tip._schedule()
    assert tip._job is not None
    tip.hide()
    assert tip._job is None and tip.tip is None


def test_disabled_buttons_show_a_greyed_icon(root):
    from viewer.gui.toolbar import greyed

    bar = Toolbar(root)
    button = bar.add("zoom-in", "zoom-in", "tip.zoom_in", lambda: None)
    image = draw_icon("zoom-in", 24)
    grey = greyed(image)
    r, g, b, _a = grey.getpixel(next((x, y) for x in range(24) for y in range(24) if image.getpixel((x, y))[3] > 200))
    assert r == g == b  # no colour left
    assert grey.getchannel("A").getextrema()[1] < image.getchannel("A").getextrema()[1]  # faded
    spec = [str(part) for part in root.tk.splitlist(button.cget("image"))]
    assert len(spec) == 3 and spec[1] == "disabled" and spec[0] != spec[2]
    bar.set_enabled(["zoom-in", "unknown"], False)
    assert button.instate(["disabled"])
    bar.set_enabled(["zoom-in"], True)
    assert not button.instate(["disabled"])
