"""``python -m bot studio ...`` and ``python -m bot admin ...``: the studio for scripts.

- ``studio faq list`` / ``studio faq set KEY --zh TEXT --en TEXT``
- ``studio nlu add INTENT [--zh EXAMPLE]... [--en EXAMPLE]...``
- ``studio policies list`` / ``studio policies set NAME=VALUE...`` (return_days=10, ...): the
  shop policies the FAQ answers quote, saved into the overlay over config.yml
- ``studio faq add KEY --zh TEXT --en TEXT --zh-example ... --en-example ...``: a new FAQ key
- ``studio review list [--status open] [--kind KIND] [--limit N]``,
  ``studio review label ID INTENT`` (``out_of_scope`` too), ``studio review accept ID`` (a
  paraphrase, into its intent), ``studio review dismiss ID``
- ``studio paraphrase --intent INTENT [--count N] [--lang zh|en]`` or ``studio paraphrase
  --few-shot [--threshold N]``: the large model proposes phrasings, queued as ``paraphrase``
  review items (accepted with ``studio review accept ID``); needs ``llm.base_url``
- ``studio render-faq``: render the FAQ answers' placeholders from config.yml (``make train``)
- ``studio train [--no-activate]``: queue one training job behind the deploy gate and wait for
  it (this process's job worker runs it unless a gateway's claims it first)
- ``studio rollback`` / ``studio status``
- ``admin add-user NAME --role editor|reviewer|owner`` (password from a prompt or stdin)

Edits and jobs are validated, audited and gated exactly as through the admin API.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, load_config
from bot.llm.client import llm_client
from bot.services import review
from bot.storage.db import create_engine, create_schema
from bot.studio import accounts, paraphrase
from bot.studio.deploy import Busy, Deployer
from bot.studio.editing import Editor, Exists
from bot.studio.model_versions import NoPrevious
from bot.studio.policies import RANGES
from bot.studio.project import NotFound
from bot.studio.review import ReviewError, decide
from bot.studio.validate import Invalid

T = TypeVar("T")


class StudioCommandError(ValueError):
    """A studio command failed in a way the user can fix."""


def _config(args: argparse.Namespace) -> Config:
    return load_config(path=args.config)


def _author(args: argparse.Namespace) -> str:
    return str(args.author or f"cli:{os.environ.get('USER', 'unknown')}")


def _with_engine(cfg: Config, work: Callable[[AsyncEngine], Coroutine[Any, Any, T]]) -> T:
    async def runner() -> T:
        engine = create_engine(cfg.database.url)
        try:
            await create_schema(engine)
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _problems(exc: Invalid) -> StudioCommandError:
    return StudioCommandError(
        "nothing was saved:\n" + "\n".join(f"  {p.field}: {p.error}" for p in exc.problems)
    )


# --- studio ---------------------------------------------------------------------------------
def add_studio(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "studio", help="edit FAQ answers and examples, train behind the deploy gate, roll back"
    )
    parser.add_argument("--author", default=None, help="name in the audit log (default cli:$USER)")
    sub = parser.add_subparsers(dest="studio_command", metavar="STUDIO_COMMAND", required=True)
    faq = sub.add_parser("faq", help="FAQ answers").add_subparsers(
        dest="faq_command", required=True
    )
    faq.add_parser("list", help="every answer in zh and en").set_defaults(handler=_faq_list)
    faq_set = faq.add_parser("set", help="save one answer (both languages)")
    faq_set.add_argument("key")
    faq_set.add_argument("--zh", required=True)
    faq_set.add_argument("--en", required=True)
    faq_set.set_defaults(handler=_faq_set)
    faq_add = faq.add_parser("add", help="a new FAQ key: answers and examples in both languages")
    faq_add.add_argument("key")
    faq_add.add_argument("--zh", required=True, help="the answer in Chinese")
    faq_add.add_argument("--en", required=True, help="the answer in English")
    faq_add.add_argument("--zh-example", action="append", default=[], help="repeat, 2 or more")
    faq_add.add_argument("--en-example", action="append", default=[], help="repeat, 2 or more")
    faq_add.set_defaults(handler=_faq_add)
    rev = sub.add_parser("review", help="the review queue of failed turns").add_subparsers(
        dest="review_command", required=True
    )
    rev_list = rev.add_parser("list", help="items, the most frequent first")
    rev_list.add_argument("--status", choices=review.STATUSES, default="open")
    rev_list.add_argument("--kind", choices=review.KINDS, default=None)
    rev_list.add_argument("--limit", type=int, default=50)
    rev_list.set_defaults(handler=_review_list)
    rev_label = rev.add_parser("label", help="add the item's text to an intent's examples")
    rev_label.add_argument("id", type=int)
    rev_label.add_argument("intent", help="an intent, faq/<key>, or out_of_scope")
    rev_label.set_defaults(handler=_review_label)
    rev_accept = rev.add_parser("accept", help="add a paraphrase item to the intent it is for")
    rev_accept.add_argument("id", type=int)
    rev_accept.set_defaults(handler=_review_accept)
    rev_dismiss = rev.add_parser("dismiss", help="close an item without training on it")
    rev_dismiss.add_argument("id", type=int)
    rev_dismiss.set_defaults(handler=_review_dismiss)
    nlu = sub.add_parser("nlu", help="training examples").add_subparsers(
        dest="nlu_command", required=True
    )
    nlu_add = nlu.add_parser("add", help="add examples to an intent")
    nlu_add.add_argument("intent")
    nlu_add.add_argument("--zh", action="append", default=[], help="a Chinese example (repeat)")
    nlu_add.add_argument("--en", action="append", default=[], help="an English example (repeat)")
    nlu_add.set_defaults(handler=_nlu_add)
    policies = sub.add_parser(
        "policies", help="shop policies the FAQ answers quote"
    ).add_subparsers(dest="policies_command", required=True)
    policies.add_parser("list", help="every policy and its value").set_defaults(
        handler=_policies_list
    )
    policies_set = policies.add_parser("set", help="save policies (over config.yml)")
    policies_set.add_argument("values", nargs="+", metavar="NAME=VALUE")
    policies_set.set_defaults(handler=_policies_set)
    para = sub.add_parser(
        "paraphrase", help="the large model proposes phrasings of few-shot intents, for review"
    )
    which = para.add_mutually_exclusive_group(required=True)
    which.add_argument("--intent", help="the intent to propose phrasings for")
    which.add_argument(
        "--few-shot", action="store_true", help="every intent with few examples in a language"
    )
    para.add_argument("--count", type=int, default=5, help="candidates per language (1-20)")
    para.add_argument("--lang", choices=paraphrase.LANGS, default=None, help="one language only")
    para.add_argument(
        "--threshold",
        type=int,
        default=paraphrase.FEW_SHOT,
        help="--few-shot: fewer examples than this in a language",
    )
    para.set_defaults(handler=_paraphrase)
    sub.add_parser(
        "render-faq", help="render the FAQ answers' {placeholders} from config into the domain"
    ).set_defaults(handler=_render_faq)
    train = sub.add_parser("train", help="validate, train, evaluate, gate and activate a model")
    train.add_argument("--no-activate", action="store_true", help="train and gate only")
    train.set_defaults(handler=_train)
    sub.add_parser("rollback", help="hot-swap back to the previous good version").set_defaults(
        handler=_rollback
    )
    sub.add_parser("status", help="the active version, versions and recent jobs").set_defaults(
        handler=_status
    )


def _faq_list(args: argparse.Namespace) -> int:
    _print(asyncio.run(Editor.from_config(_config(args)).faq()))
    return 0


def _faq_set(args: argparse.Namespace) -> int:
    cfg = _config(args)
    editor = Editor.from_config(cfg)
    body = {"zh": args.zh, "en": args.en}
    try:
        saved = _with_engine(
            cfg, lambda engine: editor.set_faq(engine, args.key, body, author=_author(args))
        )
    except Invalid as exc:
        raise _problems(exc) from None
    except NotFound:
        raise StudioCommandError(f"there is no FAQ answer {args.key!r}") from None
    print(f"Saved {args.key}{'' if saved['changed'] else ' (unchanged)'}; train to make it live.")
    return 0


def _faq_add(args: argparse.Namespace) -> int:
    cfg = _config(args)
    editor = Editor.from_config(cfg)
    body = {
        "key": args.key,
        "zh": args.zh,
        "en": args.en,
        "examples": {"zh": args.zh_example, "en": args.en_example},
    }
    try:
        _with_engine(cfg, lambda engine: editor.add_faq(engine, body, author=_author(args)))
    except Invalid as exc:
        raise _problems(exc) from None
    except Exists:
        raise StudioCommandError(f"there is already an FAQ answer {args.key!r}") from None
    print(f"Added the FAQ answer {args.key}; train to make it live.")
    return 0


def _review_list(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if not 1 <= args.limit <= 500:
        raise StudioCommandError("--limit must be from 1 to 500")
    found, total = _with_engine(
        cfg,
        lambda engine: review.items(engine, status=args.status, kind=args.kind, limit=args.limit),
    )
    _print({"items": found, "total": total})
    return 0


def _review_decide(args: argparse.Namespace, body: dict[str, Any]) -> dict[str, Any]:
    cfg = _config(args)
    editor = Editor.from_config(cfg)
    try:
        return _with_engine(
            cfg, lambda engine: decide(editor, engine, args.id, body, reviewer=_author(args))
        )
    except ReviewError as exc:
        raise StudioCommandError(str(exc)) from None
    except Invalid as exc:
        raise _problems(exc) from None


def _review_label(args: argparse.Namespace) -> int:
    body: dict[str, Any] = (
        {"out_of_scope": True} if args.intent == "out_of_scope" else {"intent": args.intent}
    )
    done = _review_decide(args, body)
    print(f"Labelled item {args.id} as {done['label']} (closed: {done['closed']}); train next.")
    return 0


def _review_accept(args: argparse.Namespace) -> int:
    done = _review_decide(args, {"accept": True})
    print(f"Accepted item {args.id} into {done['label']} (closed: {done['closed']}); train next.")
    return 0


def _review_dismiss(args: argparse.Namespace) -> int:
    done = _review_decide(args, {"dismiss": True})
    print(f"Dismissed item {args.id} (closed: {done['closed']}).")
    return 0


def _nlu_add(args: argparse.Namespace) -> int:
    cfg = _config(args)
    editor = Editor.from_config(cfg)
    try:
        saved = _with_engine(
            cfg,
            lambda engine: editor.add_examples(
                engine, args.intent, {"zh": args.zh, "en": args.en}, author=_author(args)
            ),
        )
    except Invalid as exc:
        raise _problems(exc) from None
    counts = {lang: len(v) for lang, v in saved["examples"].items()}
    print(f"Saved {args.intent}: {counts['zh']} zh and {counts['en']} en examples.")
    return 0


def _paraphrase(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if not 1 <= args.count <= paraphrase.MAX_COUNT:
        raise StudioCommandError(f"--count must be from 1 to {paraphrase.MAX_COUNT}")
    if args.threshold < 1:
        raise StudioCommandError("--threshold must be 1 or more")
    editor = Editor.from_config(cfg)

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        llm = llm_client(cfg, engine)
        if not llm.enabled:
            raise StudioCommandError("the large model is off: set llm.base_url in config.yml")
        if args.intent:
            targets = [(args.intent, list(paraphrase.LANGS))]
        else:
            targets = await paraphrase.few_shot_intents(editor, args.threshold)
        done = []
        for intent, langs in targets:
            wanted = [args.lang] if args.lang else langs
            if args.lang and args.lang not in langs:
                continue
            try:
                found = await paraphrase.propose(
                    editor, engine, llm, intent, count=args.count, langs=wanted
                )
            except Invalid as exc:
                raise _problems(exc) from None
            done.append(found.json())
        return done

    done = _with_engine(cfg, work)
    _print({"proposals": done})
    queued = sum(len(p["items"]) for p in done)
    silent = [p["intent"] for p in done if not p["answered"]]
    print(
        f"{queued} candidate(s) queued for review ({len(done)} intent(s)); accept with "
        "`studio review accept ID`, reject with `studio review dismiss ID`."
        + (f" The model did not answer for: {', '.join(silent)}." if silent else ""),
        file=sys.stderr,
    )
    return 0 if not silent else 1


def _policies_list(args: argparse.Namespace) -> int:
    _print(Editor.from_config(_config(args)).shop_policies().describe())
    return 0


def _policies_set(args: argparse.Namespace) -> int:
    cfg = _config(args)
    editor = Editor.from_config(cfg)
    body: dict[str, Any] = {}
    for item in args.values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise StudioCommandError(f"write each policy as NAME=VALUE, got {item!r}")
        body[name] = int(value) if name in RANGES and value.strip().isdigit() else value
    try:
        saved = _with_engine(
            cfg, lambda engine: editor.set_policies(engine, body, author=_author(args))
        )
    except Invalid as exc:
        raise _problems(exc) from None
    rendered = ", ".join(saved["faq_rendered"]) or "none"
    print(
        f"Saved{'' if saved['changed'] else ' (unchanged)'}; FAQ answers re-rendered: {rendered}. "
        "Train to make them live; restart the action server and the gateway for the rules."
    )
    return 0


def _render_faq(args: argparse.Namespace) -> int:
    changed = Editor.from_config(_config(args)).store.render_faq()
    print(f"Rendered the FAQ answers from config: {', '.join(changed) or 'nothing changed'}.")
    return 0


def _deployer(cfg: Config, engine: AsyncEngine) -> Deployer:
    return Deployer.from_config(cfg, engine, Editor.from_config(cfg).store)


def _train(args: argparse.Namespace) -> int:
    cfg = _config(args)

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        deployer = _deployer(cfg, engine)
        await deployer.ensure_baseline()
        try:
            job_id = await deployer.submit(author=_author(args), activate=not args.no_activate)
        except Busy as exc:
            raise StudioCommandError(str(exc)) from None
        last = None
        try:
            while True:  # this process's worker or a gateway's runs it
                job = await deployer.job(job_id)
                assert job is not None
                line = f"job {job_id}: {job['status']} {job['stage'] or ''} {job['progress']:.0%}"
                if line != last:
                    print(line, file=sys.stderr)
                    last = line
                if job["status"] not in ("queued", "running"):
                    return job
                await asyncio.sleep(2)
        finally:
            await deployer.close()

    job = _with_engine(cfg, work)
    _print(job)
    return 0 if job["status"] == "succeeded" else 1


def _rollback(args: argparse.Namespace) -> int:
    cfg = _config(args)

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        try:
            return await _deployer(cfg, engine).rollback(author=_author(args))
        except NoPrevious as exc:
            raise StudioCommandError(str(exc)) from None

    done = _with_engine(cfg, work)
    print(f"Active: {done['active']['version']} (rolled back {done['rolled_back']}).")
    return 0


def _status(args: argparse.Namespace) -> int:
    cfg = _config(args)

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        deployer = _deployer(cfg, engine)
        return {"active": await deployer.active(), "versions": await deployer.versions(10)}

    _print(_with_engine(cfg, work))
    return 0


# --- admin users ----------------------------------------------------------------------------
def add_admin(subparsers: Any) -> None:
    parser = subparsers.add_parser("admin", help="accounts of the admin pages")
    sub = parser.add_subparsers(dest="admin_command", metavar="ADMIN_COMMAND", required=True)
    add = sub.add_parser("add-user", help="add a user (the password is asked for)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(handler=_add_user)


def _add_user(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise StudioCommandError("the passwords differ; nothing was saved")
    cfg = _config(args)
    try:
        _with_engine(cfg, lambda engine: accounts.add_user(engine, args.name, args.role, password))
    except accounts.AccountError as exc:
        raise StudioCommandError(str(exc)) from None
    print(f"Added {args.name} ({args.role}).")
    return 0
