"""Email copies of notices, sent by the background worker (app/jobs.py).

`deliver_due_emails` drains the outbox (pending rows of `notifications`):
for each mail it locks the row, sends it, and records the outcome in the same
transaction, so two workers never send the same mail (SKIP LOCKED) and a mail
that went out is never sent again by a later run. The one window left is a
crash between the SMTP server's "250 OK" and our COMMIT: then the mail goes
out once more, with the same Message-ID, which lets mail clients fold the
copies into one.

Without SOUK_SMTP_HOST mails are written to the log (logger "souk.mail") and
recorded as 'logged'."""
import logging
import smtplib
import time
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from . import db
from .models import notification as notifications

log = logging.getLogger("souk.mail")


class MailError(Exception):
    """A mail could not be handed to the SMTP server. `permanent` when trying
    again cannot help (the server refused the recipient or the message)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def compose(settings: dict, mail: dict) -> EmailMessage:
    """The email copy of a claimed notice (see notification.claim_due_email)."""
    base = settings["BASE_URL"]
    message = EmailMessage()
    message["From"] = settings["SMTP_FROM"]
    message["To"] = mail["email"]
    message["Subject"] = mail["subject"]
    # The same id on every attempt: a copy sent twice is recognisably one mail.
    message["Message-ID"] = f"<notice-{mail['id']}@{urlsplit(base).hostname or 'souk.localhost'}>"
    lines = [f"Hello {mail['first_name']},", "", mail["subject"]]
    if mail["body"]:
        lines += ["", mail["body"]]
    if mail["link"]:
        lines += ["", f"See it on Souk: {base}{mail['link']}"]
    lines += ["", "--", f"Your inbox: {base}/inbox/"]
    message.set_content("\n".join(lines))
    return message


class Mailer:
    """Sends messages over one SMTP connection, opened on the first message
    (or writes them to the log when no SMTP server is configured)."""

    def __init__(self, settings: dict):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    @property
    def logs_only(self) -> bool:
        return not self.settings.get("SMTP_HOST")

    def send(self, message: EmailMessage) -> None:
        if self.logs_only:
            log.info("Mail (no SMTP configured) to %s: %s\n%s", message["To"], message["Subject"],
                     message.get_content())
            return
        try:
            self._connection().send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"the SMTP server refused {message['To']}: {exc}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise MailError(f"SMTP error {exc.smtp_code}: {exc.smtp_error!r}",
                            permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise MailError(f"SMTP server unreachable: {exc}") from exc

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            s = self.settings
            smtp = smtplib.SMTP(s["SMTP_HOST"], s["SMTP_PORT"], timeout=s["SMTP_TIMEOUT"])
            try:
                if s["SMTP_STARTTLS"]:
                    smtp.starttls()
                if s["SMTP_USER"]:
                    smtp.login(s["SMTP_USER"], s["SMTP_PASSWORD"] or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def retry_delay(settings: dict, attempts_so_far: int) -> timedelta | None:
    """How long to wait before the next try of a mail that failed
    `attempts_so_far + 1` times: MAIL_RETRY_SECONDS, doubling each time,
    at most a day; None once MAIL_MAX_ATTEMPTS are used up."""
    if attempts_so_far + 1 >= settings["MAIL_MAX_ATTEMPTS"]:
        return None
    return timedelta(seconds=min(settings["MAIL_RETRY_SECONDS"] * 2 ** attempts_so_far, 86_400))


def deliver_due_emails(settings: dict, max_mails: int = 500, max_seconds: float = 30.0) -> dict:
    """Send the email copies that are due, one transaction each; stop after
    `max_mails`, `max_seconds`, or the first failure (the SMTP server is
    probably down: the rest wait for the next run). Returns counts of
    sent, logged and failed mails."""
    counts = {"sent": 0, "logged": 0, "failed": 0}
    mailer = Mailer(settings)
    deadline = time.monotonic() + max_seconds
    try:
        while sum(counts.values()) < max_mails and time.monotonic() < deadline:
            with db.transaction():
                mail = notifications.claim_due_email()
                if mail is None:
                    break
                try:
                    mailer.send(compose(settings, mail))
                except MailError as exc:
                    delay = None if exc.permanent else retry_delay(settings, mail["email_attempts"])
                    notifications.record_email_failure(mail["id"], delay)
                    log.warning("Mail of notice %s failed (attempt %s): %s; %s", mail["id"],
                                mail["email_attempts"] + 1, exc,
                                f"next try in {delay.total_seconds():.0f} s" if delay else "giving up")
                    counts["failed"] += 1
                    break
                notifications.record_email_sent(mail["id"], logged_only=mailer.logs_only)
                counts["logged" if mailer.logs_only else "sent"] += 1
    finally:
        mailer.close()
    return counts
