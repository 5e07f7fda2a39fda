"""Value pools built once with Faker, and the shared password hash.

Faker costs tens of microseconds per value, far too slow for millions of
rows, so it fills small pools once (seeded, so the pools are the same for
the same seed) and the generator samples indices into them with numpy.
"""
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from faker import Faker

# The one password of every generated user, as app/demo.py had it.
PASSWORD = "souk-demo"

POOL_SIZES = {"first": 500, "last": 500, "street": 1000, "city": 300, "brand": 250}


@dataclass(frozen=True)
class Pools:
    first_names: np.ndarray  # object arrays of str, indexed by sampled ints
    last_names: np.ndarray
    email_first: np.ndarray  # the same names as plain lowercase ASCII
    email_last: np.ndarray
    streets: np.ndarray
    cities: np.ndarray
    brands: np.ndarray


def _clean(text: str) -> str:
    # One line, no double quotes: the CSV writer quotes without escaping.
    return " ".join(text.replace('"', "'").split())


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower()) or "user"


def _draws(make, size: int) -> list[str]:
    # Repeats are kept: common names stay common, as Faker weights them.
    return [_clean(make()) for _ in range(size)]


@lru_cache(maxsize=4)
def build_pools(seed: int) -> Pools:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    first = _draws(fake.first_name, POOL_SIZES["first"])
    last = _draws(fake.last_name, POOL_SIZES["last"])
    streets = _draws(fake.street_address, POOL_SIZES["street"])
    cities = _draws(lambda: f"{fake.city()}, {fake.state_abbr()} {fake.postcode()}", POOL_SIZES["city"])
    brands = list(dict.fromkeys(_draws(fake.last_name, POOL_SIZES["brand"])))

    def pool(values):
        return np.array(values, dtype=object)

    return Pools(pool(first), pool(last), pool([_ascii_slug(n) for n in first]),
                 pool([_ascii_slug(n) for n in last]), pool(streets), pool(cities), pool(brands))


@lru_cache(maxsize=4)
def password_hash(seed: int) -> str:
    """The hash every generated user shares, computed once.

    werkzeug's format (scrypt:n:r:p$salt$hex, what generate_password_hash
    makes) with a salt derived from the seed instead of a random one, so the
    same seed writes byte-identical CSV files. The salt protects nothing
    here: the password itself is public. tests/test_generator.py logs in
    with it, so a werkzeug that stopped reading this format would fail it."""
    n, r, p = 2**15, 8, 1
    salt = hashlib.sha256(f"souk-generator-{seed}".encode()).hexdigest()[:16]
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p)
    return f"scrypt:{n}:{r}:{p}${salt}${digest.hex()}"
