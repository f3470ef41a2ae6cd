#!/usr/bin/env bash
# Checks of the PowerShell module, called by .ci/run:
#  1. a syntax check of every .ps1/.psm1/.psd1 (and .ps1xml) with a real PowerShell grammar
#     (tree-sitter-powershell, pinned in scripts/requirements-ps.txt; installed here when missing);
#  2. the Pester tests when pwsh exists: unit tests against tests/stub/ams.ps1, and the Integration
#     tests when the ams binary has been built (target/debug/ams).
# The parity test between `ams commands --json` and the module runs under cargo test
# (ams-cli/tests/ps_parity.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
have_parser() { "$1" -c 'import tree_sitter, tree_sitter_powershell' >/dev/null 2>&1; }

if ! have_parser "$PYTHON"; then
  venv="${AMS_PS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ams-ps-syntax-venv}"
  if [ -x "$venv/bin/python" ] && have_parser "$venv/bin/python"; then
    PYTHON="$venv/bin/python"
  else
    echo "ps-module: installing the pinned PowerShell grammar (scripts/requirements-ps.txt)"
    if "$PYTHON" -m venv "$venv" >/dev/null 2>&1; then
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements-ps.txt
      PYTHON="$venv/bin/python"
    else
      # No venv module (Debian without python3-venv): install for this user instead.
      "$PYTHON" -m pip install --quiet --disable-pip-version-check --user -r scripts/requirements-ps.txt \
        || "$PYTHON" -m pip install --quiet --disable-pip-version-check --user --break-system-packages -r scripts/requirements-ps.txt
    fi
  fi
fi

echo "== PowerShell syntax (tree-sitter-powershell)"
"$PYTHON" scripts/check-ps-syntax.py --self-test
"$PYTHON" scripts/check-ps-syntax.py

echo "== Pester"
# The workplace ships PowerShell 7.6 with Pester 5 in ../shared/tools (next to the repository).
# A clone made elsewhere (`git clone -q . "$(mktemp -d)"`) looks next to the checkout it was
# cloned from too, when that is a local directory.
origin=$(git config --get remote.origin.url 2>/dev/null || true)
candidates=(../shared/tools ../../shared/tools)
if [ -n "$origin" ] && [ -d "$origin" ]; then
  candidates+=("$origin/../shared/tools" "$origin/../../shared/tools")
fi
for tools in "${candidates[@]}"; do
  if ! command -v pwsh >/dev/null 2>&1 && [ -x "$tools/pwsh" ]; then
    PATH="$(cd "$tools" && pwd):$PATH"
    export PATH
  fi
done
if command -v pwsh >/dev/null 2>&1; then
  args=()
  bin="target/debug/ams"
  if [ -n "${AMS_TEST_BINARY:-}" ] || [ -x "$bin" ]; then
    args+=(-Integration)
  fi
  pwsh -NoLogo -NoProfile -NonInteractive -File ps-module/tests/Invoke-Tests.ps1 ${args[@]+"${args[@]}"}
elif [ "${CI:-}" = "true" ]; then
  echo "FAILED: pwsh is not installed, and CI must run the Pester suite (put PowerShell 7 on PATH)"
  exit 1
else
  echo "SKIPPED: Pester tests (pwsh not installed)"
fi
