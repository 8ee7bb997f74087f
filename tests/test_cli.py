"""The paperbot command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIGEST

PAPERBOT = [sys.executable, "-m", "bot"]


def _run(*args: str, env: dict[str, str] | None = None,
         stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PAPERBOT, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, input=stdin, check=False)


def test_parse_json_prints_model_with_field_names() -> None:
    result = _run("parse", str(SAMPLE_DIGEST), "--json")
    document = json.loads(result.stdout)
    third = document["papers"][2]
    assert result.returncode == 0
    assert document["date"] == "2026-02-20"
    assert len(document["papers"]) == 6
    assert list(third) == ["rank", "featured", "title_zh", "title_en", "url", "arxiv_id", "org",
                           "score", "tags", "upvotes", "stars", "summary", "highlights"]
    assert third["title_zh"] == "统一潜变量 (UL)：潜变量训练指南"
    assert third["title_en"] == "Unified Latents (UL): How to train your latents"
    assert third["arxiv_id"] == "2602.17270"
    assert third["tags"] == ["Frontier Lab"]
    assert len(third["highlights"]) == 3


def test_parse_malformed_file_exits_with_file_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    lines = SAMPLE_DIGEST.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("**得分**: 36.84"))
    lines[number - 1] = "**得分**: lots"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run("parse", str(bad), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{bad}:{number}:" in result.stderr
    assert "得分" in result.stderr
    assert '"lots"' in result.stderr


def test_parse_missing_file_names_it(tmp_path: Path) -> None:
    result = _run("parse", str(tmp_path / "nope.md"))
    assert result.returncode == 1
    assert "nope.md" in result.stderr


def test_preview_prints_every_card_in_english() -> None:
    result = _run("preview", str(SAMPLE_DIGEST), "--lang", "en")
    assert result.returncode == 0
    assert result.stdout.count("https://arxiv.org/pdf/") == 6
    assert "Organization" in result.stdout
    assert "SpargeAttention2: Trainable Sparse Attention" in result.stdout


def test_preview_rejects_unknown_language() -> None:
    result = _run("preview", str(SAMPLE_DIGEST), "--lang", "fr")
    assert result.returncode == 2
    assert "'fr'" in result.stderr


def test_run_with_invalid_settings_names_each_variable() -> None:
    result = _run("run", env={"POLL_INTERVAL": "soon", "TIMEZONE": "Mars/Olympus",
                              "TELEGRAM_BOT_TOKEN": "not-a-token"})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert any(line.strip().startswith("POLL_INTERVAL='soon'") for line in lines)
    assert any("TIMEZONE='Mars/Olympus'" in line and "Asia/Shanghai" in line for line in lines)
    assert any(line.strip().startswith("TELEGRAM_BOT_TOKEN:") for line in lines)
    assert "not-a-token" not in result.stderr


def test_run_console_answers_commands_from_stdin(tmp_path: Path) -> None:
    digests = tmp_path / "digests"
    digests.mkdir()
    (digests / SAMPLE_DIGEST.name).write_bytes(SAMPLE_DIGEST.read_bytes())
    env = {"DIGEST_DIR": str(digests), "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
           "BOT_LANGUAGE": "en", "POLL_INTERVAL": "0.2"}
    script = "/today\n/subscribe Google\n/top 2\n"
    process = subprocess.Popen([*PAPERBOT, "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               env={**os.environ, **env})
    try:
        output, errors = process.communicate(script, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, errors
    assert "Digest of 2026-02-20: 6 papers" in output
    assert "Subscribed: papers from Google." in output
    assert "would have matched 2 papers" in output
    assert output.count("https://arxiv.org/pdf/") == 2
    # Without LOG_LEVEL, the console keeps routine log lines out of the conversation.
    assert "INFO" not in errors


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {"DIGEST_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
           "LOG_LEVEL": "INFO"}
    process = subprocess.Popen([*PAPERBOT, "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               env={**os.environ, **env})
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "paperbot running" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "paperbot stopped" in errors


def test_run_console_reads_commands_from_file(tmp_path: Path) -> None:
    commands = tmp_path / "commands.txt"
    commands.write_text("/lang en\n/list\n", encoding="utf-8")
    env = {"DIGEST_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    with commands.open("rb") as stdin:
        result = subprocess.run([*PAPERBOT, "run"], stdin=stdin, capture_output=True,
                                text=True, cwd=tmp_path, env={**os.environ, **env},
                                timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Replies in this chat are now in English." in result.stdout
    assert "This chat has no subscriptions." in result.stdout


def test_run_with_unreachable_database_prints_one_line(tmp_path: Path) -> None:
    # Port 1 on loopback has no server, so the connection is refused at once.
    url = "postgresql://bot:hunter2@127.0.0.1:1/paperbot"
    result = _run("run", env={"DATABASE_URL": url, "DIGEST_DIR": str(tmp_path)},
                  stdin="")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1
    assert lines[-1].startswith("paperbot: cannot connect to the database "
                                "postgresql+asyncpg://bot:***@127.0.0.1:1/paperbot")
    assert "Check DATABASE_URL" in lines[-1]
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr
