#!/usr/bin/env python3
"""Static syntax check of the PowerShell module, for machines without PowerShell.

Parses every .ps1, .psm1 and .psd1 file under ps-module/ with the tree-sitter PowerShell grammar
and reports each ERROR or MISSING node as file:line:col. The .ps1xml files (format and type data)
are checked for well-formed XML. Exits 1 when any file has an error, 2 when the parser is not
installed, 0 otherwise, and always ends with one summary line:

    ps-syntax: 68 files parsed, 0 errors

Usage:
    python3 scripts/check-ps-syntax.py              # check ps-module/
    python3 scripts/check-ps-syntax.py PATH ...     # check these files or folders
    python3 scripts/check-ps-syntax.py --self-test  # prove the checker catches broken code

Install the pinned parser with: pip install -r scripts/requirements-ps.txt

Known gaps of the grammar (valid PowerShell it reports as errors; write around them):
- bare words separated by commas as a command argument, e.g. `-Severity Error, Warning`
  (write `-Severity @('Error', 'Warning')`);
- a switch statement whose clauses share one line without `;` between them.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO / "ps-module"
SCRIPT_SUFFIXES = (".ps1", ".psm1", ".psd1")
XML_SUFFIXES = (".ps1xml",)

# Snippets for --self-test: each broken one must produce at least one error, each good one none.
BROKEN_SNIPPETS = {
    "unclosed-brace": "function F {\n    param([string] $a)\n    if ($a) { 'x'\n}\n",
    "unclosed-paren": "function F {\n    param([string] $a\n    $a\n}\n",
    "unclosed-hashtable": "$h = @{ A = 1\n",
    "missing-operand": "$x = (1 + )\n",
    "unterminated-string": "$s = \"never closed\n",
    "stray-closing-brace": "$x = 1\n}\n",
}
GOOD_SNIPPETS = {
    "advanced-function": (
        "function Get-Thing {\n"
        "    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]\n"
        "    param(\n"
        "        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]\n"
        "        [ValidateSet('A', 'B')]\n"
        "        [string] $Id,\n"
        "        [switch] $Force\n"
        "    )\n"
        "    begin { $q = [System.Collections.Generic.List[object]]::new() }\n"
        "    process { if ($PSCmdlet.ShouldProcess($Id, 'Do')) { $q.Add(@{ Id = $Id }) } }\n"
        "    end { $q | ForEach-Object { \"item $($_.Id)\" } }\n"
        "}\n"
    ),
    "manifest": "@{\n    RootModule = 'M.psm1'\n    FunctionsToExport = @('A', 'B')\n}\n",
}


class Checker:
    def __init__(self) -> None:
        try:
            import tree_sitter
            import tree_sitter_powershell
        except ImportError as e:  # pragma: no cover - depends on the machine
            print(
                f"ps-syntax: the tree-sitter PowerShell parser is not installed ({e}).\n"
                "  Install it with: python3 -m pip install -r scripts/requirements-ps.txt",
                file=sys.stderr,
            )
            raise SystemExit(2)
        language = tree_sitter.Language(tree_sitter_powershell.language())
        self.parser = tree_sitter.Parser(language)

    def errors_in_source(self, source: bytes) -> list[tuple[int, int, str]]:
        """(line, column, description) of each ERROR or MISSING node, 1-based."""
        tree = self.parser.parse(source)
        found: list[tuple[int, int, str]] = []
        stack = [tree.root_node]
        while stack:
            node = stack.pop()
            if node.is_missing:
                found.append((node.start_point[0] + 1, node.start_point[1] + 1, f"missing {node.type!r}"))
                continue
            if node.is_error or node.type == "ERROR":
                text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
                first = text.strip().splitlines()[0] if text.strip() else ""
                found.append((node.start_point[0] + 1, node.start_point[1] + 1, f"syntax error near {first[:60]!r}"))
                # Keep looking inside for MISSING nodes, which point at the real cause.
            if node.has_error:
                stack.extend(reversed(node.children))
        found.sort()
        return found

    def check_file(self, path: Path) -> list[str]:
        data = path.read_bytes()
        if path.suffix.lower() in XML_SUFFIXES:
            try:
                ET.fromstring(data)
            except ET.ParseError as e:
                line, col = e.position
                return [f"{path}:{line}:{col + 1}: XML is not well formed: {e}"]
            return []
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        return [f"{path}:{line}:{col}: {what}" for line, col, what in self.errors_in_source(data)]


def collect(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SCRIPT_SUFFIXES + XML_SUFFIXES:
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            print(f"ps-syntax: no such file or folder: {p}", file=sys.stderr)
            raise SystemExit(2)
    return files


def self_test(checker: Checker) -> int:
    failures = 0
    for name, snippet in BROKEN_SNIPPETS.items():
        errors = checker.errors_in_source(snippet.encode())
        status = "ok" if errors else "NOT DETECTED"
        failures += 0 if errors else 1
        where = f" (first at {errors[0][0]}:{errors[0][1]})" if errors else ""
        print(f"self-test broken/{name}: {status}{where}")
    for name, snippet in GOOD_SNIPPETS.items():
        errors = checker.errors_in_source(snippet.encode())
        status = "ok" if not errors else f"FALSE ERROR {errors}"
        failures += 1 if errors else 0
        print(f"self-test good/{name}: {status}")
    # A broken XML view must be caught as well.
    try:
        ET.fromstring(b"<Configuration><ViewDefinitions></Configuration>")
        print("self-test broken/xml: NOT DETECTED")
        failures += 1
    except ET.ParseError:
        print("self-test broken/xml: ok")
    total = len(BROKEN_SNIPPETS) + len(GOOD_SNIPPETS) + 1
    print(f"ps-syntax self-test: {total - failures} passed, {failures} failed")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Parse the PowerShell module with a real PowerShell grammar.")
    ap.add_argument("paths", nargs="*", type=Path, help="files or folders (default: ps-module/)")
    ap.add_argument("--self-test", action="store_true", help="check that broken snippets are reported")
    args = ap.parse_args(argv)

    checker = Checker()
    if args.self_test:
        return self_test(checker)

    files = collect(args.paths or [DEFAULT_ROOT])
    problems: list[str] = []
    bad_files = 0
    for f in files:
        errs = checker.check_file(f)
        if errs:
            bad_files += 1
            problems.extend(errs)
    for line in problems:
        print(line)
    print(f"ps-syntax: {len(files)} files parsed, {len(problems)} errors" + (f" in {bad_files} files" if bad_files else ""))
    if not files:
        print("ps-syntax: no PowerShell files found", file=sys.stderr)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
