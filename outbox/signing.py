"""Webhook signatures in Stripe's scheme: `Stopline-Signature: t=<unix time>,v1=<hex>`, where
hex is HMAC-SHA256(secret, f"{t}.{raw body}"). Receivers check the signature and refuse a
timestamp more than five minutes from their clock (replay window). No Django imports: the same
function is the example in docs/integrations.md."""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Stopline-Signature"
EVENT_ID_HEADER = "Stopline-Event-Id"
EVENT_TYPE_HEADER = "Stopline-Event-Type"
REPLAY_WINDOW_SECONDS = 300


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body` signed with `secret` at `timestamp` (now by default)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = REPLAY_WINDOW_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance`
    seconds of `now`. Several v1 values may be present (during a secret rotation)."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k.strip() == "t"]
    signatures = [v.strip() for k, v in parts if k.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not signatures:
        return False
    t = int(timestamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)
