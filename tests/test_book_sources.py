"""The book's sources keep the house rules: six chapters in order, code only from code/, no typed results."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTERS = ["01_background", "02_concepts", "03_math", "04_code_examples", "05_outlook", "06_faq"]
MAX_CELL_LINES = 12
FENCE = re.compile(r"^(`{3,})\{?([\w:-]*)\}?\s*(.*)$")


def blocks(text):
    """(kind, argument, options, body lines, prose?) for each fenced block; prose lines as kind None."""
    lines, i, out = text.splitlines(), 0, []
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            out.append((None, "", {}, [lines[i]]))
            i += 1
            continue
        ticks, kind, argument = match.groups()
        j = i + 1
        while not lines[j].startswith(ticks) or lines[j].strip() != ticks:
            j += 1
        body = lines[i + 1:j]
        options = dict(re.match(r"^:([\w-]+):\s*(.*)$", line).groups()
                       for line in body if re.match(r"^:[\w-]+:", line))
        body = [line for line in body if not re.match(r"^:[\w-]+:", line)]
        out.append((kind, argument, options, body))
        i = j + 1
    return out


def pages():
    return sorted(BOOK.glob("*.md"))


def test_six_chapters_in_order():
    index = (BOOK / "index.md").read_text(encoding="utf-8")
    toctree = next(body for kind, _, _, body in blocks(index) if kind == "toctree")
    assert [line.strip() for line in toctree if line.strip()] == CHAPTERS
    for name in CHAPTERS:
        assert (BOOK / f"{name}.md").is_file()


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_opens_the_same_way(name):
    prose = [line for line in (BOOK / f"{name}.md").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith(("---", "file_format", "kernelspec", "  ", "("))]
    assert prose[0].startswith("# ")
    assert prose[1].startswith("**本章你将学到：**")
    assert prose[2].startswith("**你需要：**")


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_code_comes_from_the_package(page):
    """Readers see code only through literalinclude of code/ and short executed calls."""
    for kind, argument, options, body in blocks(page.read_text(encoding="utf-8")):
        if kind == "code-cell":
            code = "\n".join(body)
            assert len([line for line in body if line.strip()]) <= MAX_CELL_LINES, code
            tree = ast.parse(code)
            defined = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
            assert not defined, f"{page.name}: define functions in code/dlbook, not in a cell:\n{code}"
        elif kind == "literalinclude":
            source = (page.parent / argument).resolve()
            assert source.is_relative_to(ROOT / "code"), f"{page.name}: {argument} is outside code/"
            assert source.is_file(), f"{page.name}: {argument} does not exist"
            if "pyobject" in options:
                names = {n.name for n in ast.walk(ast.parse(source.read_text()))
                         if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
                assert options["pyobject"].split(".")[-1] in names
        elif kind in ("python", "python3", "ipython", "ipython3", "py", "code-block", "code"):
            pytest.fail(f"{page.name}: a {kind} block shows code that is not loaded from code/")


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_pages_with_cells_are_notebooks(page):
    text = page.read_text(encoding="utf-8")
    if "```{code-cell}" in text:
        assert text.startswith("---\nfile_format: mystnb\nkernelspec:")


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_no_typed_results_in_prose(page):
    """Accuracies and other measured decimals in prose must be glued, not typed."""
    for kind, _, _, body in blocks(page.read_text(encoding="utf-8")):
        if kind is not None:
            continue
        line = re.sub(r"\{glue(:\w+)?\}`[^`]*`|`[^`]*`|\$[^$]*\$", "", body[0])
        assert not re.search(r"\d+(\.\d+)?\s*%|\d\.\d{3,}", line), f"{page.name}: {body[0]}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_paragraphs_are_single_lines(page):
    """A line break inside a Chinese paragraph renders as a stray space."""
    previous = ""
    for kind, _, _, body in blocks(page.read_text(encoding="utf-8")):
        line = body[0] if kind is None else ""
        if kind is None and re.search(r"[\u4e00-\u9fff。，]$", previous) and re.match(r"[\u4e00-\u9fff]", line):
            pytest.fail(f"{page.name}: paragraph broken across lines: {previous!r} / {line!r}")
        previous = line if kind is None else ""
