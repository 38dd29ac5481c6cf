#!/usr/bin/env bash
# The one list of Debian packages spoolview needs, checked and installed in one place.
#
#   tools/system-deps.sh [--check] [test|run|peers]
#
# `test` (default) is what `make test` needs, `run` what `make run` needs, `peers` what
# `make bench-peers` adds (the programs the benchmarks compare spoolview with).
# Without --check: as root on Debian, install what is missing with apt-get (after
# `apt-get update` when the package lists are empty or stale, or when the first install
# fails); otherwise stop at once and print the exact command to run, exit status 1.
# With --check: only report what is missing (exit status 1 when something is).
#
# Test seams (used by tests/test_system_deps.py, not needed otherwise):
#   SYSTEM_DEPS_DPKG_QUERY  the dpkg-query program (default: dpkg-query)
#   SYSTEM_DEPS_APT_GET     the apt-get program (default: apt-get)
#   SYSTEM_DEPS_APT_LISTS   the apt lists folder (default: /var/lib/apt/lists)
#   SYSTEM_DEPS_EUID        the effective user id (default: $EUID)
#   SYSTEM_DEPS_ROOT        prefix of the absolute file paths checked (default: none)
# PYTHON (as in the Makefile, default python3) is the Python whose modules are checked.
set -uo pipefail

# package:what-proves-it-works, comma-separated: a command on PATH, an absolute file path,
# or py:MODULE (importable by $PYTHON; then only the import counts, not dpkg, so that a
# Python built elsewhere, e.g. pyenv, with its own tkinter is not asked for Debian's).
TEST_PACKAGES=(
    "python3-venv:py:ensurepip"         # `make venv` (python3 -m venv) on Debian's Python
    "python3-tk:py:tkinter"             # the viewer's windows
    "xvfb:Xvfb"                         # virtual display for the Tk tests (pytest-xvfb)
    "xauth:xauth"                       # pytest-xvfb authorises clients with it
    "xdotool:xdotool"                   # drives the real windows in GUI tests
    "x11-apps:xwd"                      # window dumps
    "imagemagick:import"                # screenshots: import -window root
    "qpdf:qpdf"                         # structural checks of the PDFs we write
    "poppler-utils:pdfinfo,pdftotext"   # PDF info and text checks
    "fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    "ghostscript:gs"                    # PostScript spools
    "postgresql:"                       # the server database tests (initdb is off PATH)
    "cups:"                             # a real print server for the printing tests
    "cups-client:lp,lpstat"             # print commands the viewer calls
    "cups-ipp-utils:/usr/sbin/ippeveprinter,ipptool"  # `printer serve`'s IPP engine; ipptool prints to it
    "dbus-daemon:dbus-daemon"           # the private bus ippeveprinter needs (`printer serve`)
    "avahi-utils:avahi-publish"         # `printer serve`'s DNS-SD advertisement (its failure is tested)
    "desktop-file-utils:desktop-file-validate"  # checks the .desktop entry `desktop install` writes
    "shared-mime-info:update-mime-database"     # builds the MIME database with the .spv type
    "systemd:systemd-analyze"           # verifies the shipped systemd unit (spoolview-watch.service)
)
# `make bench-peers` only (never `make test`): the programs the benchmarks compare with.
PEERS_PACKAGES=(
    "evince:evince"                     # launch and memory, beside `spoolview FILE`
    "mupdf:mupdf"                       # the lightest viewer
    "mupdf-tools:mutool"                # `mutool convert`, beside `spoolview convert`
    "swaks:swaks"                       # one SMTP send, beside `spoolview send`
    "postfix:/usr/sbin/postfix"         # the relay listener's peer (bench_listener.py --peers)
    "xdotool:xdotool"                   # pages through the viewers (Page Down)
    "xvfb:Xvfb"                         # the display the launch benchmark polls
)
RUN_PACKAGES=(
    "python3-venv:py:ensurepip"
    "python3-tk:py:tkinter"
    "ghostscript:gs"
    "cups-client:lp,lpstat"
    "cups-ipp-utils:/usr/sbin/ippeveprinter,ipptool"  # `spoolview printer serve`
    "dbus-daemon:dbus-daemon"
)

check_only=0
group=test
for arg in "$@"; do
    case "$arg" in
        --check) check_only=1 ;;
        test|run|peers) group=$arg ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "system-deps: unknown argument '$arg' (use: [--check] [test|run|peers])" >&2; exit 2 ;;
    esac
