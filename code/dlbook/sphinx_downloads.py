"""Sphinx extension: every notebook page offers downloads for running it locally.

* the chapter as a Jupyter notebook (``.ipynb``): the executed notebook myst-nb wrote, with its
  Markdown made readable outside Sphinx (glued values filled in, roles and labels reduced to
  text) and, in a translated edition, its prose translated from the same catalogs as the page;
* the ``dlbook`` source files the page runs (found by ``dlbook.sphinx_nbdeps``).

The files land in ``<edition>/_downloads/dlbook/``; the template ``chapter-downloads.html`` lists
them in the page header.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

from babel.messages.pofile import read_po
from myst_nb.core.variables import format_plain_text

LABELS = {
    "zh_CN": {"title": "下载", "notebook": "本章的 Jupyter 笔记本", "code": "本章运行的代码"},
    "en": {"title": "Downloads", "notebook": "This chapter as a Jupyter notebook", "code": "Code this chapter runs"},
}
GLUE = re.compile(r"\{glue(?::(?:text|any))?\}`(?:([^`:]+?\.(?:md|ipynb))::)?([^`:]+)(?::([^`]*))?`")
ROLE = re.compile(r"\{(doc|ref|numref|eq|term)\}`([^`<]*?)(?:\s*<([^`]+)>)?`")
LABEL_LINE = re.compile(r"^\([\w-]+\)=\s*$")
LINE_PARTS = re.compile(r"^(\s*(?:#{1,6} |[-*] - |[-*+] |\d+\. |  - |> )?)(.*)$")
DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{([\w:-]+)\}\s*(.*)$")


def catalog(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (translated, non-fuzzy messages only)."""
    if not path.is_file():
        return {}
    with open(path, "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and m.string and not m.fuzzy}


def fill_glue(text: str, glue: dict[str, dict], docname: str) -> str:
    """Replace glue roles by their values; ``glue`` maps page name -> that page's glue data."""
    def value(match):
        page, key, spec = match.group(1), match.group(2), match.group(3) or ""
        data = glue.get(Path(page).stem if page else docname, {}).get(key)
        if data is None or "text/plain" not in data.get("data", {}):
            return match.group(0)
        return format_plain_text(data["data"]["text/plain"], spec)
    return GLUE.sub(value, text)


def plain_roles(text: str) -> str:
    """Reduce cross-reference roles to their text (``{doc}`x``` -> ``x``)."""
    return ROLE.sub(lambda m: m.group(2) or m.group(3), text)


def readable_markdown(source: str, translate: dict[str, str], glue: dict[str, dict], docname: str) -> str:
    """A Markdown cell as plain Jupyter Markdown: translated, glue filled, directives reduced."""
    out, fence = [], None
    for line in source.split("\n"):
        if LABEL_LINE.match(line):
            continue
        directive = DIRECTIVE.match(line)
        if fence is None and directive:
            fence, name, argument = directive.group(1), directive.group(2), directive.group(3)
            if name == "literalinclude":
                out.append(f"*(source: `{argument.replace('../code/', '')}`)*")
            elif name == "toctree":
                pass
            elif argument and name not in ("glue:figure",):
                out.append(f"**{translate.get(argument, argument)}**")
            continue
        if fence is not None:
            if line.strip() == fence:
                fence = None
            elif not line.startswith(":") and line.strip() and not line.startswith(("* - ", "  - ")):
                out.append(f"*{fill_glue(plain_roles(translate.get(line, line)), glue, docname)}*")
            elif line.startswith(("* - ", "  - ")):
                prefix, text = LINE_PARTS.match(line).groups()
                out.append(prefix + fill_glue(plain_roles(translate.get(text, text)), glue, docname))
            continue
        if line.startswith("|") and not re.match(r"^\|[-:| ]+\|$", line):  # a table row: cell by cell
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = "| " + " | ".join(fill_glue(plain_roles(translate.get(c, c)), glue, docname) for c in cells) + " |"
            out.append(line)
            continue
        prefix, text = LINE_PARTS.match(line).groups()
        out.append(prefix + fill_glue(plain_roles(translate.get(text, text)), glue, docname))
    return "\n".join(out).strip("\n")


def reader_notebook(executed: dict, translate: dict[str, str], glue: dict[str, dict], docname: str) -> dict:
    """The executed notebook with Markdown a reader's Jupyter can show, and clean metadata."""
    nb = copy.deepcopy(executed)
    nb["metadata"] = {"kernelspec": {k: v for k, v in nb["metadata"].get("kernelspec", {}).items()
                                     if k in ("name", "display_name", "language")}}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = readable_markdown(source, translate, glue, docname)
    return nb


def page_downloads(app, pagename: str) -> list[dict]:
    """The downloads of one page: its notebook and its code files (empty for a prose page)."""
    inputs = getattr(app.env, "nbdeps_inputs", {}).get(pagename)
    if inputs is None:
        return []
    labels = LABELS.get(app.config.language, LABELS["en"])
    up = "../" * pagename.count("/")
    items = [{"label": f"{labels['notebook']} ({Path(pagename).name}.ipynb)",
              "href": f"{up}_downloads/dlbook/{pagename}.ipynb"}]
    for path in inputs:
        if path.suffix == ".py":
            items.append({"label": f"{labels['code']}: {path.name}",
                          "href": f"{up}_downloads/dlbook/code/{path.name}"})
    return items


def add_context(app, pagename, templatename, context, doctree):
    context["chapter_downloads"] = page_downloads(app, pagename)
    context["chapter_downloads_title"] = LABELS.get(app.config.language, LABELS["en"])["title"]


def write_downloads(app, exception):
    """After an HTML build, write each page's reader notebook and copy its code files."""
    if exception is not None or app.builder.format != "html":
        return
    executed_dir = Path(app.env.mystnb_config.output_folder)
    target = Path(app.outdir) / "_downloads" / "dlbook"
    locale = app.config.language
    pages = getattr(app.env, "nbdeps_inputs", {})
    glue = {p.name.removesuffix(".glue.json"): json.loads(p.read_text()) for p in executed_dir.glob("*.glue.json")}
    for docname, inputs in pages.items():
        executed = executed_dir / f"{docname}.ipynb"
        if not executed.is_file():
            continue
        translate = {}
        if locale != app.config.bilingual_editions[0][0]:
            for folder in app.config.locale_dirs:
                translate.update(catalog(Path(app.confdir, folder) / locale / "LC_MESSAGES" / f"{docname}.po"))
        notebook = reader_notebook(json.loads(executed.read_text()), translate, glue, docname)
        out = target / f"{docname}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(notebook, ensure_ascii=False, indent=1))
        (target / "code").mkdir(exist_ok=True)
        for path in inputs:
            if path.suffix == ".py":
                shutil.copy2(path, target / "code" / path.name)


def setup(app):
    app.setup_extension("dlbook.sphinx_nbdeps")
    app.connect("html-page-context", add_context)
    app.connect("build-finished", write_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
