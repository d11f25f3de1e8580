"""The house's arrows, checked on the source: faces -> wings -> core, never wing -> wing.

- `mailer/inbound/` and `mailer/outbound/` never import each other, the CLI, `service.py` or
  `mailer/app/`; core modules (`mailer/*.py`) import none of them.
- Each outside protocol or storage library has one importer (tinydb: store.py, smtplib: send.py...).
- A module whose docstring says `[pure]` does no IO: no files, sockets, processes or clock.
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

MAILER = Path(__file__).resolve().parent.parent / "mailer"


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def pure(self) -> bool:
        return "[pure]" in (ast.get_docstring(self.tree) or "")


@cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(MAILER.rglob("*.py")):
        parts = list(path.relative_to(MAILER.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def imports(module: Module) -> set[str]:
    """Every module it imports, anywhere in the file (lazy imports inside functions count)."""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            # `from . import answers` imports a module, not a name
            names.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules())
    return names


def layer(name: str) -> str:
    for prefix, what in (("mailer.inbound", "inbound"), ("mailer.outbound", "outbound"), ("mailer.cli", "cli"),
                         ("mailer.app", "app"), ("mailer.service", "app"), ("mailer.__main__", "cli")):
        if name == prefix or name.startswith(prefix + "."):
            return what
    return "core"


# who may import whom: the faces (cli, then service/app) sit over the two wings, over the core
MAY_IMPORT = {
    "core": {"core"},
    "inbound": {"core", "inbound"},
    "outbound": {"core", "outbound"},
    "app": {"core", "inbound", "outbound", "app"},
    "cli": {"core", "inbound", "outbound", "app", "cli"},
}


def test_the_wings_never_import_each_other_and_the_core_imports_neither() -> None:
    wrong = sorted(f"{m.name} ({layer(m.name)}) imports {target} ({layer(target)})"
                   for m in modules().values() for target in imports(m)
                   if target.startswith("mailer") and layer(target) not in MAY_IMPORT[layer(m.name)])
    assert wrong == []


# an outside library with IO of its own has one importer: the edge that owns that IO
OWNERS = {
    "tinydb": {"mailer.store.database"},
    "smtplib": {"mailer.outbound.send"},
    "imaplib": {"mailer.inbound.sources.imap"},
    "imap_tools": {"mailer.inbound.sources.imap"},
    "aiosmtpd": {"mailer.capture.devsmtp"},
}


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_one_importer_per_io_library(library: str) -> None:
    users = {m.name for m in modules().values()
             if any(t == library or t.startswith(library + ".") for t in imports(m))}
    assert users <= OWNERS[library]


# modules that must stay pure: the reading of a message, the decision, the audience and the rendering
MUST_BE_PURE = ("mailer.inbound.mime.*", "mailer.inbound.understand.*", "mailer.inbound.decide", "mailer.inbound.effects",
                "mailer.outbound.campaigns", "mailer.outbound.render*", "mailer.outbound.encoding",
                "mailer.outbound.identity", "mailer.htmltext", "mailer.models")


def test_the_reading_deciding_and_rendering_modules_are_marked_pure() -> None:
    expected = {name for name in modules() for pattern in MUST_BE_PURE if fnmatch.fnmatchcase(name, pattern)
                if not name.endswith("__init__") and modules()[name].tree.body}
    assert {name for name in expected if not modules()[name].pure} == set()


IO_MODULES = {"os", "socket", "subprocess", "shutil", "tempfile", "smtplib", "imaplib", "ssl", "threading",
              "multiprocessing", "mailer.store.database", "mailer.store.applog", "mailer.store.privatefiles",
              "filelock", "time"}
IO_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "open", "stat", "exists", "is_file",
              "is_dir", "iterdir", "glob", "rglob", "mkdir", "unlink", "touch"}
CLOCKS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("datetime", "today"),
          ("time", "time"), ("time", "monotonic")}


def io_in(module: Module) -> list[str]:
    found = [f"imports {t}" for t in imports(module) if t in IO_MODULES or t.split(".")[0] in IO_MODULES]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
            found.append(f"line {node.lineno}: open()")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in IO_METHODS \
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id in ("re", "str")):
            found.append(f"line {node.lineno}: .{node.func.attr}()")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and (node.value.id, node.attr) in CLOCKS:
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("name", sorted(n for n, m in modules().items() if m.pure))
def test_a_pure_module_does_no_io(name: str) -> None:
    assert io_in(modules()[name]) == []


def test_the_io_check_sees_files_clocks_and_lazy_imports() -> None:
    """The check above would pass on anything if it saw nothing: show it what IO looks like."""
    source = '"""[pure]"""\nfrom datetime import date\ndef f(p):\n    import socket\n    d = date.today\n' \
             '    return p.read_bytes(), open(p)\n'
    module = Module("mailer.example", MAILER / "example.py", ast.parse(source))
    assert io_in(module) == ["imports socket", "line 5: date.today", "line 6: .read_bytes()", "line 6: open()"]
