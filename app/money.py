"""Money as people type it and read it, through Babel.

Reading (parse_money) accepts a decimal point or a decimal comma, with or
without thousands separators ("12,50", "12.50", "1,234.50", "1.234,50",
"1 234,50"), and refuses what could be read two ways: one separator followed
by exactly three digits ("1,234" is 1234 to some and 1.234 to others). It
never guesses, so a typed amount never silently changes magnitude.

Showing (format_money) writes the amount in the site's locale (SOUK_LOCALE)
followed by the ISO code of the site's currency (SOUK_CURRENCY): "1,234.50
EUR" in en, "1.234,50 EUR" in de. The code after the number reads the same
in every locale and cannot be mistaken for a sign or a digit.
"""
import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, format_currency, format_decimal, parse_decimal

DEFAULT_CURRENCY = "EUR"
DEFAULT_LOCALE = "en"
# Babel's own locales for the two notations it reads: a decimal point with
# comma groups, a decimal comma with point groups.
_POINT_LOCALE, _COMMA_LOCALE = "en_US", "de_DE"
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_SHAPE = re.compile(r"^[0-9.,]+$")
_SYMBOLS = "€$£"
# Digits with at most one decimal point and two decimals, no group: read the
# same in every notation, so Decimal reads it (as Babel would, faster: an
# inventory file has 100,000 of them).
_PLAIN = re.compile(r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")
MAX_INPUT = 40

_settings = {"currency": DEFAULT_CURRENCY, "locale": DEFAULT_LOCALE}


class MoneyFormatError(ValueError):
    """The text is not an amount of money; the message says how to write it."""


def configure(currency: str, locale: str) -> None:
    """Set the site's currency (an ISO 4217 code) and locale (like en or
    de_DE); raises ValueError for an unknown locale or a malformed code."""
    if not re.fullmatch(r"[A-Z]{3}", currency or ""):
        raise ValueError(f"SOUK_CURRENCY must be an ISO 4217 code like EUR, not {currency!r}")
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"SOUK_LOCALE {locale!r} is not a locale Babel knows (try en or de_DE)") from exc
    _settings.update(currency=currency, locale=locale)


def currency() -> str:
    """The site's currency code (SOUK_CURRENCY)."""
    return _settings["currency"]


def format_money(value) -> str:
    """An amount with two decimals in the site's locale and its currency
    code: 1,234.50 EUR. None (no price) is a dash."""
    if value is None:
        return "—"
    return _formatted(Decimal(value), _settings["currency"], _settings["locale"])


@lru_cache(maxsize=4096)
def _formatted(value: Decimal, currency_code: str, locale: str) -> str:
    """format_money's text, kept per amount: Babel takes about as long to
    write one price as the rest of a page row (the same prices recur on
    every page, and equal amounts write the same)."""
    return format_currency(value, currency_code, format="#,##0.00\u00a0¤¤", locale=locale,
                           currency_digits=False)


def format_number(value) -> str:
    """An amount with two decimals in the site's locale, without currency
    (for table cells under a heading that names it)."""
    return format_decimal(Decimal(value), format="#,##0.00", locale=_settings["locale"])


def _decimal_mark(text: str) -> str | None:
    """Which of '.' and ',' is the decimal mark in `text`, or None when it
    has no decimals. Raises MoneyFormatError when it cannot be told."""
    last = max(text.rfind("."), text.rfind(","))
    if last < 0:
        return None
    mark = text[last]
    if "." in text and "," in text:
        return mark  # both: the last one is the decimal mark
    if text.count(mark) > 1:
        return None  # the same one twice or more: thousands separators
    head, tail = text[:last], text[last + 1:]
    if len(tail) == 3:
        whole = int(head + tail) if head else int(tail)
        raise MoneyFormatError(
            f"“{text}” could mean {whole} or {head or 0}.{tail}: write the cents, like {whole}.00 "
            f"or {whole},00, or at most two decimals, like {head or 0}{mark}{tail[:2]}.")
    return mark


def parse_money(text: str) -> Decimal:
    """The amount typed in `text`, in either notation (see the module
    docstring). Spaces and a currency sign or the site's currency code
    around it are ignored. Raises MoneyFormatError with a message for people
    when it is not an amount, is ambiguous or has more than two decimals."""
    cleaned = _SPACES.sub("", text or "")
    cleaned = cleaned.upper().removesuffix(currency()).removeprefix(currency()).strip(_SYMBOLS)
    if not cleaned:
        raise MoneyFormatError("Enter an amount.")
    negative = cleaned.startswith("-")
    cleaned = cleaned.removeprefix("-")
    if _PLAIN.match(cleaned):
        return -Decimal(cleaned) if negative else Decimal(cleaned)
    if len(cleaned) > MAX_INPUT or not _SHAPE.match(cleaned):
        raise MoneyFormatError("Enter an amount as a number, like 12.50 or 12,50.")
    mark = _decimal_mark(cleaned)
    groups = "," if mark == "." else "." if mark == "," else ("." if "." in cleaned else ",")
    locale = _COMMA_LOCALE if groups == "." else _POINT_LOCALE
    try:
        amount = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError as exc:
        raise MoneyFormatError(f"“{text.strip()}” is not an amount: group thousands by three, "
                               "like 1,234.50 or 1.234,50, or leave them out.") from exc
    if amount.as_tuple().exponent < -2:
        raise MoneyFormatError("Use at most 2 decimals.")
    return -amount if negative else amount
