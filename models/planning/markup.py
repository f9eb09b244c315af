"""The printed plan's and the field sheets' markup: HTML and SVG templates filled in.

The templates are files in ``models/planning/templates/`` (``string.Template``: ``$name``),
read once from the package, installed or not.

>>> fill("paragraph.html", text="Hola")
'<p>Hola</p>'
"""

from __future__ import annotations

import functools
import string
from importlib import resources

__all__ = ["fill", "template"]


@functools.cache
def template(name: str) -> string.Template:
    """Return the template file ``templates/<name>``, read from the package (installed or not)."""
    text = (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")
    return string.Template(text.removesuffix("\n"))


def fill(name: str, /, **values: object) -> str:
    """Fill the template ``name``; a line left empty (a part the page lacks) is dropped."""
    filled = template(name).substitute(values)
    return "\n".join(line for line in filled.split("\n") if line)
