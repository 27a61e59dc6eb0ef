"""Sphinx extension: ``{glue}`` roles that keep working in translated paragraphs.

Sphinx translates a paragraph by parsing its msgstr again, in a fresh document that lacks
the notebook's glue data, so myst-nb's ``{glue}`` and ``{glue:text}`` roles would fail in
every non-source language. In such a fresh document these roles become references to the
current page's glue data (myst-nb's ``path::key`` form), resolved after parsing from the
glue cache myst-nb writes while it renders the page.
"""

from __future__ import annotations

from myst_nb.ext.glue.roles import PasteRoleAny, PasteTextRole


class _PageGlue:
    """Point a key without ``path::`` at the current page when the glue data is missing."""

    def run(self):
        if "nb_renderer" not in self.document and "::" not in self.text:
            env = self.document.settings.env
            self.text = f"/{env.doc2path(env.docname, False)}::{self.text}"
        return super().run()


class TranslatablePasteRoleAny(_PageGlue, PasteRoleAny):
    """``{glue}`` / ``{glue:any}``."""


class TranslatablePasteTextRole(_PageGlue, PasteTextRole):
    """``{glue:text}``."""


def setup(app):
    app.setup_extension("myst_nb")
    for name, role in (("", TranslatablePasteRoleAny), ("any", TranslatablePasteRoleAny),
                       ("text", TranslatablePasteTextRole)):
        app.add_role_to_domain("glue", name, role(), override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
