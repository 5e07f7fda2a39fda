"""Souk's test suite (a package, so tests import their helpers as
`from tests.support import ...`)."""
