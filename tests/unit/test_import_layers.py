"""The house reads one way (issue 20, ADR 0020): pages, the API, accounts and the audit team's
pages stand on dashboards, aggregation and the submission services, which stand on the data
model, which stands on constants alone. Every import of every module is read (including those
inside functions), and an arrow pointing up fails the test, naming the module and the line."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("constants", "npda", "boundaries", "aggregation", "dashboards")
PAGES = ("npda.pages", "npda.api", "npda.accounts", "npda.audit_team", "npda.workspace",
         "npda.urls", "npda.settings", "npda.wsgi")  # fmt: skip
SERVICES = ("npda.submissions", "npda.synthetic")

# What each floor may not import (a module's own floor and those below it are allowed).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "constants": ("npda", "boundaries", "aggregation", "dashboards"),
    "npda.data_model": ("boundaries", "aggregation", "dashboards", *SERVICES, *PAGES),
    "boundaries": ("aggregation", "dashboards", *SERVICES, *PAGES),
    "aggregation": ("dashboards", *SERVICES, *PAGES),
    "npda.submissions": ("dashboards", "npda.synthetic", *PAGES),
    "npda.synthetic": ("dashboards", *PAGES),
    "dashboards": (*SERVICES, *PAGES),
}
# A package's own pages (a `views` module or package, its `urls`, `admin`) sit on the top
# floor, whatever the package.
PAGE_MODULES = ("views", "urls", "admin")


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found.append((name, path))
    return found


def imported(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module `path` imports, absolute, with its line (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def floor(name: str) -> str | None:
    if any(part in PAGE_MODULES for part in name.split(".")[1:]):
        return None  # a page: it may stand on anything
    matches = [f for f in FORBIDDEN if name == f or name.startswith(f + ".")]
    return max(matches, key=len) if matches else None


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def upward_arrows() -> list[str]:
    arrows = []
    for name, path in modules():
        own = floor(name)
        if own is None:
            continue
        for target, line in imported(name, path):
            if any(_within(target, banned) for banned in FORBIDDEN[own]):
                arrows.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    return sorted(set(arrows))


def test_no_module_imports_a_floor_above_its_own():
    assert upward_arrows() == []


def test_the_rule_sees_an_arrow_up(tmp_path, monkeypatch):
    """A data-model module importing a page is caught (the test can fail)."""
    package = tmp_path / "npda" / "data_model"
    package.mkdir(parents=True)
    (package / "bad.py").write_text("from npda.pages import views\n\ndef f():\n"
                                    "    import dashboards.map_data\n")  # fmt: skip
    for name in ("constants", "boundaries", "aggregation", "dashboards"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert upward_arrows() == [
        "npda/data_model/bad.py:1 imports npda.pages",
        "npda/data_model/bad.py:1 imports npda.pages.views",
        "npda/data_model/bad.py:4 imports dashboards.map_data",
    ]


@pytest.mark.parametrize("package", ["accounts", "submissions", "pages", "audit_team", "api"])
def test_each_part_of_the_site_has_its_own_urls(package):
    assert (ROOT / "npda" / package / "urls.py").is_file()
