"""``parkvakt alarm-centre-test``: the installer's check of each receiver before going live."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.dc09.support import ACCOUNT, TEXT_KEYS


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run_cli(config: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from firmware.cli import main; main()",
        "alarm-centre-test",
        "--config",
        str(config),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


def write_config(tmp_path: Path, primary: int, backup: int | None, key_hex: str) -> Path:
    path = tmp_path / "unit.toml"
    lines = ["[unit]", 'id = "lot-7"', "[alarm_centre]", f'primary = "127.0.0.1:{primary}"', f'account = "{ACCOUNT}"']
    lines.append(f'key = "{key_hex}"')
    if backup is not None:
        lines.append(f'backup = "127.0.0.1:{backup}"')
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_reports_each_receiver_and_fails_when_one_does_not_answer(start_centre, tmp_path: Path) -> None:
    text_key = TEXT_KEYS["aes128"]
    centre = await start_centre(text_key)
    config = write_config(tmp_path, centre.port, closed_port(), text_key.encode().hex())

    code, out = await run_cli(config)

    assert code == 1, out
    primary, backup = out.split("backup receiver")
    assert "SIA-DCS, AES-128" in primary
    assert "supervision poll (NULL): ok: ACK" in primary and "test report (602 / RP): ok: ACK" in primary
    assert "FAILED: cannot connect" in backup
    await centre.wait_for_events(2)
    assert [ev.code for ev in centre.events] == ["RP", "RP"]  # pysiaalarm files a NULL poll as RP too
    assert centre.client.counts.valid_events == 2 and centre.errors() == dict.fromkeys(centre.errors(), 0)


async def test_all_acked_exits_0_and_a_wrong_key_is_visible(start_centre, tmp_path: Path) -> None:
    centre = await start_centre(TEXT_KEYS["aes256"])
    code, out = await run_cli(write_config(tmp_path, centre.port, None, TEXT_KEYS["aes256"].encode().hex()))
    assert code == 0, out

    code, out = await run_cli(write_config(tmp_path, centre.port, None, "00" * 32))
    assert code == 1, out
    assert "FAILED" in out and "wrong key, unknown account" in out
