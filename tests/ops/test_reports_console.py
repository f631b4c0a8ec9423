"""The console's Reports view: admin-only API, and real Chromium drawing the charts (inline SVG)."""
from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest

from connectors.console import accounts

from .conftest import running_gateway
from .test_report import build_history

PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"


async def login(gw, email: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(f"{gw.url}/agent/api/login", json={"email": email, "password": PASSWORD}) as resp:
        assert resp.status == 200
    return http


async def test_reports_api_is_for_admins_only(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        await build_history(gw.app)
        accounts.add(gw.db, "ann@shop.be", "Ann", PASSWORD, "agent")
        accounts.add(gw.db, "boss@shop.be", "Boss", PASSWORD, "admin")
        async with gw.http.get(f"{gw.url}/agent/api/reports") as resp:
            assert resp.status == 401
        agent = await login(gw, "ann@shop.be")
        admin = await login(gw, "boss@shop.be")
        try:
            async with agent.get(f"{gw.url}/agent/api/reports") as resp:
                assert resp.status == 403
            async with admin.get(f"{gw.url}/agent/api/reports?since=2026-11-21") as resp:
                assert resp.status == 200
                assert (await resp.json())["conversations"]["total"] == 1
            async with admin.get(f"{gw.url}/agent/api/reports?since=bad") as resp:
                assert resp.status == 400 and "--since" in (await resp.json())["message"]
        finally:
            await agent.close()
            await admin.close()


@pytest.mark.browser
async def test_admin_sees_charts_drawn_without_other_sites(tmp_path):
    from playwright.async_api import async_playwright, expect

    shots = Path(os.environ.get("AGENT_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    async with running_gateway(tmp_path / "h.db") as gw:
        await build_history(gw.app)
        accounts.add(gw.db, "boss@shop.be", "Boss", PASSWORD, "admin")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(20_000)
                foreign, csp_errors = [], []
                page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(gw.url) else None)
                page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
                await page.goto(f"{gw.url}/agent")
                await page.fill("#login-email", "boss@shop.be")
                await page.fill("#login-password", PASSWORD)
                await page.click("#login-submit")
                await page.click("#btn-reports")
                await page.fill("#reports-since", "2026-11-01")
                await page.fill("#reports-until", "2026-11-30")
                await page.click("#reports-form button[type=submit]")
                await expect(page.locator("[data-testid=tile-conversations] .v")).to_have_text("3")
                await expect(page.locator("[data-testid=tile-csat] .v")).to_have_text("4 / 5")
                await expect(page.locator("[data-testid=tile-deflection] .v")).to_have_text("33% (1)")
                # one column segment per day and channel: Nov 20 web + whatsapp, Nov 21 email
                await expect(page.locator("#chart-days svg rect")).to_have_count(3)
                assert sorted(await page.locator("#chart-days svg rect").evaluate_all(
                    "rs => rs.map(r => r.dataset.channel)")) == ["email", "web", "whatsapp"]
                await expect(page.locator("#chart-handoffs svg rect")).to_have_count(2)
                await expect(page.locator("#chart-faq svg rect")).to_have_count(3)
                # FAQ gaps: the 'none' and 'clarify' questions of the history, drafts ready to paste
                await expect(page.locator("[data-testid=gap]")).to_have_count(2, timeout=120_000)
                await expect(page.locator("[data-testid=gap] pre").first).to_contain_text("alternatives:")
                await page.screenshot(path=str(shots / "reports.png"), full_page=True)
                assert foreign == [] and csp_errors == []
            finally:
                await browser.close()
