"""schemathesis against /api/schema/: every phase, every method, bounded examples.

Runs the schemathesis CLI against a live server of the test database, authenticated with an
API token of the facilitator; path parameters point at a real operation so that the calls
reach the code behind the 404s. 0 server errors, every response as the schema says, and the
schema states what the API accepts (positive cases must not be rejected).
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import api_token

# A few thousand requests: run once, on the production database (make test-postgres).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

MAX_EXAMPLES = 15


def test_the_api_conforms_to_its_schema(live_server, personas, settings, tmp_path):
    # The run sends a few thousand requests: no throttling here (tested elsewhere).
    settings.STOPLINE_THROTTLE_RATES = dict.fromkeys(("anon", "token", "user"), "100000/minute")
    token = api_token(personas.facilitator)
    config = Path(__file__).parent / "schemathesis.toml"
    binary = str(Path(sys.executable).parent / "schemathesis")
    command = [
        binary,
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/schema/",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20261204",
        "--workers",
        "1",
        "--header",
        f"Authorization: Token {token}",
        "--request-timeout",
        "30",
        "--no-color",
        "--output-truncate",
        "false",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
