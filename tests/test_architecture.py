"""The house rules of issue 22, checked on the code itself (they fail on the first breach).

- The import contract (``[tool.importlinter]`` in pyproject.toml): dashboard > models > geo, the
  rooms inside geo, no cycle between siblings at any depth, the simulator never reaches trust
  code, pages never import the store.
- No import inside a function, except an optional heavy dependency whose line says
  ``# optional: <why>``.
- No module over 900 lines; at most 8 modules at the top of ``geo/``.
- One way to speak: no text written inline in both languages (``es=``/``en=`` arguments, a
  ``tr(es, en)`` call, a text chosen by ``lang == "en"``, a table of texts by language);
  every text is a catalogue key.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "models", "dashboard")
MAX_LINES = 900


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                  if "static" not in p.parts)


def test_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    if not lint.is_file():
        pytest.fail("lint-imports is missing: install the test extras (pip install -e '.[test]')")
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def _inner_imports(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for sub in ast.walk(node):
                if (isinstance(sub, (ast.Import, ast.ImportFrom))
                        and "# optional" not in lines[sub.lineno - 1]):
                    found.append(f"{path.relative_to(ROOT)}:{sub.lineno}: "
                                 f"{lines[sub.lineno - 1].strip()}")
    return found


def test_no_import_inside_a_function():
    found = [line for path in _modules() for line in _inner_imports(path)]
    assert not found, "imports inside functions (move them to the top, or comment an " \
        "optional heavy dependency with '# optional: <why>'):\n" + "\n".join(found)


def test_the_inner_import_check_can_fail(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    import json\n    import dask  # optional: "
                      "clusters\n    return json\n", encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert _inner_imports(module) == ["m.py:4: import json"]
    finally:
        ROOT = saved


#: Where a text may still be chosen by language: the catalogue itself, and text a file keeps
#: in both languages (the seal's anchoring error; an indicator table's own source line).
SPEAKS_ANYWAY = {"geo/messages/lookup.py", "geo/errors.py", "models/planning/printable.py",
                 "dashboard/views/indicadores.py", "dashboard/state/regions.py"}
_LANGUAGE_CODES = {"es", "en", ""}


def _texts_written_inline(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            given = {k.arg for k in node.keywords}
            if {"es", "en"} <= given or name == "tr":
                found.append(f"{rel}:{node.lineno}: {name}(…) with both texts inline")
        elif isinstance(node, ast.Dict) and not rel.startswith("geo/messages/") and \
                {"es", "en"} <= {k.value for k in node.keys if isinstance(k, ast.Constant)} and \
                any(isinstance(v, ast.Dict | ast.JoinedStr) or (isinstance(v, ast.Constant) and
                                                               " " in str(v.value))
                    for v in node.values):  # {"es": "tramos"} names a column, not a text
            found.append(f"{rel}:{node.lineno}: a table of texts by language")
        elif isinstance(node, ast.IfExp) and rel not in SPEAKS_ANYWAY:
            compared = {c.value for c in ast.walk(node.test)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)}
            texts = [b for b in (node.body, node.orelse)
                     if isinstance(b, ast.JoinedStr) or (isinstance(b, ast.Constant) and
                                                         isinstance(b.value, str) and
                                                         b.value not in _LANGUAGE_CODES
                                                         and not b.value.startswith("?"))]
            if compared & {"es", "en"} and texts:
                found.append(f"{rel}:{node.lineno}: a text chosen by language")
    return found


def test_one_way_to_speak():
    found = [line for path in _modules() for line in _texts_written_inline(path)]
    assert not found, "texts written inline in both languages (make them catalogue keys, " \
        "geo/messages/*.toml):\n" + "\n".join(found)


def test_the_way_to_speak_check_can_fail(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('def f(lang):\n    x = tr("hola", "hello")\n    y = E(es="a", en="b")\n'
                      '    z = {"es": {"a": "hola"}, "en": {"a": "hi"}}\n'
                      '    return "hi" if lang == "en" else "hola"\n', encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        lines = [line.split(":")[1] for line in _texts_written_inline(module)]
        assert lines == ["2", "3", "4", "5"]
    finally:
        ROOT = saved


def test_no_module_over_900_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_geo_has_at_most_eight_modules_at_its_top():
    top = sorted(p.name for p in (ROOT / "geo").glob("*.py"))
    assert len(top) <= 8, top


def _dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_architecture_names_every_package_and_module():
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    unnamed = sorted(name for p in _modules() if not p.name == "__main__.py"
                     if f"`{(name := _dotted(p))}`" not in doc)
    assert not unnamed, "docs/ARCHITECTURE.md does not name: " + ", ".join(unnamed)


def test_make_test_fast_leaves_out_the_shared_data_and_the_browser():
    """``make test-fast`` (README) selects tests that need neither ../shared/data nor chromium."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    dry = subprocess.run(["make", "-n", "test-fast"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert dry.returncode == 0, dry.stderr
    command = dry.stdout.replace("\\\n", " ")
    assert "RISKMAP_SHARED_DATA=/nonexistent" in command
    marks = re.search(r'-m\s+"([^"]+)"', command).group(1)
    for left_out in ("e2e", "slow", "shared_data"):
        assert f"not {left_out}" in marks, command
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", marks, "tests/geo/geography/test_base.py",
         "tests/geo/records/test_store.py", "tests/e2e/test_dashboard.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "RISKMAP_SHARED_DATA": "/nonexistent", "CI": ""})
    lines = [ln for ln in collected.stdout.splitlines() if "::" in ln]
    assert any("test_store.py" in ln for ln in lines), collected.stdout[-2000:]
    assert not any("test_base.py" in ln or "e2e" in ln for ln in lines), lines
