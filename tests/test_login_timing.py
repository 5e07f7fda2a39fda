"""A wrong password takes as long for an unknown email as for a registered
one, so timing does not tell who has an account. The hash here is made
slow enough (as real ones are) that it, not noise, decides the time, and
the time is the CPU time of the thread that handles the request (the test
client runs it in this thread): what an attacker measures is the work the
request does, and CPU time counts that work without the waits of a machine
shared with other jobs."""
import statistics
import time

import pytest

SLOW_HASH = "pbkdf2:sha256:20000"


@pytest.fixture
def slow_hashes(app):
    saved = app.config["PASSWORD_HASH_METHOD"]
    app.config["PASSWORD_HASH_METHOD"] = SLOW_HASH
    yield
    app.config["PASSWORD_HASH_METHOD"] = saved


def timed(send) -> float:
    started = time.thread_time()
    response = send()
    elapsed = time.thread_time() - started
    assert response.status_code in (400, 401)
    return elapsed


def test_wrong_password_takes_the_same_time_for_known_and_unknown_emails(client, make_user, slow_hashes):
    user = make_user()
    times = {("web", "known"): [], ("web", "unknown"): [], ("api", "known"): [], ("api", "unknown"): []}
    for round_number in range(8):  # interleaved, so load on the machine hits both alike
        for who, email in (("known", user.email), ("unknown", f"nobody-{round_number}@example.com")):
            times[("web", who)].append(timed(lambda email=email: client.post(
                "/auth/login", data={"email": email, "password": "wrong-password"})))
            times[("api", who)].append(timed(lambda email=email: client.post(
                "/api/v1/tokens", json={"email": email, "password": "wrong-password"})))
    for kind in ("web", "api"):
        known = statistics.median(times[(kind, "known")])
        unknown = statistics.median(times[(kind, "unknown")])
        assert abs(known - unknown) <= 0.2 * max(known, unknown), (kind, known, unknown)
