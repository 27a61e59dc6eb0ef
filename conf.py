"""Sphinx configuration of the book. Chinese (zh_CN) is the source language; the English
edition is built from locale/en/LC_MESSAGES/*.po with ``-D language=en``."""

import os
from pathlib import Path

# Executed cells import TensorFlow: keep its C++ start-up chatter out of the book's output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent

project = "Keras 与 MXNet"
author = "The dlbook authors"
copyright = "2026, the dlbook authors"

extensions = [
    "myst_nb",
    "dlbook.sphinx_bilingual",
    "dlbook.sphinx_nbdeps",
    "dlbook.sphinx_downloads",
    "sphinx.ext.mathjax",
    "sphinx_copybutton",
    "sphinx-mathjax-offline",  # MathJax served from _static/mathjax: no CDN
]

# Sources: the chapters live in book/ (sphinx-build -c . book <outdir>).
exclude_patterns = ["**/.ipynb_checkpoints"]

# Internationalisation: zh_CN is written, en is translated through gettext catalogs.
language = "zh_CN"
locale_dirs = [str(ROOT / "locale")]  # relative paths would be read from book/
gettext_compact = False
gettext_uuid = False
gettext_location = True
# The editions, source language first: each page links to itself in the other edition, and
# _build/html/index.html sends a visitor to the edition matching the browser's language.
bilingual_editions = [("zh_CN", "中文"), ("en", "English")]
bilingual_titles = {"zh_CN": "Keras 与 MXNet", "en": "Keras and MXNet"}

# MyST and notebook execution: every example runs at build time; an error fails the build.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
numfig = True
nb_execution_mode = "cache"
nb_execution_cache_path = str(ROOT / "_build" / ".jupyter_cache")
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 600
nb_merge_streams = True
nb_kernel_rgx_aliases = {".*": "python3"}
# Re-execute a page when the code/ files it runs, or the lock file, change (dlbook.sphinx_nbdeps).
nbdeps_extra_inputs = ["requirements.lock"]

templates_path = ["book/_templates"]
html_static_path = ["book/_static"]
html_css_files = ["bilingual.css"]
html_theme = "sphinx_book_theme"
html_context = {"default_mode": "auto"}  # light or dark, following the reader's system
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "article_header_end": ["article-tools.html", "article-header-buttons.html"],
}
# Chinese search: Sphinx segments words with jieba when it is installed (it is in the lock file).
html_last_updated_fmt = None
