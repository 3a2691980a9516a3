"""Saving edits of the Rasa project: validate, write the files, record an audit row."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, resolve_repo_path
from bot.storage.studio_schema import studio_audit
from bot.studio import validate
from bot.studio.overlap import nlu_examples, story_user_turns
from bot.studio.policies import LivePolicies, check_policies
from bot.studio.project import NotFound, ProjectStore, split_languages

MAX_AUTHOR = 100
_RETRIEVAL = frozenset({"faq"})  # retrieval intents: their examples are under faq/<key>

FAQ_NLU_FILE = "faq.yml"  # where a new FAQ key's examples go (data/nlu/)


class Exists(Exception):
    """The FAQ key (or other name) is taken."""


async def record(
    engine: AsyncEngine, *, author: str, kind: str, name: str, before: Any, after: Any
) -> int:
    """One audit row; its id."""
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(studio_audit).values(
                created_at=datetime.now(UTC),
                author=author[:MAX_AUTHOR],
                kind=kind,
                name=name[:200],
                before=before,
                after=after,
            )
        )
        return int(result.inserted_primary_key[0])


async def history(
    engine: AsyncEngine, *, kind: str | None = None, name: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = select(studio_audit).order_by(studio_audit.c.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(studio_audit.c.kind == kind)
    if name is not None:
        query = query.where(studio_audit.c.name == name)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        {**dict(row), "created_at": row["created_at"].isoformat().replace("+00:00", "Z")}
        for row in rows
    ]


@dataclass
class Editor:
    """The studio's edits of one Rasa project."""

    store: ProjectStore
    holdout: Path
    test_stories: Path
    policies: LivePolicies | None = None  # the shop policies (Editor.from_config sets them)
    timezone: str = "Asia/Shanghai"  # the shop's, for checking service hours
    extra_holdouts: tuple[Path, ...] = ()  # more held-out NLU files, refused like ``holdout``

    @classmethod
    def from_config(cls, cfg: Config) -> Editor:
        policies = LivePolicies.from_config(cfg)
        return cls(
            ProjectStore(resolve_repo_path(cfg.studio.project_dir), policies),
            resolve_repo_path(cfg.studio.holdout),
            resolve_repo_path(cfg.studio.test_stories),
            policies,
            cfg.shop.timezone,
            tuple(resolve_repo_path(path) for path in cfg.studio.extra_holdouts),
        )

    def held_out(self) -> list[str]:
        phrasings = [
            text
            for path in (self.holdout, *self.extra_holdouts)
            if path.exists()
            for _intent, text in nlu_examples(path)
        ]
        if self.test_stories.exists():
            phrasings += story_user_turns(self.test_stories)
        return phrasings

    # --- FAQ ---------------------------------------------------------------------------------
    async def faq(self) -> dict[str, dict[str, Any]]:
        return await asyncio.to_thread(self.store.faq)

    async def set_faq(
        self, engine: AsyncEngine, key: str, body: dict[str, Any], *, author: str
    ) -> dict[str, Any]:
        texts = validate.check_faq(key, body, self.store.values)
        before, after = await asyncio.to_thread(self.store.set_faq, key, texts)
        if before != after:
            await record(engine, author=author, kind="faq", name=key, before=before, after=after)
        return {"key": key, **(await self.faq())[key], "changed": before != after}

    # --- shop policies -----------------------------------------------------------------------
    def shop_policies(self) -> LivePolicies:
        if self.policies is None:
            raise RuntimeError("this editor was made without the shop policies (from_config)")
        return self.policies

    async def set_policies(
        self, engine: AsyncEngine, body: dict[str, Any], *, author: str
    ) -> dict[str, Any]:
        """Save policy values (validated), render the FAQ answers quoting them at once; the
        policies as :meth:`LivePolicies.describe` gives them and the FAQ keys re-rendered."""
        values = check_policies(body, self.timezone)
        policies = self.shop_policies()
        before, after = await asyncio.to_thread(policies.save, values)
        rendered = await asyncio.to_thread(self.store.render_faq)
        if before != after:
            changed = sorted(k for k in after if before.get(k) != after[k])
            await record(
                engine,
                author=author,
                kind="policy",
                name=",".join(changed)[:200],
                before={k: before.get(k) for k in changed},
                after={k: after[k] for k in changed},
            )
        return {
            **(await asyncio.to_thread(policies.describe)),
            "changed": before != after,
            "faq_rendered": rendered,
        }

    async def add_faq(
        self, engine: AsyncEngine, body: dict[str, Any], *, author: str
    ) -> dict[str, Any]:
        """A new FAQ key: its answers (``utter_faq/<key>``) and its examples (``faq/<key>``),
        validated like edits, audited; :class:`Exists` when the key is taken."""
        key = body.get("key")
        if isinstance(key, str) and key in await self.faq():
            raise Exists(key)
        key, texts, examples = validate.check_new_faq(
            body,
            self.store.values,
            other_intents=await asyncio.to_thread(self.store.all_examples),
            held_out=await asyncio.to_thread(self.held_out),
        )
        try:
            await asyncio.to_thread(self.store.add_faq, key, texts)
        except KeyError:
            raise Exists(key) from None
        _, saved = await asyncio.to_thread(
            self.store.set_nlu, f"faq/{key}", examples, new_in=FAQ_NLU_FILE
        )
        after = {**texts, "examples": saved}
        await record(engine, author=author, kind="faq", name=key, before=None, after=after)
        return {"key": key, **(await self.faq())[key], "examples": saved, "created": True}

    # --- NLU ---------------------------------------------------------------------------------
    async def intents(self) -> list[dict[str, Any]]:
        """Every intent of the domain and of the training data, with example counts by
        language (``faq/<key>`` for the FAQ questions)."""

        def listing() -> list[dict[str, Any]]:
            counts: dict[str, dict[str, int]] = {}
            for intent, example in self.store.all_examples():
                lang = "zh" if split_languages([example])["zh"] else "en"
                counts.setdefault(intent, {"zh": 0, "en": 0})[lang] += 1
            domain = self.store.domain().intents
            names = sorted(set(counts) | {i for i in domain if i not in _RETRIEVAL})
            return [
                {
                    "intent": name,
                    "examples": counts.get(name, {"zh": 0, "en": 0}),
                    "in_domain": name in domain or name.partition("/")[0] in domain,
                }
                for name in names
            ]

        return await asyncio.to_thread(listing)

    async def nlu(self, intent: str) -> dict[str, list[str]]:
        validate.check_intent_exists(intent, self.store.domain())
        found = await asyncio.to_thread(self.store.nlu, intent)
        return found if found is not None else {"zh": [], "en": []}

    async def set_nlu(
        self, engine: AsyncEngine, intent: str, body: dict[str, Any], *, author: str
    ) -> dict[str, Any]:
        validate.check_intent_exists(intent, self.store.domain())
        examples = validate.check_nlu(
            intent,
            body,
            other_intents=await asyncio.to_thread(self.store.all_examples),
            held_out=await asyncio.to_thread(self.held_out),
        )
        before, after = await asyncio.to_thread(self.store.set_nlu, intent, examples)
        if before != after:
            await record(engine, author=author, kind="nlu", name=intent, before=before, after=after)
        return {"intent": intent, "examples": after, "changed": before != after}

    async def add_examples(
        self, engine: AsyncEngine, intent: str, new: dict[str, list[str]], *, author: str
    ) -> dict[str, Any]:
        current = await self.nlu(intent)
        merged = {lang: [*current[lang], *new.get(lang, [])] for lang in ("zh", "en")}
        return await self.set_nlu(engine, intent, {"examples": merged}, author=author)

    # --- rules and stories -------------------------------------------------------------------
    async def step_names(self, kind: str) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.store.step_names, kind)

    async def steps(self, kind: str, name: str) -> dict[str, Any]:
        found = await asyncio.to_thread(self.store.steps, kind, name)
        if found is None:
            raise NotFound(name)
        return found

    async def set_steps(
        self, engine: AsyncEngine, kind: str, name: str, body: dict[str, Any], *, author: str
    ) -> dict[str, Any]:
        clean = validate.check_steps(kind, name, body, self.store.domain())
        before, after = await asyncio.to_thread(self.store.set_steps, kind, name, clean)
        changed = before is None or {k: v for k, v in before.items() if k != "file"} != {
            k: v for k, v in after.items() if k != "file"
        }
        if changed:
            await record(
                engine,
                author=author,
                kind=kind[:-1] if kind == "rules" else "story",
                name=name,
                before=before,
                after=after,
            )
        return {"name": name, **after, "created": before is None, "changed": changed}
