"""dlbook.sphinx_nbdeps: a page re-executes when, and only when, the code it runs changes."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlbook import sphinx_nbdeps as N

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "code" / "dlbook"


def test_imported_modules():
    code = "import dlbook.data\nfrom dlbook import keras_cnn, plots as p\nfrom dlbook.history import x\nimport numpy\n%time 1"
    assert N.imported_modules(code) == {"dlbook.data", "dlbook.keras_cnn", "dlbook.plots", "dlbook.history"}
    assert N.imported_modules("from .history import x\nimport dlbookish") == set()


def test_module_closure_follows_imports():
    files = {p.name for p in N.module_closure({"dlbook.keras_cnn"}, PACKAGE)}
    assert files == {"__init__.py", "keras_cnn.py", "data.py", "history.py"}


def test_page_inputs_of_a_chapter():
    page = ROOT / "book" / "04_code_examples.md"
    inputs = N.page_inputs(page.read_text(encoding="utf-8"), page.parent, PACKAGE, (ROOT / "requirements.lock",))
    names = {p.relative_to(ROOT).as_posix() for p in inputs}
    assert {"code/dlbook/keras_cnn.py", "code/dlbook/mxnet_cnn.py", "code/dlbook/plots.py",
            "code/dlbook/datasets/mnist_subset.npz", "requirements.lock"} <= names
    assert "code/dlbook/math_checks.py" not in names


def test_fingerprint_changes_with_content(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("x = 1\n")
    first = N.fingerprint([a], tmp_path)
    assert N.fingerprint([a], tmp_path) == first
    a.write_text("x = 2\n")
    assert N.fingerprint([a], tmp_path) != first


def test_with_fingerprint_keeps_line_numbers():
    text = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n---\n\n# Title\n\ntext\n"
    new = N.with_fingerprint(text, "abc123")
    assert "kernelspec:\n  dlbook_inputs: 'abc123'\n  name: python3" in new
    assert new.splitlines()[6:] == text.splitlines()[6:] and len(new.splitlines()) == len(text.splitlines())
    assert N.with_fingerprint("# no front matter\n", "x") == "# no front matter\n"


def test_glued_pages():
    text = "{glue:text}`04_code_examples.md::acc:.2%` and {glue}`../x/y.ipynb::k` and {glue:text}`own`"
    assert N.glued_pages(text, "part/06_faq") == {"part/04_code_examples", "x/y"}


NOTEBOOK = """---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---

# {title}

{prose}

```{{code-cell}} ipython3
{code}
```
"""


@pytest.mark.slow
def test_rebuilds_execute_only_what_changed(tmp_path):
    """A tiny book using the extension: prose edits execute nothing, code edits only their pages."""
    book = tmp_path / "book"
    book.mkdir()
    shutil.copytree(PACKAGE, tmp_path / "code" / "dlbook", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "conf.py").write_text(
        'extensions = ["myst_nb", "dlbook.sphinx_nbdeps"]\nnb_execution_mode = "cache"\n'
        'nb_execution_raise_on_error = True\nexclude_patterns = ["_build"]\n')
    (book / "index.md").write_text("# Book\n\n```{toctree}\nhistory\nenv\npaste\n```\n")
    (book / "history.md").write_text(NOTEBOOK.format(
        title="History", prose="Prose.",
        code="from myst_nb import glue\nfrom dlbook.history import EpochStats\nglue('n', len(EpochStats.__dataclass_fields__))"))
    (book / "env.md").write_text(NOTEBOOK.format(
        title="Env", prose="Prose.", code="from dlbook.environment import versions\nprint(versions(('numpy',)))"))
    (book / "paste.md").write_text("# Paste\n\nFields: {glue:text}`history.md::n:d`.\n")

    def build():
        result = subprocess.run(
            [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "--keep-going", "-c", str(tmp_path),
             "-d", str(tmp_path / "_build" / "doctrees"), str(book), str(tmp_path / "_build" / "html")],
            capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        log = result.stdout + result.stderr
        return sorted(re.findall(r"book/(\w+)\.md: Executed notebook", log)), log

    assert build()[0] == ["env", "history"]
    assert build()[0] == []  # nothing changed
    env = book / "env.md"
    env.write_text(env.read_text().replace("Prose.", "Other prose."))
    executed, log = build()
    assert executed == [] and "env.md: Using cached notebook" in log  # prose edit
    history = tmp_path / "code" / "dlbook" / "history.py"
    history.write_text(history.read_text() + "\n# an edit\n")
    executed, log = build()
    assert executed == ["history"]  # only the page whose code changed
    assert re.search(r"reading sources\.\.\. .*paste", log), "a page pasting its glue is read again"
