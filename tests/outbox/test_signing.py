"""Webhook signatures (Stripe's scheme) and the check in docs/integrations.md."""

import time
from pathlib import Path

import pytest
from django.conf import settings

from outbox.signing import signature_header, signature_verify

BODY = b'{"id":"evt_1","type":"test.ping"}'


def test_a_signature_verifies_with_its_secret_only():
    header = signature_header(secret="whsec_a", body=BODY, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert signature_verify(secret="whsec_a", header=header, body=BODY, now=1_700_000_100)
    assert not signature_verify(secret="whsec_b", header=header, body=BODY, now=1_700_000_100)
    assert not signature_verify(
        secret="whsec_a", header=header, body=BODY + b" ", now=1_700_000_100
    )


def test_the_replay_window_is_five_minutes():
    header = signature_header(secret="s", body=BODY, timestamp=1000)
    assert signature_verify(secret="s", header=header, body=BODY, now=1300)
    assert not signature_verify(secret="s", header=header, body=BODY, now=1301)
    assert not signature_verify(secret="s", header=header, body=BODY, now=699)


@pytest.mark.parametrize("header", ["", "t=,v1=ab", "v1=ab", "t=12", "t=x,v1=ab", "garbage"])
def test_malformed_headers_are_refused(header):
    assert not signature_verify(secret="s", header=header, body=BODY, now=12)


def test_several_v1_values_pass_when_one_matches():
    good = signature_header(secret="new", body=BODY, timestamp=50).split("v1=")[1]
    assert signature_verify(secret="new", header=f"t=50,v1=deadbeef,v1={good}", body=BODY, now=60)


def test_the_check_in_the_docs_agrees_with_the_signer():
    doc = (Path(settings.BASE_DIR) / "docs" / "integrations.md").read_text()
    code = doc.split("### Check a signature (Python)")[1].split("```python\n")[1].split("```")[0]
    namespace: dict = {}
    exec(compile(code, "integrations.md", "exec"), namespace)  # noqa: S102 - our own docs
    check = namespace["stopline_signature_ok"]
    header = signature_header(secret="whsec_x", body=BODY)
    assert check("whsec_x", header, BODY)
    assert not check("whsec_y", header, BODY)
    old = signature_header(secret="whsec_x", body=BODY, timestamp=int(time.time()) - 301)
    assert not check("whsec_x", old, BODY)
