"""The application: plugins found or skipped, windows counted, quitting with the last one."""

from __future__ import annotations

import sys
import types

import pytest

from tests.support.runtime import runtime_dir
from viewer.gui import app as app_mod

pytestmark = pytest.mark.gui


def test_missing_plugin_is_an_error_not_a_silent_skip():
    with pytest.raises(ModuleNotFoundError, match="no_such_plugin"):
        app_mod.plugin_hooks(("viewer.gui.no_such_plugin",))


def test_plugin_install_is_collected(monkeypatch):
    module = types.ModuleType("fake_gui_plugin")
    module.install = lambda window: None
    monkeypatch.setitem(sys.modules, "fake_gui_plugin", module)
    assert app_mod.plugin_hooks(("fake_gui_plugin",)) == [module.install]


def test_broken_plugin_import_fails_loudly(monkeypatch, tmp_path):
    (tmp_path / "broken_gui_plugin.py").write_text("import no_such_module_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_module_xyz"):
        app_mod.plugin_hooks(("broken_gui_plugin",))


def test_app_windows_and_quit(root, monkeypatch, make_pdf):
    installed = []
    module = types.ModuleType("fake_gui_plugin2")
    module.install = installed.append
    monkeypatch.setitem(sys.modules, "fake_gui_plugin2", module)
    application = app_mod.App(root, plugins=("fake_gui_plugin2",))
    first = application.new_window(str(make_pdf()))
    second = application.new_window()
    assert installed == [first, second]
    assert first.current_document is not None and second.current_document is None
    second.close()
    assert application.windows == [first]
    quits = []
    monkeypatch.setattr(root, "quit", lambda: quits.append(True))
    application.quit()
    root.update()
    assert application.windows == [] and quits == [True]


def test_language_setting_applies_at_start(root):
    from viewer import settings
    from viewer.gui import i18n

    s = settings.Settings()
    s.printing.language = "en"
    settings.save(s)
    try:
        application = app_mod.App(root, plugins=())
        window = application.new_window()
        assert window.menubar.entrycget(0, "label") == "File"
        window.close()
    finally:
        i18n.set_language("fr")


def test_skip_layout_model_only_before_pymupdf(monkeypatch):
    monkeypatch.delitem(sys.modules, "pymupdf.layout", raising=False)
    app_mod.skip_layout_model()  # pymupdf is already imported in this process: no change
    assert "pymupdf" in sys.modules and sys.modules.get("pymupdf.layout", "absent") is not None


def test_a_failing_command_shows_a_dialog_not_a_traceback(root, answer, caplog, capsys):
    application = app_mod.App(root, plugins=())
    window = application.new_window()
    shown = answer(lambda d: d.ok())

    def broken():
        raise ValueError("boom")

    window.add_menu_command("tools", "menu.file.open", broken)
    menu = window.menu("tools")
    menu.invoke(menu.index("end"))
    assert [d.kind for d in shown] == ["error"] and "boom" in shown[0].message
    assert "Traceback" in caplog.text or "boom" in caplog.text
    assert "Traceback" not in capsys.readouterr().err
    window.close()


@pytest.mark.parametrize("env, expected", [("fr_FR.UTF-8", "Fichier"), ("en_GB.UTF-8", "File"), ("de_DE", "Fichier")])
def test_automatic_language_follows_the_locale(root, monkeypatch, env, expected):
    from viewer.gui import i18n

    monkeypatch.setenv("LANGUAGE", env)
    try:
        application = app_mod.App(root, plugins=())  # printing.language = "auto" by default
        window = application.new_window()
        assert window.menubar.entrycget(0, "label") == expected
        window.close()
    finally:
        i18n.set_language("fr")


