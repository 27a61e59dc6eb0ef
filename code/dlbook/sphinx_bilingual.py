"""Sphinx extension for a book published in several languages side by side.

The editions live in sibling folders (``_build/html/zh_CN/``, ``_build/html/en/``). This
extension

* gives every page a language switcher that leads to the same page in each other edition
  (template ``language-switcher.html``, fed by ``html-page-context``);
* writes ``index.html`` next to the edition folders, which sends a visitor to the edition
  matching the browser's preferred languages;
* keeps ``{glue}`` roles working in translated paragraphs: Sphinx translates a paragraph by
  parsing its msgstr again in a fresh document that lacks the notebook's glue data, so there
  the roles become references to the current page's glue cache (myst-nb's ``path::key``).

* sets the book's title per edition, since ``conf.py`` cannot see ``-D language=...``.

Configuration: ``bilingual_editions``, a list of ``(language code, label)`` pairs, the source
language first; ``bilingual_titles``, a dict from language code to the book's title.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from myst_nb.ext.glue.roles import PasteRoleAny, PasteTextRole
from sphinx.search.zh import SearchChinese


class SearchChineseWithStemmer(SearchChinese):
    """Chinese search whose JavaScript names a stemmer that exists.

    Sphinx (9.0) ships English's stemmer for the Latin words of a Chinese page but writes
    ``window.Stemmer = ChineseStemmer`` into language_data.js, which fails in the browser
    ("ChineseStemmer is not defined") and breaks search. The stemmer it loads is English's.
    """

    language_name = "English"


class _PageGlue:
    """Point a key without ``path::`` at the current page when the glue data is missing."""

    default_format = ""

    def run(self):
        if "nb_renderer" not in self.document and "::" not in self.text:
            env = self.document.settings.env
            text = self.text if ":" in self.text else self.text + self.default_format
            self.text = f"/{env.doc2path(env.docname, False)}::{text}"
        return super().run()


class TranslatablePasteRoleAny(_PageGlue, PasteRoleAny):
    """``{glue}`` / ``{glue:any}``."""


class TranslatablePasteTextRole(_PageGlue, PasteTextRole):
    """``{glue:text}``; in ``path::key`` form the format must be explicit (``s`` is the default)."""

    default_format = ":s"


def edition_links(editions, current: str, pagename: str, target_uri: str) -> list[dict]:
    """For each edition: its code, label, whether it is the current one, and a relative link."""
    up = "../" * pagename.count("/")
    return [
        {"code": code, "label": label, "current": code == current,
         "href": f"{up}../{code}/{target_uri}"}
        for code, label in editions
    ]


def redirect_page(editions) -> str:
    """A root index.html that picks the edition from navigator.languages (first is the default)."""
    codes = [code for code, _ in editions]
    links = "\n".join(
        f'    <li><a href="{code}/index.html" hreflang="{code.replace("_", "-")}">{html.escape(label)}</a></li>'
        for code, label in editions
    )
    return f"""<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>Keras &amp; MXNet</title>
  <script>
    (function () {{
      var editions = {json.dumps(codes)};
      var wanted = navigator.languages || [navigator.language || ""];
      var pick = editions[0];
      outer: for (var i = 0; i < wanted.length; i++) {{
        var lang = (wanted[i] || "").toLowerCase().replace("_", "-");
        for (var j = 0; j < editions.length; j++) {{
          var code = editions[j].toLowerCase().replace("_", "-");
          if (lang === code || lang.split("-")[0] === code.split("-")[0]) {{ pick = editions[j]; break outer; }}
        }}
      }}
      window.location.replace(pick + "/index.html" + window.location.hash);
    }})();
  </script>
</head>
<body>
  <ul>
{links}
  </ul>
</body>
</html>
"""


def add_switcher_context(app, pagename, templatename, context, doctree):
    """Expose the edition links to the language-switcher template."""
    context["bilingual_editions"] = edition_links(
        app.config.bilingual_editions, app.config.language, pagename,
        app.builder.get_target_uri(pagename),
    )


def write_redirect(app, exception):
    """After an HTML build, write the language-picking index.html beside the edition folders."""
    if exception is None and app.builder.format == "html":
        Path(app.outdir).parent.joinpath("index.html").write_text(
            redirect_page(app.config.bilingual_editions), encoding="utf-8")


def set_title(app, config):
    """Use the edition's own title for ``project`` and ``html_title``."""
    title = config.bilingual_titles.get(config.language)
    if title:
        config.project = config.html_title = title


def setup(app):
    app.setup_extension("myst_nb")
    app.add_config_value("bilingual_editions", [], "html")
    app.add_config_value("bilingual_titles", {}, "env")
    app.connect("config-inited", set_title)
    app.add_search_language(SearchChineseWithStemmer)
    for name, role in (("", TranslatablePasteRoleAny), ("any", TranslatablePasteRoleAny),
                       ("text", TranslatablePasteTextRole)):
        app.add_role_to_domain("glue", name, role(), override=True)
    app.connect("html-page-context", add_switcher_context)
    app.connect("build-finished", write_redirect)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
