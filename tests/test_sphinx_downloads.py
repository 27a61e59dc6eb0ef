"""dlbook.sphinx_downloads: the chapter notebook a reader downloads reads well outside Sphinx."""

from dlbook import sphinx_downloads as D

GLUE = {"ch": {"acc": {"data": {"text/plain": "0.974"}}, "n": {"data": {"text/plain": "693962"}}},
        "other": {"k": {"data": {"text/plain": "'1.9.1'"}}}}


def test_fill_glue_formats_values_and_reads_other_pages():
    text = "acc {glue:text}`acc:.2%`, n {glue:text}`n:,`, v {glue:text}`other.md::k:s`, x {glue:text}`missing`"
    assert D.fill_glue(text, GLUE, "ch") == "acc 97.40%, n 693,962, v 1.9.1, x {glue:text}`missing`"


def test_plain_roles():
    assert D.plain_roles("see {doc}`04_code_examples` and {ref}`the data <sec-data>`") == \
        "see 04_code_examples and the data"


def test_readable_markdown_translates_and_simplifies():
    source = "\n".join([
        "(sec-x)=", "## 数据", "", "第一段 {glue:text}`acc:.1%`。", "- 条目", "",
        "| 甲 | 乙 |", "|---|---|", "| 丙 | {glue:text}`n:,` |", "",
        "```{literalinclude} ../code/dlbook/data.py", ":pyobject: load_mnist", "```",
        "```{glue:figure} fig", ":name: fig-x", "", "图注。", "```",
    ])
    translate = {"数据": "Data", "第一段 {glue:text}`acc:.1%`。": "First {glue:text}`acc:.1%`.",
                 "条目": "Item", "甲": "A", "乙": "B", "丙": "C", "图注。": "Caption."}
    lines = D.readable_markdown(source, translate, GLUE, "ch").splitlines()
    assert lines[:3] == ["## Data", "", "First 97.4%."]
    assert "- Item" in lines and "| A | B |" in lines and "| C | 693,962 |" in lines
    assert "*(source: `dlbook/data.py`)*" in lines and "*Caption.*" in lines
    assert not any(line.startswith(("(sec-", "```", ":")) for line in lines)


def test_reader_notebook_cleans_metadata_and_keeps_code():
    nb = {"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "dlbook_inputs": "x"},
                       "source_map": [1]},
          "cells": [{"cell_type": "markdown", "source": "# 标题", "metadata": {}},
                    {"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": []}],
          "nbformat": 4, "nbformat_minor": 5}
    out = D.reader_notebook(nb, {"标题": "Title"}, GLUE, "ch")
    assert out["metadata"] == {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    assert out["cells"][0]["source"] == "# Title" and out["cells"][1]["source"] == "print(1)"
    assert nb["cells"][0]["source"] == "# 标题", "the input notebook is not modified"
