"""The layer rules of the code base, as import contracts checked on the source (see
docs/architecture.md).

Each module belongs to the layer of the longest prefix in :data:`LAYERS`. A module may import
modules of its own layer or of lower layers, never of a higher one; siblings listed in
:data:`INDEPENDENT` may not import each other. Imports inside functions count too, and so do
imports guarded by ``TYPE_CHECKING``: a layer rule is about what a module knows of. The entry
points (the top layer) are composition roots and may import anything.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "adapters")

# Lowest first. The composition roots (entry points) sit on top and may import anything.
LAYERS: tuple[tuple[str, ...], ...] = (
    # texts, languages, configuration, button payloads: no project imports below them
    # and the stamp every report carries
    (
        "bot.config",
        "bot.config_sections",
        "bot.payloads",
        "bot.i18n",
        "bot.report_stamp",
        "bot.progress",
    ),
    # entities in text and personal-data redaction (rules and blank spaCy pipelines; the log
    # format and every layer above use them)
    ("bot.entities",),
    # tables and engines
    ("bot.storage",),
    # metrics and log format (read the database at scrape time; used by every process)
    ("bot.observability",),
    # trained models: sentiment, the recommender, the insight models
    ("bot.sentiment", "bot.recsys", "bot.insight"),
    # the domain: orders, catalog, after-sales, tickets, complaints; the handoff rules
    ("bot.services", "bot.handoff.rules"),
    # the demo shop's seeder and the catalog importer (tools over the domain); the admin
    # studio's project store, deploy gate and accounts; the large-model assist (client, facts
    # index over the FAQ answers and the catalog, guard)
    ("bot.shop", "bot.studio", "bot.llm"),
    # the gateway's message pipeline and the Rasa custom actions (two processes)
    ("bot.core", "bot.actions"),
    # handing a conversation to staff
    ("bot.handoff",),
    # the channels
    ("adapters",),
    # the admin API, mounted by the gateway
    ("bot.admin",),
    # the gateway's web application
    ("bot.gateway",),
    # entry points: they compose everything
    (
        "bot.__main__",
        "bot.cli",
        "bot.launcher",
        "bot.launcher_scale",
        "bot.bench",
        "bot.bench_recsys",
        "bot.eval_nlu",
        "bot.eval_entities",
        "bot.eval_clinc",
        "bot.nlu_holdout",
        "bot.reports",
        "bot.report_records",
        "bot.gateway.__main__",
    ),
)

# Pairs of packages that must not import each other in either direction.
INDEPENDENT: tuple[tuple[str, str], ...] = (
    # the action server and the gateway's pipeline are different processes
    ("bot.actions", "bot.core"),
    # the gateway is given its channels by its entry point (a composition root)
    ("bot.gateway", "adapters"),
    ("bot.admin", "adapters"),
    # each channel stands alone
    ("adapters.web", "adapters.telegram"),
    ("adapters.web", "adapters.slack"),
    ("adapters.web", "adapters.wechat"),
    ("adapters.telegram", "adapters.slack"),
    ("adapters.telegram", "adapters.wechat"),
    ("adapters.slack", "adapters.wechat"),
)


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if _matches(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports(root: Path) -> list[Edge]:
    edges: list[Edge] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            importer = module_name(path, root)
            is_package = path.name == "__init__.py"
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                targets: list[str] = []
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    if node.level:  # relative: resolve against the importer's package
                        base = importer.split(".")
                        drop = node.level - (1 if is_package else 0)
                        base = base[: len(base) - drop] if drop else base
                        module = ".".join(base + ([node.module] if node.module else []))
                    else:
                        module = node.module or ""
                    # `from bot.core import pipeline` names a submodule, `from bot.core.pipeline
                    # import Pipeline` an attribute: _known() walks up to the module either way.
                    targets = [f"{module}.{alias.name}" for alias in node.names]
                for target in targets:
                    if target.split(".")[0] in PACKAGES:
                        edges.append(Edge(importer, target, node.lineno))
    return edges


def _known(target: str, modules: set[str]) -> str | None:
    """The project module a dotted import target names (it may end in an attribute)."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def violations(root: Path = ROOT) -> list[str]:
    modules = {module_name(p, root) for package in PACKAGES for p in (root / package).rglob("*.py")}
    found: set[str] = set()
    for edge in project_imports(root):
        imported = _known(edge.imported, modules)
        if imported is None or imported == edge.importer:
            continue
        low, high = layer_of(imported), layer_of(edge.importer)
        if high is None:
            found.add(f"{edge.importer} belongs to no layer")
        elif low is None:
            found.add(f"{imported} belongs to no layer")
        elif low > high:
            found.add(f"upward: {edge.importer}:{edge.line} imports {imported}")
        if high == len(LAYERS) - 1:
            continue  # composition roots wire everything together
        for a, b in INDEPENDENT:
            for x, y in ((a, b), (b, a)):
                if _matches(edge.importer, x) and _matches(imported, y):
                    found.add(f"independent: {edge.importer}:{edge.line} imports {imported}")
    return sorted(found)


def test_every_module_has_a_layer_and_no_import_runs_up_or_across() -> None:
    assert violations() == []


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    for name, source in {
        "bot/__init__.py": "",
        "bot/config.py": "",
        "bot/storage/__init__.py": "",
        "bot/storage/db.py": "from bot.services import orders\n",
        "bot/services/__init__.py": "",
        "bot/services/orders.py": "from ..storage import db\n",
        "bot/actions/__init__.py": "",
        "bot/actions/x.py": "def f():\n    from bot.core import pipeline\n",
        "bot/core/__init__.py": "",
        "bot/core/pipeline.py": "import bot.config\n",
        "adapters/__init__.py": "",
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    assert violations(tmp_path) == [
        "independent: bot.actions.x:2 imports bot.core.pipeline",
        "upward: bot.storage.db:1 imports bot.services.orders",
    ]


if __name__ == "__main__":  # a report of the current violations
    found = violations(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
    print("\n".join(found))
    print(f"{len(found)} violations")
