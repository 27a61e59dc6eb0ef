"""The built site in a real browser (Debian's Chromium, driven by Playwright), both editions.

Every page: no console error, no failed request, no request leaving the site, equations
typeset, images loaded, the language switcher lands on the same page in the other edition,
code blocks have a working copy button, and chapter downloads are served. Search finds a
Chinese term in the Chinese edition and an English one in the English edition. A screenshot
of every page is written to _build/screenshots/<edition>/ for review.
"""

import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = sorted(p.stem for p in (ROOT / "book").glob("*.md"))
EDITIONS = ("zh_CN", "en")
SCREENSHOTS = ROOT / "_build" / "screenshots"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(built_book):
    """A plain static server on loopback over the built HTML (both editions and the root page)."""
    handler = functools.partial(QuietHandler, directory=str(built_book[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


class Visit:
    """One page load with everything the page asked for and everything that went wrong."""

    def __init__(self, browser, site, url, locale="en-US"):
        self.context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
        self.requests, self.failed, self.errors, self.outside = [], [], [], []

        def route(route):
            url = route.request.url
            if url.startswith(site) or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} {r.status}"))
        self.page.goto(url, wait_until="networkidle")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, site):
    opened = []

    def open_page(path, locale="en-US"):
        v = Visit(browser, site, f"{site}/{path}", locale)
        opened.append(v)
        return v

    yield open_page
    for v in opened:
        v.close()


def typeset_math(page):
    """Wait for MathJax (served from the site) and return the number of typeset formulas."""
    if not page.evaluate("() => !!document.querySelector('.math, .MathJax_Preview, div.math, span.math')"):
        return 0
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
    page.evaluate("() => MathJax.startup.promise")
    return page.evaluate("() => document.querySelectorAll('mjx-container').length")


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", PAGES)
def test_page_in_a_browser(visit, site, edition, name):
    v = visit(f"{edition}/{name}.html")
    page = v.page
    # Equations: every math element typeset, no raw TeX delimiters left visible.
    math_elements = page.evaluate("() => document.querySelectorAll('div.math, span.math').length")
    if math_elements:
        assert typeset_math(page) >= math_elements
    # Figures and other images: loaded, with a real size.
    broken = page.evaluate(
        "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert broken == []
    # Switcher: the other edition's link opens the same page there.
    other = [e for e in EDITIONS if e != edition][0]
    link = page.locator("nav.bilingual-switcher a.bilingual-link")
    assert link.count() == 1
    with page.expect_navigation():
        link.click()
    assert page.url == f"{site}/{other}/{name}.html"
    SCREENSHOTS.joinpath(edition).mkdir(parents=True, exist_ok=True)
    v2 = visit(f"{edition}/{name}.html")
    typeset_math(v2.page)
    v2.page.screenshot(path=str(SCREENSHOTS / edition / f"{name}.png"), full_page=True)
    for seen in (v, v2):
        assert seen.outside == [], "requests leaving the site"
        assert seen.failed == [], "failed requests"
        assert seen.errors == [], "console errors"


@pytest.mark.parametrize("edition", EDITIONS)
def test_copy_button_copies_the_code(visit, edition):
    page = visit(f"{edition}/04_code_examples.html").page
    block = page.locator("div.cell_input div.highlight").first
    block.hover()
    block.locator("button.copybtn").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert "load_mnist" in copied and copied.strip() == block.locator("pre").inner_text().strip()


@pytest.mark.parametrize("edition, query, expected", [("zh_CN", "卷积", "04_code_examples"),
                                                      ("en", "convolution", "04_code_examples")])
def test_search_finds_a_term(visit, edition, query, expected):
    page = visit(f"{edition}/search.html?q={query}").page
    page.wait_for_selector("#search-results ul.search li", timeout=20000)
    hits = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
    assert any(f"/{edition}/{expected}.html" in h for h in hits), hits


@pytest.mark.parametrize("locale, edition", [("zh-CN", "zh_CN"), ("en-GB", "en")])
def test_root_page_picks_the_edition(visit, site, locale, edition):
    page = visit("index.html", locale=locale).page
    page.wait_for_url(f"{site}/{edition}/index.html")


@pytest.mark.parametrize("edition", EDITIONS)
def test_chapter_downloads(visit, site, edition):
    page = visit(f"{edition}/04_code_examples.html").page
    page.locator("details.chapter-downloads summary").click()  # fails if hidden or covered
    assert page.locator("a.chapter-download").first.is_visible()
    links = page.eval_on_selector_all("a.chapter-download", "links => links.map(a => a.href)")
    assert any(h.endswith("04_code_examples.ipynb") for h in links)
    assert any(h.endswith("code/keras_cnn.py") for h in links)
    for href in links:
        response = page.request.get(href)
        assert response.status == 200, href
    notebook = json.loads(page.request.get(next(h for h in links if h.endswith(".ipynb"))).text())
    code = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    prose = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert "keras_cnn.train" in code and "{glue" not in prose
    has_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in prose)
    assert has_chinese is (edition == "zh_CN")