done
target=$group
case "$group" in
    run) entries=("${RUN_PACKAGES[@]}") ;;
    peers) entries=("${PEERS_PACKAGES[@]}"); target=bench-peers ;;
    *) entries=("${TEST_PACKAGES[@]}") ;;
esac

DPKG_QUERY=${SYSTEM_DEPS_DPKG_QUERY:-dpkg-query}
APT_GET=${SYSTEM_DEPS_APT_GET:-apt-get}
APT_LISTS=${SYSTEM_DEPS_APT_LISTS:-/var/lib/apt/lists}
USER_ID=${SYSTEM_DEPS_EUID:-$EUID}
FILE_ROOT=${SYSTEM_DEPS_ROOT:-}
PY=${PYTHON:-python3}

have_dpkg=0
command -v "$DPKG_QUERY" >/dev/null 2>&1 && have_dpkg=1

# Print why a package is missing, nothing when it is present.
why_missing() {
    local pkg=$1 proofs=$2 proof status
    if [ "${proofs:0:3}" = py: ]; then
        "$PY" -c "import ${proofs:3}" >/dev/null 2>&1 || echo "$PY cannot import ${proofs:3}"
        return
    fi
    if [ $have_dpkg = 1 ]; then
        status=$("$DPKG_QUERY" -W -f='${Status}' "$pkg" 2>/dev/null)
        if [ "$status" != "install ok installed" ]; then
            echo "package not installed"
            return
        fi
    fi
    IFS=, read -ra list <<<"$proofs"
    for proof in "${list[@]}"; do
        if [ "${proof:0:1}" = / ]; then
            [ -e "$FILE_ROOT$proof" ] || { echo "file $FILE_ROOT$proof not found"; return; }
        else
            command -v "$proof" >/dev/null 2>&1 || { echo "command '$proof' not found on PATH"; return; }
        fi
    done
}

# Fill `missing` (package names) and `reasons` (one line each).
scan() {
    missing=()
    reasons=()
    local entry pkg why
    for entry in "${entries[@]}"; do
        pkg=${entry%%:*}
        why=$(why_missing "$pkg" "${entry#*:}")
        if [ -n "$why" ]; then
            missing+=("$pkg")
            reasons+=("  $pkg: $why")
        fi
    done
}

install_command() {
    local prefix="sudo "
    [ "$USER_ID" = 0 ] && prefix=""
    echo "${prefix}apt-get install -y --no-install-recommends ${missing[*]}"
}

report() {
    echo "system-deps: missing Debian packages for 'make $target':" >&2
    printf '%s\n' "${reasons[@]}" >&2
    echo "Install them with:" >&2
    echo "    $(install_command)" >&2
}

scan
[ ${#missing[@]} = 0 ] && exit 0

if [ $check_only = 1 ]; then
    report
    exit 1
fi

if [ "$USER_ID" != 0 ] || ! command -v "$APT_GET" >/dev/null 2>&1; then
    report
    [ "$USER_ID" != 0 ] && echo "(not root: run the command above, then the make target again)" >&2
    command -v "$APT_GET" >/dev/null 2>&1 || echo "(no apt-get here: install the equivalent packages of your system)" >&2
    exit 1
fi

# Root on Debian: install. Refresh the lists first when empty or older than a day.
export DEBIAN_FRONTEND=noninteractive
lists_fresh() {
    [ -n "$(find "$APT_LISTS" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null | head -n1)" ]
}
echo "system-deps: installing ${missing[*]}" >&2
if ! lists_fresh; then
    "$APT_GET" update -qq || { echo "system-deps: apt-get update failed" >&2; exit 1; }
    updated=1
else
    updated=0
fi
if ! "$APT_GET" install -y --no-install-recommends "${missing[@]}"; then
    if [ $updated = 1 ]; then
        echo "system-deps: apt-get install failed" >&2; exit 1
    fi
    "$APT_GET" update -qq || { echo "system-deps: apt-get update failed" >&2; exit 1; }
    "$APT_GET" install -y --no-install-recommends "${missing[@]}" \
        || { echo "system-deps: apt-get install failed" >&2; exit 1; }
fi

scan
if [ ${#missing[@]} != 0 ]; then
    echo "system-deps: still missing after apt-get install:" >&2
    printf '%s\n' "${reasons[@]}" >&2
    exit 1
fi
echo "system-deps: all Debian packages for 'make $group' are installed" >&2
