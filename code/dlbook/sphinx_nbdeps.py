"""Sphinx extension: re-execute a notebook page when the code it runs changes, and only then.

myst-nb caches an executed notebook under a hash of its code cells (and its kernelspec), and
Sphinx re-reads a page only when the page itself changed. A page whose cells call
``dlbook.keras_cnn.train`` would therefore keep stale output after ``keras_cnn.py`` changed.

For every notebook page this extension finds its inputs: the ``dlbook`` modules its cells
import, the modules those import in turn, the files it shows with ``literalinclude``, the
package's data files when ``dlbook.data`` is among them, and the lock file. It then

* tells Sphinx the page depends on those files (``env.note_dependency``), so that editing one
  makes Sphinx read the page again, and
* writes a fingerprint of their contents into the page's kernelspec metadata, which the
  execution cache hashes, so that the page executes again exactly when an input changed.

A page that glues a value from another page (``{glue:text}`other.md::key```) is read again
whenever that page is, so the pasted value follows the other page's new output.

Editing prose changes no fingerprint: the page is read again, its cells come from the cache.
The fingerprint line is inserted into the front matter in place of the blank line that follows
it, so line numbers in warnings and translation catalogs stay those of the file.
"""

from __future__ import annotations

import ast
import hashlib
import posixpath
import re
from pathlib import Path

PACKAGE = "dlbook"
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```\s*$", re.M | re.S)
INCLUDE = re.compile(r"^```\{literalinclude\}\s+(\S+)", re.M)
GLUE_FROM_PAGE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+?)\.(?:md|ipynb)::")
FINGERPRINT_KEY = "dlbook_inputs"


def imported_modules(code: str, package: str = PACKAGE) -> set[str]:
    """Names of the package's modules that ``code`` imports (``dlbook.x``), by static analysis."""
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!", ":")))
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == package:
                names |= {f"{package}.{a.name}" for a in node.names}
            elif node.module.split(".")[0] == package:
                names.add(node.module)
    return names


def module_file(name: str, package_dir: Path) -> Path | None:
    """Source file of module ``dlbook.x`` (or of the package itself), if there is one."""
    parts = name.split(".")[1:]
    candidates = [package_dir.joinpath(*parts).with_suffix(".py"),
                  package_dir.joinpath(*parts, "__init__.py")]
    return next((c for c in candidates if c.is_file()), None)


def module_closure(names: set[str], package_dir: Path) -> set[Path]:
    """Files of ``names`` and of every package module they import, transitively."""
    seen: set[Path] = set()
    todo = [f"{PACKAGE}"] + sorted(names)  # importing dlbook.x runs dlbook/__init__.py too
    while todo:
        path = module_file(todo.pop(), package_dir)
        if path is None or path in seen:
            continue
        seen.add(path)
        todo.extend(sorted(imported_modules(path.read_text(encoding="utf-8"))))
    return seen


def page_inputs(text: str, page_dir: Path, package_dir: Path, extra: tuple[Path, ...] = ()) -> list[Path]:
    """Every file whose content the output of a notebook page depends on, sorted."""
    code = "\n".join(CELL.findall(text))
    files = module_closure(imported_modules(code), package_dir)
    files |= {(page_dir / arg).resolve() for arg in INCLUDE.findall(text)}
    if package_dir / "data.py" in files:
        files |= {p for p in (package_dir / "datasets").rglob("*") if p.is_file()}
    files |= {p for p in extra if p.is_file()}
    return sorted(files)


def fingerprint(files: list[Path], root: Path) -> str:
    """SHA-256 over the files' paths (relative to ``root``) and contents."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def with_fingerprint(text: str, value: str) -> str:
    """``text`` with ``kernelspec`` gaining ``dlbook_inputs: value``; line count kept if possible."""
    match = re.match(r"---\n(.*?\n)---\n", text, re.S)
    if not match or not re.search(r"^kernelspec:\s*$", match.group(1), re.M):
        return text
    head = re.sub(r"^kernelspec:\s*\n", f"kernelspec:\n  {FINGERPRINT_KEY}: '{value}'\n",
                  match.group(1), count=1, flags=re.M)
    rest = text[match.end():]
    if rest.startswith("\n"):
        rest = rest[1:]  # the blank line after the front matter gives way to the inserted line
    return f"---\n{head}---\n{rest}"


def glued_pages(text: str, docname: str) -> set[str]:
    """Docnames of the pages whose glue values ``text`` pastes (``{glue:text}`page.md::key```)."""
    folder = posixpath.dirname(docname)
    return {posixpath.normpath(ref.lstrip("/") if ref.startswith("/") else posixpath.join(folder, ref))
            for ref in GLUE_FROM_PAGE.findall(text)}


def add_inputs(app, docname: str, source: list[str]) -> None:
    """source-read: note the page's inputs as dependencies and fingerprint them."""
    text = source[0]
    pasted = glued_pages(text, docname)
    if pasted:
        app.env.nbdeps_glued_from = getattr(app.env, "nbdeps_glued_from", {})
        app.env.nbdeps_glued_from[docname] = pasted
    if not text.startswith("---\n") or "kernelspec:" not in text.split("\n---\n", 1)[0]:
        return
    root = Path(app.confdir)
    page = Path(app.env.doc2path(docname))
    files = page_inputs(text, page.parent, root / "code" / PACKAGE,
                        tuple(root / name for name in app.config.nbdeps_extra_inputs))
    for path in files:
        app.env.note_dependency(str(path))
    app.env.nbdeps_inputs = getattr(app.env, "nbdeps_inputs", {})
    app.env.nbdeps_inputs[docname] = files
    source[0] = with_fingerprint(text, fingerprint(files, root))


def reread_pasting_pages(app, env, added, changed, removed) -> list[str]:
    """env-get-outdated: pages that paste glue from a page being read again must be read too."""
    renewed = set(added) | set(changed)
    return sorted(doc for doc, pages in getattr(env, "nbdeps_glued_from", {}).items()
                  if pages & renewed and doc not in renewed)


def forget_page(app, env, docname: str) -> None:
    for attribute in ("nbdeps_glued_from", "nbdeps_inputs"):
        getattr(env, attribute, {}).pop(docname, None)


def merge_pages(app, env, docnames, other) -> None:
    for attribute in ("nbdeps_glued_from", "nbdeps_inputs"):
        merged = getattr(env, attribute, {})
        merged.update({d: v for d, v in getattr(other, attribute, {}).items() if d in docnames})
        setattr(env, attribute, merged)


def setup(app):
    app.add_config_value("nbdeps_extra_inputs", [], "env")
    app.connect("source-read", add_inputs)
    app.connect("env-get-outdated", reread_pasting_pages)
    app.connect("env-purge-doc", forget_page)
    app.connect("env-merge-info", merge_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
