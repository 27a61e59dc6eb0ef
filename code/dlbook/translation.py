"""Translation status of a book edition: per-catalog counts, and drift from the source text.

A catalog (``locale/<lang>/LC_MESSAGES/<chapter>.po``) is in step with the source when it has
no fuzzy and no untranslated message and holds exactly the messages of the template
(``<chapter>.pot``) that Sphinx's gettext builder extracts from the chapter now. If the
templates hold messages a catalog lacks, or the other way round, the source changed and the
catalog did not follow (``nox -s translate`` would change it): the catalog is *stale*.

Usage: ``python -m dlbook.translation --templates _build/gettext --catalogs locale/en/LC_MESSAGES``
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po


@dataclass
class CatalogStatus:
    """Counts for one catalog, and what is wrong with it (empty when nothing is)."""

    name: str
    translated: int = 0
    fuzzy: int = 0
    untranslated: int = 0
    obsolete: int = 0
    problems: list[str] = field(default_factory=list)


def read_catalog(path: Path):
    with open(path, "rb") as f:
        return read_po(f, abort_invalid=True)


def message_keys(catalog) -> set[tuple[str | None, str]]:
    """(context, id) of every live message, the header left out."""
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def catalog_status(name: str, po: Path | None, pot: Path | None) -> CatalogStatus:
    """Count the messages of ``po`` and compare them with the template ``pot``."""
    status = CatalogStatus(name)
    if po is None:
        status.problems.append("missing catalog: run `nox -s translate`")
        status.untranslated = len(message_keys(read_catalog(pot)))
        return status
    catalog = read_catalog(po)
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            status.fuzzy += 1
        elif message.string and all(message.string if isinstance(message.string, tuple) else [message.string]):
            status.translated += 1
        else:
            status.untranslated += 1
    status.obsolete = len(catalog.obsolete)
    if pot is None:
        status.problems.append("orphan catalog: its chapter no longer exists")
    else:
        have, want = message_keys(catalog), message_keys(read_catalog(pot))
        if have != want:
            status.problems.append(
                f"stale: {len(want - have)} new and {len(have - want)} removed source messages; "
                "run `nox -s translate`"
            )
    if status.fuzzy:
        status.problems.append(f"{status.fuzzy} fuzzy")
    if status.untranslated:
        status.problems.append(f"{status.untranslated} untranslated")
    return status


def collect(templates: Path, catalogs: Path) -> list[CatalogStatus]:
    """Status of every catalog and every template, matched by relative path."""
    pots = {p.relative_to(templates).with_suffix("").as_posix(): p for p in templates.rglob("*.pot")}
    pos = {p.relative_to(catalogs).with_suffix("").as_posix(): p for p in catalogs.rglob("*.po")}
    if not pots:
        raise SystemExit(f"{templates}: no .pot templates; build them with Sphinx's gettext builder")
    return [catalog_status(name, pos.get(name), pots.get(name)) for name in sorted(pots | pos)]


def format_table(rows: list[CatalogStatus]) -> str:
    """A fixed-width table: one line per catalog, then a total."""
    width = max(len("catalog"), *(len(r.name) for r in rows))
    lines = [f"{'catalog':<{width}}  translated  fuzzy  untranslated  obsolete  status"]
    for r in rows:
        state = "; ".join(r.problems) or "ok"
        lines.append(f"{r.name:<{width}}  {r.translated:>10}  {r.fuzzy:>5}  {r.untranslated:>12}  {r.obsolete:>8}  {state}")
    total = [sum(getattr(r, k) for r in rows) for k in ("translated", "fuzzy", "untranslated", "obsolete")]
    lines.append(f"{'total':<{width}}  {total[0]:>10}  {total[1]:>5}  {total[2]:>12}  {total[3]:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Report the translation status of an edition.")
    parser.add_argument("--templates", type=Path, required=True, help="folder of .pot files")
    parser.add_argument("--catalogs", type=Path, required=True, help="folder of .po files")
    args = parser.parse_args(argv)
    rows = collect(args.templates, args.catalogs)
    print(format_table(rows))
    behind = [r.name for r in rows if r.problems]
    if behind:
        print(f"\nThe translation is not in step with the source in: {', '.join(behind)}")
        return 1
    print("\nEvery catalog is complete and in step with the source.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
