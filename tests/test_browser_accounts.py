"""Real browser: register, log out, log in, top up, see the new balance."""
import pytest

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
    assert page.is_visible("text=Welcome to Souk, Bea!")
    page.click("button:has-text('Log out')")

    page.click("text=Log in")
    page.fill("#email", "browser@example.com")
    page.fill("#password", "browser-pass-1")
    page.click("main button:has-text('Log in')")
    page.click("text=Bea · 0.00")
    page.fill("#topup-amount", "25.50")
    page.click("button:has-text('Top up')")
    assert page.is_visible("text=Your balance is 25.50")
    assert page.is_visible("h2:has-text('Balance: 25.50')")
    assert page.is_visible("header >> text=Bea · 25.50")
