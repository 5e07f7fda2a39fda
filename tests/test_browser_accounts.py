"""Real browser: register, log out, log in, top up, see the new balance."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_register_login_top_up(page, live_server):
    page.goto(live_server + "/")
    page.click("text=Register")
    page.fill("#email", "browser@example.com")
    page.fill("#first_name", "Bea")
    page.fill("#last_name", "Browser")
    page.fill("#password", "browser-pass-1")
    page.fill("#confirm", "browser-pass-1")
    page.click("button:has-text('Create account')")
    expect(page.locator("text=Welcome to Souk, Bea!")).to_be_visible()
    page.click("button:has-text('Log out')")

    page.click("text=Log in")
    page.fill("#email", "browser@example.com")
    page.fill("#password", "browser-pass-1")
    page.click("main button:has-text('Log in')")
    page.click("text=Bea · 0.00")
    page.fill("#topup-amount", "25.50")
    page.click("button:has-text('Top up')")
    expect(page.locator("text=Your balance is 25.50")).to_be_visible()
    expect(page.locator("h2:has-text('Balance: 25.50')")).to_be_visible()
    expect(page.locator("header >> text=Bea · 25.50")).to_be_visible()