def test_a_second_spoolview_opens_its_file_in_the_running_viewer(root, make_pdf, tmp_path, monkeypatch):
    import os
    import subprocess
    import time
    from pathlib import Path

    from viewer import instance

    run = runtime_dir(tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    application = app_mod.App(root, plugins=())
    application.serve(instance.Listener.start())
    first = application.new_window(str(make_pdf("a.pdf")))
    second_file = make_pdf("b.pdf", pages=("Second", "document"))
    root_dir = Path(app_mod.__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "viewer.cli", str(second_file)], cwd=root_dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        root.update()  # the running viewer's event loop answers the socket
        time.sleep(0.005)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    root.update()
    assert len(application.windows) == 2 and application.windows[0] is first
    opened = application.windows[1]
    assert opened.current_document is not None and opened.current_document.path == second_file
    assert opened.current_document.page_count == 2
    application.stop_serving()
    assert not instance.socket_path().exists()


def test_new_window_flag_starts_its_own_viewer_without_asking_the_running_one(monkeypatch):
    from viewer import instance

    asked = []
    monkeypatch.setattr(instance, "forward", lambda files: asked.append(files) or True)
    ran = []
    monkeypatch.setattr(app_mod, "run", lambda files, **kw: ran.append(files) or 0)
    from viewer import cli

    assert cli.main(["--no-reuse", "x.pdf"]) == 0  # an option of `open`, the default command
    assert cli.main(["open", "--new-window", "x.pdf"]) == 0
    assert asked == [] and ran == [["x.pdf"], ["x.pdf"]]
    assert cli.main(["open", "x.pdf"]) == 0
    assert asked == [["x.pdf"]] and len(ran) == 2  # the running viewer took it


def test_deferred_plugins_are_installed_in_the_open_windows_once(root, monkeypatch):
    installed = []
    module = types.ModuleType("fake_gui_plugin3")
    module.install = installed.append
    monkeypatch.setitem(sys.modules, "fake_gui_plugin3", module)
    application = app_mod.App(root, plugins=("fake_gui_plugin3",), defer_plugins=True)
    first = application.new_window()
    assert installed == []  # the first page is painted before the plugins are imported
    application.load_plugins()
    application.load_plugins()
    assert installed == [first]
    second = application.new_window()
    assert installed == [first, second]



def test_start_up_paints_page_one_before_the_plugins_are_installed(monkeypatch, make_pdf):
    """run(): the page is on the canvas when the deferred plugins (the mail road) come, and they do come."""
    seen = []

    def install(window):
        seen.append((window.pageview.photo(0) is not None, window.current_document is not None))
        window.after(1, window.app.quit)

    monkeypatch.setattr(app_mod, "plugin_hooks", lambda names: [install])
    assert app_mod.run([str(make_pdf("first.pdf"))], serve=False) == 0
    assert seen == [(True, True)]


START_UP_PROBE = """
import sys
from viewer.gui import app
application = app.App(defer_plugins=True)
window = application.new_window(sys.argv[1])
application.root.update()
window.pageview.render_pending()
application.root.update()
assert window.pageview.photo(0) is not None, "page 1 is on the canvas"
heavy = ("PIL", "viewer.gui.dialogs", "viewer.gui.search", "viewer.gui.filecommands", "viewer.gui.mailui",
         "viewer.mail", "sqlalchemy", "email", "ssl", "argparse", "reportlab")
print(" ".join(m for m in heavy if m in sys.modules) or "-")
application.load_plugins()
print("viewer.gui.mailui" in sys.modules and "mail" in window.toolbar.buttons)
application.destroy()
"""


def test_page_one_is_shown_without_importing_pillow_dialogs_or_the_mail_stack(make_pdf):
    """What start-up imports before the first page is on screen (a fresh interpreter: this one has them all)."""
    import os
    import subprocess
    from pathlib import Path

    root_dir = Path(app_mod.__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", START_UP_PROBE, str(make_pdf("one.pdf"))], cwd=root_dir,
                          capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.split()
    assert before == "-", f"imported before the first page: {before}"
    assert after == "True"  # then the plugins load and add their buttons


def test_windows_share_the_icon_photos(root):
    application = app_mod.App(root, plugins=())
    first, second = application.new_window(), application.new_window()
    assert first.toolbar.buttons["open"].cget("image") == second.toolbar.buttons["open"].cget("image")
    assert first.photos is second.photos is application.icons


def test_a_handed_over_file_is_painted_before_the_windows_plugins_are_installed(root, monkeypatch, make_pdf):
    import time

    seen = []
    module = types.ModuleType("fake_gui_plugin4")
    module.install = lambda window: seen.append((window, window.pageview.photo(0) is not None))
    monkeypatch.setitem(sys.modules, "fake_gui_plugin4", module)
    application = app_mod.App(root, plugins=("fake_gui_plugin4",))
    first = application.new_window()
    assert seen == [(first, False)]  # an empty window gets its plugins at once
    application.open_files([str(make_pdf("handed.pdf"))])
    opened = application.windows[-1]
    assert opened is not first and len(seen) == 1  # not yet: the page comes first
    deadline = time.monotonic() + 30
    while len(seen) < 2 and time.monotonic() < deadline:
        root.update()
        time.sleep(0.005)
    assert seen[1] == (opened, True)
    assert opened.current_document is not None
    opened.install_hooks()  # the fallback timer's call later does nothing
    assert len(seen) == 2


def test_a_handed_over_file_that_fails_still_gets_the_plugins(root, monkeypatch, tmp_path, answer):
    import time

    shown = answer(lambda d: d.cancel())
    seen = []
    module = types.ModuleType("fake_gui_plugin5")
    module.install = seen.append
    monkeypatch.setitem(sys.modules, "fake_gui_plugin5", module)
    monkeypatch.setattr(app_mod, "PLUGINS_AT_LATEST_MS", 50)
    application = app_mod.App(root, plugins=("fake_gui_plugin5",))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 nothing else")
    application.open_files([str(broken)])
    deadline = time.monotonic() + 30
    while not seen and time.monotonic() < deadline:
        root.update()
        time.sleep(0.005)
    assert seen == [application.windows[-1]]
    assert shown, "the open error was shown"


# ---------------------------------------------------------------- the spare window (warm start)
def _serving(root, tmp_path, monkeypatch, plugins=()):
    """An App serving hand-overs on a private runtime folder, one window showing a.pdf, its spare built."""
    from viewer import instance

    run = runtime_dir(tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    application = app_mod.App(root, plugins=plugins)
    application.serve(instance.Listener.start())
    return application


def _spoolview(*files, cwd=None):
    """A real second `spoolview FILE` process (the console script's code: viewer.cli)."""
    import os
    import subprocess
    from pathlib import Path

    root_dir = Path(app_mod.__file__).resolve().parents[2]
    return subprocess.Popen([sys.executable, "-m", "viewer.cli", *map(str, files)], cwd=cwd or root_dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _pump_until(root, done, limit=60.0):
    import time

    deadline = time.monotonic() + limit
    while not done() and time.monotonic() < deadline:
        root.update()
        time.sleep(0.005)
    root.update()
    assert done(), "timed out"


def _x_map_state(window) -> str:
    """What the X server says of the window's frame: IsViewable, IsUnMapped..."""
    import subprocess

    info = subprocess.run(["xwininfo", "-id", window.wm_frame()], capture_output=True, text=True, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in info.splitlines() if "Map State" in line)


def test_the_spare_is_built_hidden_laid_out_and_is_no_open_document(root, tmp_path, monkeypatch, make_pdf):
    application = _serving(root, tmp_path, monkeypatch)
    first = application.new_window(str(make_pdf("a.pdf")))
    spare = application.build_spare()
    root.update()
    assert spare is not None and spare is application.spare and application.windows == [first]
    assert spare.wm_state() == "withdrawn" and not spare.winfo_ismapped() and _x_map_state(spare) == "IsUnMapped"
    assert spare.pageview.canvas.winfo_width() > 100  # laid out while hidden: page 1 renders at the fitted width
    assert application.build_spare() is spare  # one at a time
    quits = []
    monkeypatch.setattr(root, "quit", lambda: quits.append(True))
    first.close()  # the last real window: the viewer ends although the spare exists
    root.update()
    assert application.windows == [] and quits == [True]
    assert spare.wm_state() == "withdrawn"  # never shown, even empty
    application.stop_serving()


def test_a_hand_over_shows_its_document_in_the_spare_with_page_one_drawn_before_it_maps(root, tmp_path, monkeypatch,
                                                                                      make_pdf):
    from viewer import instance

    application = _serving(root, tmp_path, monkeypatch)
    first = application.new_window(str(make_pdf("a.pdf")))
    spare = application.build_spare()
    at_map = []
    real_deiconify = spare.deiconify
    spare.deiconify = lambda: (at_map.append((spare.pageview.photo(0) is not None, spare.title())),
                               real_deiconify())
    second = make_pdf("b.pdf", pages=("Second", "document"))
    proc = _spoolview(second)
    _pump_until(root, lambda: proc.poll() is not None and len(application.windows) == 2)
    assert proc.wait() == 0, proc.stderr.read() if proc.stderr else ""
    opened = application.windows[1]
    assert opened is spare and application.windows[0] is first
    assert len(at_map) == 1 and at_map[0][0] is True and "b.pdf" in at_map[0][1]  # page 1 drawn, title set, then mapped
    assert "b.pdf" in opened.title()
    assert opened.current_document.path == second and opened.current_document.page_count == 2
    assert opened.pageview.current_page == 0 and opened.page_entry.get() == "1"
    _pump_until(root, lambda: _x_map_state(opened) == "IsViewable" and opened.thumbnails.rendered() > 0)
    _pump_until(root, lambda: application.spare is not None, limit=30)  # the next one, once the viewer is quiet
    assert application.spare is not opened and application.spare.wm_state() == "withdrawn"
    application.stop_serving()
    assert not instance.socket_path().exists()


def test_two_hand_overs_in_quick_succession_both_open(root, tmp_path, monkeypatch, make_pdf):
    application = _serving(root, tmp_path, monkeypatch)
    application.new_window(str(make_pdf("a.pdf")))
    application.build_spare()
    files = [make_pdf("b.pdf", pages=("B",)), make_pdf("c.pdf", pages=("C1", "C2", "C3"))]
    procs = [_spoolview(f) for f in files]
    _pump_until(root, lambda: all(p.poll() is not None for p in procs) and len(application.windows) == 3)
    assert [p.wait() for p in procs] == [0, 0]
    shown = {w.current_document.path: w.current_document.page_count for w in application.windows[1:]}
    assert shown == {files[0]: 1, files[1]: 3}  # one in the spare, the other in a window built at once
    application.stop_serving()


def test_a_corrupt_file_handed_over_says_so_and_the_viewer_goes_on(root, tmp_path, monkeypatch, make_pdf, answer):
    shown = answer(lambda d: d.cancel())
    application = _serving(root, tmp_path, monkeypatch)
    application.new_window(str(make_pdf("a.pdf")))
    spare = application.build_spare()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 nothing else")
    proc = _spoolview(broken)
    _pump_until(root, lambda: proc.poll() is not None and bool(shown))
    assert proc.wait() == 0  # handed over: the viewer tells the user, not the command line
    assert shown[0].kind == "error" and "broken.pdf" in shown[0].message and "ne peut pas être ouvert" in shown[0].message
    assert application.windows[-1] is spare and spare.wm_state() == "normal"  # the dialog's parent was shown
    assert spare.current_document is None
    good = make_pdf("good.pdf")
    proc = _spoolview(good)
    _pump_until(root, lambda: proc.poll() is not None and application.windows[-1].current_document is not None)
    assert application.windows[-1].current_document.path == good
    application.stop_serving()


def test_the_spare_follows_a_language_change(root, tmp_path, monkeypatch, make_pdf):
    from viewer.gui import i18n

    application = _serving(root, tmp_path, monkeypatch)
    first = application.new_window(str(make_pdf("a.pdf")))
    spare = application.build_spare()
    assert spare.menubar.entrycget(0, "label") == "Fichier"
    try:
        first.set_language("en")
        application.open_files([str(make_pdf("b.pdf"))])
        assert application.windows[-1] is spare
        assert spare.menubar.entrycget(0, "label") == "File" and spare.language_var.get() == "en"
    finally:
        i18n.set_language("fr")
    application.stop_serving()


def test_a_stale_socket_makes_spoolview_start_its_own_viewer(tmp_path, monkeypatch, make_pdf):
    import socket
    import subprocess
    import time

    from viewer import instance

    run = runtime_dir(tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    path = instance.socket_path()
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))  # a viewer that died: the file stays, nobody listens
    dead.close()
    document = make_pdf("own.pdf")
    proc = _spoolview(document)
    try:
        found = ""
        deadline = time.monotonic() + 60
        while not found and time.monotonic() < deadline and proc.poll() is None:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(proc.pid), "--name", "own.pdf"],
                                   capture_output=True, text=True).stdout.strip()
            time.sleep(0.1)
        assert found, f"no window of its own (status {proc.poll()})"
        assert instance.Listener.start() is None  # it took the socket over: it answers the next one
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_spare_takes_the_size_a_window_left_since_it_was_built(root, tmp_path, monkeypatch, make_pdf):
    application = _serving(root, tmp_path, monkeypatch)
    application.new_window(str(make_pdf("a.pdf")))
    spare = application.build_spare()
    wide = spare.pageview.canvas.winfo_width()
    application.state.geometry = "700x600+20+20"  # a window was resized, then closed
    application.open_files([str(make_pdf("b.pdf"))])
    root.update()
    assert application.windows[-1] is spare and (spare.winfo_width(), spare.winfo_height()) == (700, 600)
    narrow = spare.pageview.canvas.winfo_width()
    assert narrow < wide
    photo = spare.pageview.photo(0)
    assert photo is not None and photo.width() <= narrow  # page 1 fitted to the new width, not the old
    application.stop_serving()


def test_xlib_keeps_the_compose_table_in_a_private_folder_while_tk_starts(spoolview_home, monkeypatch):
    import os
    import stat

    monkeypatch.delenv("XCOMPOSECACHE", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    previous = app_mod.compose_cache()
    folder = os.environ.get("XCOMPOSECACHE", "")
    try:
        assert previous is None and folder.startswith(str(spoolview_home))
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700  # libX11 ignores a folder others can write
    finally:
        app_mod.restore_compose_cache(previous)
    assert "XCOMPOSECACHE" not in os.environ  # programs the viewer starts do not inherit it
    monkeypatch.setenv("XCOMPOSECACHE", "/the/users/own")
    previous = app_mod.compose_cache()
    assert previous == os.environ["XCOMPOSECACHE"] == "/the/users/own"  # the user's choice stands
    app_mod.restore_compose_cache(previous)
    assert os.environ["XCOMPOSECACHE"] == "/the/users/own"


def test_the_viewers_tk_starts_with_the_compose_cache_and_leaves_no_trace_of_it(spoolview_home, monkeypatch):
    import os

    monkeypatch.delenv("XCOMPOSECACHE", raising=False)
    seen: list[str | None] = []
    real_tk = app_mod.tk.Tk

    def tk_seeing_the_environment(*args, **kwargs):
        seen.append(os.environ.get("XCOMPOSECACHE"))
        return real_tk(*args, **kwargs)

    monkeypatch.setattr(app_mod.tk, "Tk", tk_seeing_the_environment)
    application = app_mod.App(plugins=())
    try:
        assert seen and seen[0] == str(spoolview_home / "cache" / "compose")
        assert "XCOMPOSECACHE" not in os.environ
    finally:
        application.destroy()
