"""Logs hold no personal data: the redaction record factory, and every log a real stack run wrote."""
from __future__ import annotations

import logging
import re
import subprocess

import aiohttp
import pytest

from gateway.conftest import frames_until, start_gateway_process
from helpdesk import redact

from .conftest import free_port

EMAIL, ORDER, PLATE = "an.devos@example.be", "10000002", "2-XYZ-987"
PHONE = "+32 470 12 34 56"
PHRASE = "ruitenwisserbladen piepen vreselijk"


def test_records_are_redacted_whatever_the_handler(tmp_path):
    redact.install()
    path = tmp_path / "app.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("ops.redaction.test")
    logger.addHandler(handler)
    try:
        logger.warning("lookup for %s with order %s, plate %s, phone %s", EMAIL, ORDER, PLATE, PHONE)
        logger.warning("whatsapp:+32470123456 wrote from 0470/12.34.56 about #10000003 and 1abc234")
        try:
            raise ValueError(f"no order for {EMAIL}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = path.read_text()
    for secret in (EMAIL, ORDER, PLATE, PHONE, "+32470123456", "0470/12.34.56", "10000003", "1abc234"):
        assert secret not in text, secret
    assert text.count("[email]") == 2 and "[number]" in text and "[plate]" in text and "[phone]" in text
    assert "ValueError" in text  # the traceback is kept, only its personal data goes


@pytest.mark.slow
async def test_a_real_conversation_leaves_no_personal_data_in_any_log(bot_stack, tmp_path):
    port = free_port()
    gateway_log = tmp_path / "gateway.log"
    proc = start_gateway_process(tmp_path / "h.db", port, bot_stack, gateway_log)
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws/chat")
            await frames_until(ws, lambda f: f.get("type") == "state")
            for text in ("Waar is mijn bestelling?", f"mijn e-mail is {EMAIL}", f"bestelnummer {ORDER}",
                         f"Mijn {PHRASE}, bel me op {PHONE} of kijk naar nummerplaat {PLATE}"):
                await ws.send_json({"type": "message", "text": text})
                await frames_until(ws, lambda f: f.get("type") == "message" and f.get("from") == "bot",
                                   timeout=90)
            await ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    logs = [gateway_log, *bot_stack.logs, *tmp_path.rglob("*.log")]
    assert gateway_log.stat().st_size > 0
    for path in dict.fromkeys(logs):
        text = path.read_text(errors="replace")
        for secret in (EMAIL, ORDER, PLATE, PHONE, PHRASE, "Waar is mijn bestelling"):
            assert secret.lower() not in text.lower(), f"{secret!r} in {path}"
        assert not re.search(r"470\D{0,2}12\D{0,2}34\D{0,2}56", text), f"phone number in {path}"
