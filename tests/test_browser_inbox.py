"""Real browser on a 320 px phone, JavaScript on and off: the header's unread
count, opening a notice follows its link, "Mark all read"."""
import pytest
from playwright.sync_api import expect

from app.models import notification as notifications
from tests.support import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_inbox_on_a_phone(chromium, live_server, app, make_user, javascript):
    user = make_user(first_name="Ines")
    with app.app_context():
        notifications.notify(user.id, "order_shipped", "Your order #9 has shipped",
                             "Carrier: " + "Very-long-carrier-name-" * 6, "/purchases/")
        notifications.notify(user.id, "sale_sold_out", "Flash sale sold out: Blue shirt", "All 50 sold.")
        notifications.notify(user.id, "return_refused", "Return refused", "Reason: worn")
    context = chromium.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(live_server + "/auth/login")
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.click("main button:has-text('Log in')")
        page.click("header >> text=Inbox (3 unread)")
        expect(page.locator("h1")).to_have_text("Inbox")
        expect(page.locator("li.notice.unread")).to_have_count(3)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320

        page.click("text=Your order #9 has shipped")
        expect(page).to_have_url(live_server + "/purchases/")
        expect(page.locator("header >> text=Inbox (2 unread)")).to_be_visible()

        page.goto(live_server + "/inbox/")
        page.click("button:has-text('Mark all read')")
        expect(page.locator("text=Marked 2 notices as read.")).to_be_visible()
        expect(page.locator("li.notice.unread")).to_have_count(0)
        expect(page.locator("header a:has-text('Inbox')")).to_have_text("Inbox")
    finally:
        context.close()
