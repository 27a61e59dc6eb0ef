"""dlbook.sphinx_bilingual: switcher links and the language-picking root page."""

import json
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest

from dlbook.sphinx_bilingual import edition_links, redirect_page

EDITIONS = [("zh_CN", "中文"), ("en", "English")]


def test_links_lead_to_the_same_page_in_each_edition():
    links = edition_links(EDITIONS, "en", "04_code_examples", "04_code_examples.html")
    assert links == [
        {"code": "zh_CN", "label": "中文", "current": False, "href": "../zh_CN/04_code_examples.html"},
        {"code": "en", "label": "English", "current": True, "href": "../en/04_code_examples.html"},
    ]


def test_links_from_a_nested_page_climb_out_of_its_folder():
    links = edition_links(EDITIONS, "zh_CN", "appendix/terms", "appendix/terms.html")
    assert links[1]["href"] == "../../en/appendix/terms.html"


def test_redirect_page_lists_every_edition():
    page = redirect_page(EDITIONS)
    assert 'href="zh_CN/index.html"' in page and 'href="en/index.html"' in page
    assert json.dumps(["zh_CN", "en"]) in page


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page's script")
@pytest.mark.parametrize(
    "languages, expected",
    [(["zh-CN", "zh"], "zh_CN"), (["en-US", "en"], "en"), (["zh-TW"], "zh_CN"),
     (["fr-FR", "en-GB"], "en"), (["fr"], "zh_CN"), ([], "zh_CN")],
)
def test_redirect_picks_the_browser_language(languages, expected):
    script = re.search(r"<script>(.*)</script>", redirect_page(EDITIONS), re.S).group(1)
    harness = (
        f"var navigator = {{languages: {json.dumps(languages)}}};"
        "var target = null; var window = {location: {hash: '', replace: function (u) { target = u; }}};"
        f"{script}; console.log(target);"
    )
    result = subprocess.run(["node", "-e", harness], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"{expected}/index.html"


class _FakeEnv:
    docname = "ch/page"

    def doc2path(self, docname, base):
        return f"{docname}.md"


class _FakeDocument(dict):
    class settings:
        env = _FakeEnv()


@pytest.mark.parametrize(
    "role_class, text, expected",
    [("TranslatablePasteTextRole", "acc:.2%", "/ch/page.md::acc:.2%"),
     ("TranslatablePasteTextRole", "count", "/ch/page.md::count:s"),
     ("TranslatablePasteTextRole", "other.md::k:d", "other.md::k:d"),
     ("TranslatablePasteRoleAny", "fig", "/ch/page.md::fig")],
)
def test_glue_in_a_translated_paragraph_points_at_the_page(monkeypatch, role_class, text, expected):
    """Without the notebook's glue data (a re-parsed msgstr) the role becomes a page reference."""
    from dlbook import sphinx_bilingual as B

    cls = getattr(B, role_class)
    seen = {}
    monkeypatch.setattr(cls.__mro__[2], "run", lambda self: seen.setdefault("text", self.text))
    role = cls()
    role.inliner, role.text = SimpleNamespace(document=_FakeDocument()), text
    role.run()
    assert seen["text"] == expected
