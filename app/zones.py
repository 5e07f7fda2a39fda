"""Time zones: the IANA names people choose from, and moments shown and
typed in a zone. Times are stored in UTC (timestamptz); only what people
read and type is local."""
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

# Regions of the IANA database (the names people recognise); the old
# aliases (US/Eastern, Etc/GMT+3, CET, ...) are left out of the choices.
_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian",
            "Pacific")
# What datetime-local inputs send (seconds only when a step asks for them),
# and the way times are shown, which people may type in a plain text box.
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


@cache
def zone_names() -> tuple[str, ...]:
    """The time zones a user can choose: UTC and every Region/City, sorted."""
    return ("UTC", *sorted(name for name in available_timezones() if name.split("/")[0] in _REGIONS))


def is_zone(name: str | None) -> bool:
    return name in zone_names()


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The ZoneInfo of `name`, or of `default` when name is empty or unknown."""
    return ZoneInfo(name if is_zone(name) else default)


def moment_text(value: datetime, where: ZoneInfo) -> str:
    """A moment as people read it in `where`, minute precision, the zone
    named: 2026-11-21 15:05 CET."""
    local = value.astimezone(where)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def input_text(value: datetime, where: ZoneInfo) -> str:
    """A moment as a datetime-local input shows it in `where`: 2026-11-21T15:05."""
    return value.astimezone(where).strftime(DATETIME_FORMATS[0])


def parse_local(text: str, where: ZoneInfo) -> datetime:
    """A moment typed in `where` (2026-11-21T15:05), as an aware datetime.
    Raises ValueError with a message for people when it is malformed or
    names a wall-clock time that does not exist there (a daylight-saving
    gap); a time that happens twice is the first of the two."""
    for pattern in DATETIME_FORMATS:
        try:
            naive = datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    else:
        raise ValueError("Enter a date and time like 2026-11-21 14:05.")
    local = naive.replace(tzinfo=where)
    # A time in a spring-forward gap does not survive a round trip via UTC.
    if local.astimezone(ZoneInfo("UTC")).astimezone(where).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%Y-%m-%d %H:%M} does not exist in {where.key} (the clocks skip it); "
                         "choose another time.")
    return local
