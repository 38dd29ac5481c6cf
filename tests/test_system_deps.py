"""tools/system-deps.sh: the one list of Debian packages, its check and its install step."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "system-deps.sh"
BASH = "/bin/bash"


def _entries(group: str) -> list[tuple[str, list[str]]]:
    """The (package, proofs) pairs the script lists for a group, read from the script itself."""
    text = SCRIPT.read_text()
    block = re.search(rf"^{group.upper()}_PACKAGES=\(\n(.*?)^\)", text, re.S | re.M)
    assert block, f"{group.upper()}_PACKAGES not found in {SCRIPT}"
    return [(pkg, [p for p in proofs.split(",") if p] if not proofs.startswith("py:") else [proofs])
            for pkg, proofs in re.findall(r'^\s*"([^":]+):([^"]*)"', block.group(1), re.M)]


def _stub(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + body + "\n")
    path.chmod(0o755)


class FakeDebian:
    """A PATH, a dpkg-query and an apt-get that pretend to be a Debian machine lacking some packages."""

    def __init__(self, tmp: Path, missing: set[str], euid: int = 1000) -> None:
        self.bin = tmp / "bin"
        self.root = tmp / "root"
        self.state = tmp / "installed"
        self.lists = tmp / "lists"
        self.log = tmp / "apt.log"
        self.fail_first_install = tmp / "fail-first-install"
        for folder in (self.bin, self.root, self.state, self.lists):
            folder.mkdir()
        self.euid = euid
        self.proofs: dict[str, list[str]] = dict(_entries("test"))
        for pkg in self.proofs:
            if pkg not in missing:
                self.provide(pkg)
        # The few programs the script runs besides its checks.
        for tool in ("find", "head", "sed"):
            os.symlink(subprocess.check_output(["/bin/bash", "-c", f"command -v {tool}"], text=True).strip(),
                       self.bin / tool)
        _stub(self.bin / "python3", 'exit 0')  # every py: module importable
        _stub(tmp / "dpkg-query",
              f'[ -e "{self.state}/${{@: -1}}" ] && printf "install ok installed" && exit 0\n'
              'echo "dpkg-query: no packages found matching ${@: -1}" >&2; exit 1')
        _stub(tmp / "apt-get",
              f'echo "$*" >> "{self.log}"\n'
              f'if [ "$1" = install ] && [ -e "{self.fail_first_install}" ]; then /bin/rm "{self.fail_first_install}"; exit 100; fi\n'
              f'if [ "$1" = install ]; then for p in "${{@:4}}"; do "{tmp}/provide" "$p"; done; fi\n'
              'exit 0')
        self._provide_script(tmp)

    def _provide_script(self, tmp: Path) -> None:
        lines = ["PATH=/usr/bin:/bin  # the real touch/chmod, not the fake PATH", 'case "$1" in']
        for pkg, proofs in self.proofs.items():
            acts = [f'touch "{self.state}/{pkg}"']
            for proof in proofs:
                if proof.startswith("py:"):
                    continue
                if proof.startswith("/"):
                    acts.append(f'mkdir -p "$(dirname "{self.root}{proof}")"; touch "{self.root}{proof}"')
                else:
                    acts.append(f'printf "#!/bin/bash\\n" > "{self.bin}/{proof}"; chmod +x "{self.bin}/{proof}"')
            lines.append(f'  {pkg}) {"; ".join(acts)} ;;')
        lines.append("esac")
        _stub(tmp / "provide", "\n".join(lines))

    def provide(self, pkg: str) -> None:
        (self.state / pkg).touch()
        for proof in self.proofs[pkg]:
            if proof.startswith("py:"):
                continue
            if proof.startswith("/"):
                target = Path(str(self.root) + proof)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()
            else:
                _stub(self.bin / proof, "exit 0")

    def run(self, *args: str, dpkg: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": str(self.bin),
            "PYTHON": "python3",
            "SYSTEM_DEPS_DPKG_QUERY": str(self.bin.parent / "dpkg-query") if dpkg else "/nonexistent/dpkg-query",
            "SYSTEM_DEPS_APT_GET": str(self.bin.parent / "apt-get"),
            "SYSTEM_DEPS_APT_LISTS": str(self.lists),
            "SYSTEM_DEPS_EUID": str(self.euid),
            "SYSTEM_DEPS_ROOT": str(self.root),
        }
        return subprocess.run([BASH, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)

    def apt_calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def test_check_names_missing_qpdf_and_the_exact_install_command(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing={"qpdf"})
    assert not (deb.bin / "qpdf").exists()
    result = deb.run("--check")
    assert result.returncode == 1
    assert "qpdf: package not installed" in result.stderr
    assert "    sudo apt-get install -y --no-install-recommends qpdf\n" in result.stderr
    assert "poppler-utils" not in result.stderr
    assert deb.apt_calls() == []


def test_check_without_dpkg_falls_back_to_commands_on_path(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing={"qpdf", "poppler-utils"})
    result = deb.run("--check", dpkg=False)
    assert result.returncode == 1
    assert "qpdf: command 'qpdf' not found on PATH" in result.stderr
    assert "poppler-utils: command 'pdfinfo' not found on PATH" in result.stderr
    assert "sudo apt-get install -y --no-install-recommends qpdf poppler-utils\n" in result.stderr


def test_installed_package_whose_command_is_off_path_counts_as_missing(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing=set())
    (deb.bin / "qpdf").unlink()
    result = deb.run("--check")
    assert result.returncode == 1
    assert "qpdf: command 'qpdf' not found on PATH" in result.stderr


def test_missing_font_file_is_reported_with_its_path(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing={"fonts-dejavu-core"})
    (deb.state / "fonts-dejavu-core").touch()  # dpkg says yes, the file is gone
    result = deb.run("--check")
    assert result.returncode == 1
    assert "DejaVuSans.ttf not found" in result.stderr


def test_everything_present_is_silent_and_succeeds(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing=set())
    for args in (("--check",), (), ("run",)):
        result = deb.run(*args)
        assert (result.returncode, result.stderr) == (0, ""), args
    assert deb.apt_calls() == []


def test_not_root_stops_at_once_with_the_sudo_command(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing={"qpdf", "xdotool"})
    result = deb.run()
    assert result.returncode == 1
    assert "sudo apt-get install -y --no-install-recommends xdotool qpdf\n" in result.stderr
    assert "not root" in result.stderr
    assert deb.apt_calls() == []


def test_root_updates_empty_lists_then_installs(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing={"qpdf", "ghostscript"}, euid=0)
    result = deb.run()
    assert result.returncode == 0, result.stderr
    assert deb.apt_calls() == ["update -qq", "install -y --no-install-recommends qpdf ghostscript"]
    assert (deb.bin / "qpdf").exists() and (deb.bin / "gs").exists()
    assert deb.run("--check").returncode == 0


def test_root_with_fresh_lists_retries_after_update_when_install_fails(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing={"qpdf"}, euid=0)
    (deb.lists / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4").touch()
    deb.fail_first_install.touch()
    result = deb.run()
    assert result.returncode == 0, result.stderr
    assert deb.apt_calls() == [
        "install -y --no-install-recommends qpdf",
        "update -qq",
        "install -y --no-install-recommends qpdf",
    ]


def test_root_reports_a_package_still_missing_after_install(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing={"qpdf"}, euid=0)
    (deb.lists / "x_Packages").touch()
    _stub(tmp_path / "apt-get", f'echo "$*" >> "{deb.log}"; exit 0')  # "succeeds", installs nothing
    result = deb.run()
    assert result.returncode == 1
    assert "still missing after apt-get install" in result.stderr
    assert "qpdf: package not installed" in result.stderr


def test_run_group_is_a_subset_of_the_test_group() -> None:
    test_packages = dict(_entries("test"))
    for pkg, proofs in _entries("run"):
        assert test_packages.get(pkg) == proofs, pkg


def test_unknown_argument_is_refused(tmp_path: Path) -> None:
    deb = FakeDebian(tmp_path, missing=set())
    result = deb.run("--chek")
    assert result.returncode == 2
    assert "unknown argument '--chek'" in result.stderr


@pytest.mark.parametrize("path", [".ci/run", "Makefile"])
def test_no_second_package_list(path: str) -> None:
    text = (ROOT / path).read_text()
    assert "apt-get install" not in text
    assert "tools/system-deps.sh" in text
