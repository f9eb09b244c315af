"""No number written by hand for people (issue 23): the code is scanned for format specs.

Numbers and dates people read go through the one formatter (:mod:`geo.formatting`, Babel's
CLDR: Peru's Spanish ``es_PE`` and English), or through a catalogue placeholder that
:func:`geo.messages.t` writes with it (``{n:,}``, ``{p:.1%}``). A number formatted by hand —
``f"{x:.1f} %"``, ``f"{n:,}"``, ``"%.2f" % x``, ``format(x, ".3f")``, ``"{:.2f}".format(x)``,
a printf ``format=`` of a table column — writes Python's or the browser's digits, whatever the
language, so a page ends up with ``3.4 %`` beside ``4,6 %`` and ``2451`` beside ``5,54e+03``.
The scan reads every module of geo/, models/ and dashboard/ (an AST walk) and fails on the
first such format that is not in :data:`MACHINE_FORMATS`: formats for machines (CSV, JSON,
file names, logs, SVG coordinates), where the digits must not depend on the language.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "models", "dashboard")

#: A format spec that writes a number: grouping, a precision, or a numeric type (but not a
#: zero-padded code, ``{k:05d}``: an identifier's digits, not a number to read).
NUMERIC_SPEC = re.compile(r"^(?!0\d+d$).*([,_]|\.\d*[a-zA-Z%]?$|\.\{\}[a-zA-Z%]$"
                          r"|(^|[^a-zA-Z])[dfFeEgGn%]$)")
#: printf-style number conversions (``%.2f``, ``%d``, ``%5.1e``).
PRINTF = re.compile(r"%[-+ 0#,']*\d*(?:\.\d+)?[dfFeEgGi]")
#: A string that is nothing but a printf number pattern (a table column's format kept in a
#: tuple or a variable: ``("dias", "%g")``), maybe with a unit or a percent sign after it.
PRINTF_ALONE = re.compile(r"%[-+ 0#,']*\d*(?:\.\d+)?[dfFeEgGi]( ?%%| ?\w+)?")

#: Machine formats, by module and a piece of the line: where digits must not follow a
#: language (files, logs, geometry). Each says why.
MACHINE_FORMATS: dict[tuple[str, str], str] = {
    ("dashboard/views/datos.py", 'f"{float(value):.5f}"'):
        "a coordinate written back into the user's own table, as the file had it",
    ("geo/world/folder.py", 'float_format="%.6g"'): "the demo's CSV files (machine format)",
    ("models/risk/recency.py", 'f"{h:g}"'): "a half-life as a key of the model's JSON card",
    ("models/planning/printable.py", 'return f"{a:.1f},{b:.1f}"'): "SVG coordinates",
    ("models/planning/printable.py", 'x=f"{tx:.1f}", y=f"{ty:.1f}"'): "SVG coordinates",
    ("models/planning/printable.py", 'x=f"{lx:.1f}", y=f"{ly:.1f}"'): "SVG coordinates",
    ("models/planning/printable.py", 'rect_x=f"{x - 5:.1f}", rect_y=f"{y - 5:.1f}"'):
        "SVG coordinates",
    ("geo/records/workbook.py", 'len(f"{float(value):,.3f}")'):
        "a column's width in characters (the sheet writes the number itself)",
}


def _spec_text(spec: ast.AST | None) -> str:
    if spec is None:
        return ""
    if isinstance(spec, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in spec.values)
    return ""


def _printf_on_the_left(node: ast.BinOp) -> bool:
    return (isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str) and bool(PRINTF.search(node.left.value)))


def _hand_formats(path: Path) -> list[tuple[int, str]]:
    """``(line, why)`` of every number written by hand in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FormattedValue) and NUMERIC_SPEC.search(
                _spec_text(node.format_spec)):
            found.append((node.lineno, f"f-string spec :{_spec_text(node.format_spec)}"))
        elif isinstance(node, ast.BinOp) and _printf_on_the_left(node):
            found.append((node.lineno, "printf % formatting"))
        elif isinstance(node, ast.Call):
            found.extend((node.lineno, why) for why in _call_formats(node))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and PRINTF_ALONE.fullmatch(node.value)):
            found.append((node.lineno, f"printf pattern {node.value!r}"))
    return found


def _call_formats(node: ast.Call) -> list[str]:
    out = []
    func = node.func
    if (isinstance(func, ast.Name) and func.id == "format" and len(node.args) == 2
            and isinstance(node.args[1], ast.Constant)
            and NUMERIC_SPEC.search(str(node.args[1].value))):
        out.append(f"format(x, {node.args[1].value!r})")
    if (isinstance(func, ast.Attribute) and func.attr == "format"
            and isinstance(func.value, ast.Constant) and isinstance(func.value.value, str)):
        specs = re.findall(r"\{[^{}:]*:([^{}]*)\}", func.value.value)
        if any(NUMERIC_SPEC.search(s) for s in specs):
            out.append(f"str.format with {specs}")
    for kw in node.keywords:
        if (kw.arg in ("format", "float_format") and isinstance(kw.value, ast.Constant)
                and isinstance(kw.value.value, str) and PRINTF.search(kw.value.value)):
            out.append(f"{kw.arg}={kw.value.value!r} (printf, not the language's)")
    return out


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                  if "static" not in p.parts)


def _allowed(rel: str, line: str) -> bool:
    return any(rel == path and piece in line for path, piece in MACHINE_FORMATS)


def _breaches() -> list[str]:
    out = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        lines = path.read_text(encoding="utf-8").splitlines()
        for lineno, why in _hand_formats(path):
            if not _allowed(rel, lines[lineno - 1]):
                out.append(f"{rel}:{lineno}: {why}: {lines[lineno - 1].strip()}")
    return out


def test_no_number_is_formatted_by_hand_for_people():
    found = _breaches()
    assert not found, (
        "numbers written by hand (use geo.formatting: format_number, format_percent, "
        "format_quantity, format_month, or a catalogue placeholder {n:,} / {p:.1%} that t() "
        "writes; a machine format goes in MACHINE_FORMATS with why):\n" + "\n".join(found))


def test_the_scan_finds_each_kind_of_hand_format(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text(
        'a = f"{100 * v:.1f} %"\n'
        'b = f"{n:,}"\n'
        'c = "%.2f" % x\n'
        'd = format(x, ".3f")\n'
        'e = "{:.1%}".format(x)\n'
        'f = NumberColumn(format="%.1f %%")\n'
        'g = f"{name}: {path!r}"\n'           # no number format: not a breach
        'h = f"{mode:o} {width:>10} SIM-{k:05d}"\n'  # a file mode, padding, a code
        'i = [("dias", "%g"), ("riesgo", "%.1f %%")]\n'
        'j = strftime("%Y-%m-%d")\n',  # a date's machine format: not a number pattern
        encoding="utf-8")
    assert sorted({line for line, _ in _hand_formats(sample)}) == [1, 2, 3, 4, 5, 6, 9]


def test_every_allowed_machine_format_still_exists():
    # a stale entry would let a new hand format in on the same line text
    for (rel, piece), why in MACHINE_FORMATS.items():
        text = (ROOT / rel).read_text(encoding="utf-8")
        assert piece in text, f"{rel}: {piece!r} ({why}) is gone: remove it from the list"
