"""JSON nested deeper than Python's parser follows is a 400 in the API's error format (it was a
server error: DRF lets the parser's RecursionError through)."""

import pytest

from tests.criteria.test_views import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["comments/", "webhooks/", "import/", "positions/"])
def test_json_nested_too_deeply_is_a_400_with_a_message(client, personas, path):
    login(client, personas.facilitator)
    url = f"/api/v1/operations/{personas.operation.slug}/{path}"
    body = '{"a":' * 5000 + "1" + "}" * 5000
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert "nested too deeply" in error["message"]
    # A body nested a little is read as usual (refused for its content, not its shape).
    response = client.post(url, data='{"a": {"b": [1]}}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] != "parse_error"
