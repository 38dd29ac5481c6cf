"""The application: plugins found or skipped, windows counted, quitting with the last one."""

from __future__ import annotations

import sys
import types

import pytest

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

    run = tmp_path / "run"
    run.mkdir(mode=0o700)
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
