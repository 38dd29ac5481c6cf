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


@pytest.mark.parametrize("size", [24, 30, 36, 48])
def test_shipped_icons_are_what_draw_icon_draws(size):
    """The PNG files read at start-up (no Pillow then) match the drawing code: `python -m viewer.gui.toolbar` redraws them."""
    from viewer.gui.toolbar import SHIPPED_SIZES, greyed, shipped_icon

    assert size in SHIPPED_SIZES
    for name in ICONS:
        drawn = draw_icon(name, size)
        for disabled, expected in ((False, drawn), (True, greyed(drawn))):
            with Image.open(shipped_icon(name, size, disabled=disabled)) as shipped:
                assert shipped.convert("RGBA").tobytes() == expected.tobytes(), (name, size, disabled)


def test_window_icon_is_shipped():
    from viewer.gui.toolbar import WINDOW_ICON, shipped_icon

    name, size = WINDOW_ICON
    with Image.open(shipped_icon(name, size)) as shipped:
        assert shipped.convert("RGBA").tobytes() == draw_icon(name, size).tobytes()


@pytest.mark.parametrize(("dpi", "expected"), [(96, 24), (100, 24), (72, 24), (120, 30), (144, 36), (192, 48),
                                               (168, 42), (288, 72)])
def test_icon_size_snaps_to_a_shipped_size_when_close(dpi, expected):
    from viewer.gui.toolbar import icon_size

    class Screen:
        def winfo_fpixels(self, what):
            assert what == "1i"
            return float(dpi)

    assert icon_size(Screen()) == expected


def test_icon_photos_are_loaded_once_and_shared(root):
    from viewer.gui.toolbar import IconPhotos

    photos = IconPhotos(root)
    first, second = Toolbar(root, photos), Toolbar(root, photos)
    a = first.add("open", "open", "tip.open", lambda: None)
    b = second.add("open", "open", "tip.open", lambda: None)
    assert a.cget("image") == b.cget("image")  # the same Tk images, not two copies
    assert photos.get("open", first.size).width() == first.size


def test_an_unshipped_size_is_drawn(root):
    from viewer.gui.toolbar import icon_photo, shipped_icon

    assert not shipped_icon("find", 27).exists()
    photo = icon_photo("find", 27, root)
    assert (photo.width(), photo.height()) == (27, 27)
    with pytest.raises(KeyError):
        icon_photo("nope", 24, root)
