"""dlbook.translation: counts per catalog, and a catalog that fell behind its chapter is caught."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from dlbook import translation as T

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, messages: dict, fuzzy=()):
    catalog = Catalog(locale="en")
    catalog.fuzzy = False
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr, flags=["fuzzy"] if msgid in fuzzy else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, catalog)
    return path


@pytest.fixture
def dirs(tmp_path):
    return tmp_path / "pot", tmp_path / "po"


def test_complete_catalog_is_ok(dirs):
    pot, po = dirs
    write(pot / "ch1.pot", {"甲": "", "乙": ""})
    write(po / "ch1.po", {"甲": "A", "乙": "B"})
    [row] = T.collect(pot, po)
    assert (row.translated, row.fuzzy, row.untranslated, row.problems) == (2, 0, 0, [])
    assert T.main(["--templates", str(pot), "--catalogs", str(po)]) == 0


def test_fuzzy_and_untranslated_are_counted_and_fail(dirs, capsys):
    pot, po = dirs
    write(pot / "ch1.pot", {"甲": "", "乙": "", "丙": ""})
    write(po / "ch1.po", {"甲": "A", "乙": "B?", "丙": ""}, fuzzy={"乙"})
    [row] = T.collect(pot, po)
    assert (row.translated, row.fuzzy, row.untranslated) == (1, 1, 1)
    assert T.main(["--templates", str(pot), "--catalogs", str(po)]) == 1
    out = capsys.readouterr().out
    assert "1 fuzzy" in out and "1 untranslated" in out and "not in step" in out and "ch1" in out


def test_changed_source_makes_the_catalog_stale(dirs, capsys):
    pot, po = dirs
    write(pot / "ch1.pot", {"甲": "", "乙（改）": ""})
    write(po / "ch1.po", {"甲": "A", "乙": "B"})
    write(pot / "ch2.pot", {"丁": ""})
    write(po / "ch2.po", {"丁": "D"})
    rows = {r.name: r for r in T.collect(pot, po)}
    assert rows["ch1"].problems == [
        "stale: 1 new and 1 removed source messages; run `nox -s translate`"]
    assert rows["ch2"].problems == []
    assert T.main(["--templates", str(pot), "--catalogs", str(po)]) == 1
    assert "not in step with the source in: ch1\n" in capsys.readouterr().out


def test_missing_and_orphan_catalogs(dirs):
    pot, po = dirs
    write(pot / "new.pot", {"甲": ""})
    write(po / "gone.po", {"乙": "B"})
    rows = {r.name: r for r in T.collect(pot, po)}
    assert rows["new"].problems[0].startswith("missing catalog")
    assert rows["new"].untranslated == 1
    assert rows["gone"].problems[0].startswith("orphan catalog")


def test_no_templates_is_an_error(dirs):
    pot, po = dirs
    pot.mkdir(parents=True)
    with pytest.raises(SystemExit, match="no .pot templates"):
        T.collect(pot, po)


def test_table_has_a_total(dirs):
    pot, po = dirs
    write(pot / "a.pot", {"甲": ""})
    write(po / "a.po", {"甲": "A"})
    lines = T.format_table(T.collect(pot, po)).splitlines()
    assert lines[0].split()[:5] == ["catalog", "translated", "fuzzy", "untranslated", "obsolete"]
    assert lines[-1].split() == ["total", "1", "0", "0", "0"]


@pytest.mark.slow
def test_editing_a_chinese_sentence_fails_the_status_in_a_scratch_copy(tmp_path):
    """End to end: in a copy of the repo, change one sentence; translation-status names the catalog."""
    from dlbook.bench import copy_repo

    copy = copy_repo(ROOT, tmp_path / "repo")
    cache = ROOT / "_build" / ".jupyter_cache"
    templates = tmp_path / "pot"

    def status():
        build = [sys.executable, "-m", "sphinx", "-b", "gettext", "-q", "-n", "-W", "--keep-going",
                 "-c", str(copy), "-d", str(tmp_path / "doctrees"), str(copy / "book"), str(templates)]
        if cache.is_dir():  # reuse executed notebooks: only prose changes here
            build[5:5] = ["-D", f"nb_execution_cache_path={cache}"]
        shutil.rmtree(templates, ignore_errors=True)
        subprocess.run(build, check=True, cwd=copy)
        return subprocess.run(
            [sys.executable, "-m", "dlbook.translation", "--templates", str(templates),
             "--catalogs", str(copy / "locale" / "en" / "LC_MESSAGES")],
            capture_output=True, text=True, cwd=copy)

    before = status()
    assert before.returncode == 0, before.stdout
    chapter = copy / "book" / "05_outlook.md"
    text = chapter.read_text(encoding="utf-8")
    sentence = "模型越来越大："
    assert sentence in text
    chapter.write_text(text.replace(sentence, "模型的规模越来越大：", 1), encoding="utf-8")
    after = status()
    assert after.returncode == 1
    assert "not in step with the source in: 05_outlook\n" in after.stdout
    assert "05_outlook" in after.stdout and "stale: 1 new and 1 removed" in after.stdout
