#!/usr/bin/env bash
# Build the one-folder application into packaging/dist/deterrence-desktop/ and prove it:
# every file of resources/ is in the bundle, the bundled program makes a demo
# workspace, reads it back (info) and checks it (check) in a temporary folder, and
# the app starts on its demo workspace (offscreen) without stopping.
#
#   packaging/build.sh            (PYTHON=path/to/python to use another interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    "$PYTHON" -m pip install -q -e '.[package]'
fi

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath packaging/dist --workpath packaging/build packaging/deterrence_desktop.spec
echo "build: $(( $(date +%s) - start )) s"

BUNDLE=packaging/dist/deterrence-desktop
EXE="$BUNDLE/deterrence-desktop"
INTERNAL="$BUNDLE/_internal"
[ -x "$EXE" ] || { echo "build: no program at $EXE" >&2; exit 1; }

# Every resource and migration file must be in the bundle.
missing=0
while IFS= read -r f; do
    if [ ! -f "$INTERNAL/$f" ]; then echo "build: missing from the bundle: $f" >&2; missing=1; fi
done < <(find resources -type f; find deterrence_desktop/store/migrations -name '*.py' -not -path '*__pycache__*')
[ "$missing" = 0 ] || exit 1

# The bundled program works on a demo workspace, in a temp folder, without the source tree.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
abs_exe=$(cd "$(dirname "$EXE")" && pwd)/$(basename "$EXE")
(
    cd "$tmp"
    export PYTHONPATH= PYTHONHOME= QT_QPA_PLATFORM=offscreen
    export DETERRENCE_PASSPHRASE="demo workspace - fictional people only"
    "$abs_exe" --help >/dev/null
    "$abs_exe" demo demo.ddw
    "$abs_exe" info demo.ddw
    "$abs_exe" check demo.ddw
    "$abs_exe" export tracker demo.ddw --out tracker.xlsx      # openpyxl inside the bundle
    [ -s tracker.xlsx ] || { echo "build: the bundled tracker export wrote nothing" >&2; exit 1; }
    # rapidfuzz, jellyfish and charset-normalizer inside the bundle: a dry-run import.
    printf 'Surname;Forename;DOB\nFictor;Ada;01/02/2003\n' > people.csv
    "$abs_exe" import people demo.ddw people.csv | grep "1 new" >/dev/null \
        || { echo "build: the bundled spreadsheet import did not read a CSV" >&2; exit 1; }
    # networkx and matplotlib inside the bundle: the network drawn to a PNG and to GraphML.
    "$abs_exe" network demo.ddw --out network.png --references
    "$abs_exe" network demo.ddw --out network.graphml --references
    [ -s network.png ] && [ -s network.graphml ] \
        || { echo "build: the bundled network export wrote nothing" >&2; exit 1; }
    # matplotlib's PDF and SVG backends and reportlab together: the board report and its table.
    "$abs_exe" report demo.ddw --out report.pdf --table table.xlsx
    [ -s report.pdf ] && [ -s table.xlsx ] \
        || { echo "build: the bundled board report wrote nothing" >&2; exit 1; }

    # The app itself starts (offscreen) on its demo workspace and keeps running.
    "$abs_exe" --demo --data-dir "$tmp/data" >gui.log 2>&1 &
    gui=$!
    sleep 8
    if ! kill -0 "$gui" 2>/dev/null; then
        wait "$gui" || true
        echo "build: the bundled app stopped at start:" >&2
        cat gui.log >&2
        exit 1
    fi
    kill "$gui"
    wait "$gui" 2>/dev/null || true
    if grep -q Traceback gui.log; then cat gui.log >&2; exit 1; fi
    [ -f "$tmp/data/demo/demo.ddw" ] || { echo "build: the app made no demo workspace" >&2; exit 1; }
)
echo "build: the bundle at $BUNDLE works ($(du -sh "$BUNDLE" | cut -f1))"
