"""The OpenAPI schema and its docs page render, and describe the criteria API."""

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn: an endpoint drf-spectacular cannot describe fails here, not in the docs.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert "/api/v1/operations/{slug}/versions/{number}/signatures/" in schema["paths"]
    sign = schema["paths"]["/api/v1/operations/{slug}/versions/{number}/signatures/"]["post"]
    assert sign["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/SignInput"
    )


@pytest.mark.django_db
def test_schema_and_docs_render_for_a_logged_in_user(personas):
    client = APIClient()
    client.force_login(personas.viewer)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["title"] == "Stopline API"
    assert "/api/v1/operations/{slug}/import/" in schema["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.django_db
def test_schema_is_public_but_the_api_is_not():
    # The schema describes shapes only (drf-spectacular's default AllowAny); data needs a login.
    client = APIClient()
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/v1/operations/").status_code == 401


def test_api_docs_load_nothing_from_a_cdn(personas):
    from django.test import Client

    client = Client()
    client.force_login(personas.viewer)
    body = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in body
    assert "cdn." not in body and "jsdelivr" not in body and "unpkg" not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["propose/", "import/", "draft/escalation_rate/", "comments/1/resolve/"]
)
def test_options_describes_the_endpoint_instead_of_failing(personas, path):
    client = APIClient()
    client.force_login(personas.facilitator)
    response = client.options(f"/api/v1/operations/eu-chat/{path}")
    assert response.status_code == 200
    assert response.json()["schema"] == "/api/schema/"
    assert "POST" in response["Allow"] or "PUT" in response["Allow"]


@pytest.mark.django_db
def test_every_operation_documents_the_error_format():
    schema = yaml.safe_load(APIClient().get("/api/schema/").content)
    assert "Error" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code in ("401", "403", "404", "429"):
                assert code in operation["responses"], f"{method} {path} lacks {code}"
