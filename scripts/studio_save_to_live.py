"""Measure the admin studio's save-to-live time for one FAQ change on the real project.

Copies rasa_project to a temporary folder, starts Rasa on a free port with the current model
(rasa.model_dir/shop.tar.gz, read only), saves one FAQ answer through the studio, runs one
training job (validate, train, held-out + test-story gate, PUT /model) and asks Rasa the FAQ
question every second until the new answer comes back. Prints the stages' times and how many
questions went unanswered during the swap. Models go to var/models/rasa/.

    .venv/bin/python scripts/studio_save_to_live.py ["sentence added to the answer"]
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.storage.db import create_engine, create_schema  # noqa: E402
from bot.studio.deploy import Deployer  # noqa: E402
from bot.studio.editing import Editor  # noqa: E402

QUESTION = "how much does shipping cost?"
MARK = sys.argv[1] if len(sys.argv) > 1 else "Orders ship from Shanghai."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_rasa(project: Path, port: int, model: Path, tmp: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(project), RASA_TELEMETRY_ENABLED="false")
    env["ACTION_ENDPOINT_URL"] = "http://127.0.0.1:9/webhook"
    log = open(tmp / "rasa.log", "wb")  # noqa: SIM115
    rasa = subprocess.Popen(
        [
            str(ROOT / ".venv-rasa/bin/rasa"),
            "run",
            "--enable-api",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "--model",
            str(model),
            "--endpoints",
            "endpoints.memory.yml",
        ],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return rasa


async def ask(session: aiohttp.ClientSession, url: str) -> str | None:
    try:
        async with session.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": f"measure-{time.time_ns()}", "message": QUESTION},
        ) as response:
            if response.status != 200:
                return None
            return " ".join(m.get("text", "") for m in await response.json())
    except (aiohttp.ClientError, TimeoutError):
        return None


async def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="studio-measure-"))
    project = tmp / "project"
    shutil.copytree(
        ROOT / "rasa_project", project, ignore=shutil.ignore_patterns("models", "results", ".rasa")
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base = load_config()
    model = ROOT / base.rasa.model_dir / "shop.tar.gz"
    rasa = start_rasa(project, port, model, tmp)
    cfg = load_config(
        env={},
        overrides={
            "database": {"url": f"sqlite+aiosqlite:///{tmp / 'shop.db'}"},
            "rasa": {"url": url},
            "studio": {"project_dir": str(project)},
        },
    )
    engine = create_engine(cfg.database.url)
    await create_schema(engine)
    editor = Editor.from_config(cfg)
    deployer = Deployer.from_config(cfg, engine, editor.store)
    timings: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            start = time.monotonic()
            while await ask(session, url) is None:
                if rasa.poll() is not None or time.monotonic() - start > 900:
                    raise RuntimeError(f"Rasa did not start; see {tmp / 'rasa.log'}")
                await asyncio.sleep(2)
            print(f"Rasa up in {time.monotonic() - start:.0f} s; answer: {await ask(session, url)}")
            await deployer.ensure_baseline()
            faq = (await editor.faq())["shipping_fee"]
            saved_at = time.monotonic()
            await editor.set_faq(
                engine,
                "shipping_fee",
                {"zh": faq["zh"], "en": f"{faq['en']} {MARK}"},
                author="measure",
            )
            job_id = await deployer.submit(author="measure")
            stage, asked, unanswered = None, 0, 0
            while True:
                job = await deployer.job(job_id)
                assert job is not None
                if job["stage"] != stage:
                    stage = job["stage"]
                    timings[str(stage)] = time.monotonic() - saved_at
                    print(f"{timings[str(stage)]:7.0f} s  {job['status']} {stage}", flush=True)
                answer = await ask(session, url)
                asked += 1
                unanswered += answer is None
                if answer and MARK in answer:
                    live = time.monotonic() - saved_at
                    break
                if job["status"] in {"failed", "rejected"}:
                    print(json.dumps(job, indent=2, ensure_ascii=False))
                    return 1
                await asyncio.sleep(1)
            await deployer.wait()
            job = await deployer.job(job_id)
            print(
                json.dumps(
                    {
                        "save_to_live_s": round(live, 1),
                        "stages_s": timings,
                        "questions": asked,
                        "unanswered": unanswered,
                        "metrics": job and job["metrics"],
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
    finally:
        await deployer.close()
        await engine.dispose()
        rasa.terminate()
        rasa.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
