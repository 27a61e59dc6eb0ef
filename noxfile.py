"""Every way in: build the book, run the tests, refresh the lock file.

All sessions but ``lock`` share one environment, ``.nox/book``, installed from
``requirements.lock`` and refreshed only when the lock file or ``pyproject.toml`` change:
TensorFlow, MXNet and the Sphinx stack are installed once, not once per session.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "none"
nox.options.sessions = ["tests"]

ROOT = Path(__file__).resolve().parent
ENV = ROOT / ".nox" / "book"
LOCK = ROOT / "requirements.lock"
BUILD = ROOT / "_build"
LANGUAGES = ("zh_CN", "en")
SPHINX_STRICT = ("-n", "-W", "--keep-going", "-T")


def _python311() -> str:
    """Path of a Python 3.11 interpreter (the one the lock file was made for)."""
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if not found:
        raise SystemExit("The book needs Python 3.11 (MXNet 1.9.1 and numpy 1.23.5); none found.")
    return found


def book_env(session: nox.Session) -> None:
    """Create or refresh the shared environment and put it first on the session's PATH."""
    bin_dir = ENV / "bin"
    stamp = ENV / "installed-from.sha256"
    wanted = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not (bin_dir / "python").exists():
        session.run(_python311(), "-m", "venv", str(ENV), external=True)
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        pip = (str(bin_dir / "python"), "-m", "pip")
        session.run(*pip, "install", "--quiet", "--upgrade", "pip", external=True)
        session.run(*pip, "install", "--quiet", "--require-hashes", "-r", str(LOCK), external=True)
        session.run(*pip, "install", "--quiet", "--no-deps", "-e", str(ROOT),
                    external=True)
        stamp.write_text(wanted + "\n")
    session.env["VIRTUAL_ENV"] = str(ENV)
    session.env["PATH"] = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])


def build_html(session: nox.Session, language: str, *extra: str) -> None:
    """One edition of the book into _build/html/<language>/."""
    session.run(
        str(ENV / "bin" / "sphinx-build"), "-b", "html", *SPHINX_STRICT, "-D", f"language={language}",
        "-c", str(ROOT), "-d", str(BUILD / "doctrees" / language),
        str(ROOT / "book"), str(BUILD / "html" / language),
        *extra, external=True,
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Build the book in both languages: _build/html/zh_CN/ and _build/html/en/."""
    book_env(session)
    for language in LANGUAGES:
        build_html(session, language, *session.posargs)
    session.log(f"Open {BUILD / 'html' / 'zh_CN' / 'index.html'} or {BUILD / 'html' / 'en' / 'index.html'}")


@nox.session
def tests(session: nox.Session) -> None:
    """Check the translation, then run every test, the book build included (-m 'not slow' skips it)."""
    book_env(session)
    check_translation(session)
    session.run(str(ENV / "bin" / "python"), "-m", "pytest", *session.posargs, external=True)


def build_templates(session: nox.Session, outdir: Path) -> None:
    """Extract the message templates (.pot) of every chapter into a fresh ``outdir``.

    The build executes the notebooks (through the cache): captions of glued figures exist only
    in an executed page.
    """
    shutil.rmtree(outdir, ignore_errors=True)  # the gettext builder never deletes orphans
    session.run(
        str(ENV / "bin" / "sphinx-build"), "-b", "gettext", *SPHINX_STRICT, "-c", str(ROOT),
        "-d", str(BUILD / "doctrees" / "gettext"), str(ROOT / "book"), str(outdir), "-q",
        external=True,
    )


def check_translation(session: nox.Session) -> None:
    """Fail unless every English catalog is complete and in step with the Chinese source."""
    templates = BUILD / "gettext-status"
    build_templates(session, templates)
    session.run(
        str(ENV / "bin" / "python"), "-m", "dlbook.translation", "--templates", str(templates),
        "--catalogs", str(ROOT / "locale" / "en" / "LC_MESSAGES"), external=True,
    )


@nox.session
def translate(session: nox.Session) -> None:
    """Refresh the English catalogs from the Chinese sources, keeping existing translations."""
    book_env(session)
    templates = BUILD / "gettext"
    build_templates(session, templates)
    session.run(
        str(ENV / "bin" / "sphinx-intl"), "update", "-p", str(templates), "-l", "en",
        "-d", str(ROOT / "locale"), "-w", "0", external=True,
    )
    catalogs = ROOT / "locale" / "en" / "LC_MESSAGES"
    chapters = {pot.stem for pot in templates.glob("*.pot")}
    for orphan in sorted(po for po in catalogs.glob("*.po") if po.stem not in chapters):
        session.log(f"{orphan.name} belongs to no chapter any more: delete it (git rm) once you are sure")
    session.log("Translate the new and fuzzy messages, then run `nox -s translation-status`.")


@nox.session(name="translation-status")
def translation_status(session: nox.Session) -> None:
    """Per-catalog table of the English edition; fails if anything is fuzzy, untranslated or stale."""
    book_env(session)
    check_translation(session)


@nox.session
def serve(session: nox.Session) -> None:
    """Live preview for authors: rebuilds on save (nox -s serve -- en for the English edition)."""
    book_env(session)
    language = session.posargs[0] if session.posargs else "zh_CN"
    session.run(
        str(ENV / "bin" / "sphinx-autobuild"), "-b", "html", "-n", "--keep-going", "-D", f"language={language}",
        "-c", str(ROOT), "-d", str(BUILD / "doctrees" / language), "--watch", str(ROOT / "code"),
        "--watch", str(ROOT / "locale"), "--watch", str(ROOT / "conf.py"), "--host", "127.0.0.1",
        "--port", "8000", str(ROOT / "book"), str(BUILD / "html" / language), external=True,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Training throughput against faster configurations, and build times: _build/bench/."""
    book_env(session)
    session.run(str(ENV / "bin" / "python"), "-m", "dlbook.bench", "--out", str(BUILD / "bench"),
                "--root", str(ROOT), *session.posargs, external=True, env={"TF_CPP_MIN_LOG_LEVEL": "3"})


@nox.session(venv_backend="virtualenv", python=False)
def lock(session: nox.Session) -> None:
    """Re-resolve requirements.lock from pyproject.toml (needs the package index)."""
    session.install("uv")
    session.run(
        "uv", "pip", "compile", "pyproject.toml", "--group", "docs", "--group", "backends",
        "--group", "test", "--find-links", "/opt/wheels",
        "--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28",
        "--generate-hashes", "--upgrade", "--output-file", str(LOCK), *session.posargs,
    )
