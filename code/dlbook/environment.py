"""What the book runs on: the versions of the frameworks in this environment."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("numpy", "tensorflow", "keras", "mxnet", "jax", "torch")


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (``None`` where it is not installed), plus Python's."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def format_versions(found: dict[str, str | None]) -> str:
    """One line per package: name and version, or 'not installed'."""
    return "\n".join(f"{name:<11} {v or 'not installed'}" for name, v in found.items())
