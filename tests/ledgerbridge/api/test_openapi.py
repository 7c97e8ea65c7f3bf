"""The OpenAPI document and Swagger UI."""

from __future__ import annotations

from tests.ledgerbridge.api.conftest import Stack

PATHS = {
    "/v1/health": {"get"},
    "/v1/connections": {"get", "post"},
    "/v1/connections/{connection_id}": {"get"},
    "/v1/connections/{connection_id}/connect": {"get"},
    "/v1/oauth/start": {"get"},
    "/v1/oauth/callback": {"get"},
    "/v1/oauth/reconnect": {"get"},
    "/v1/connections/{connection_id}/disconnect": {"post"},
    "/v1/connections/{connection_id}/start_fresh": {"post"},
    "/v1/connections/{connection_id}/check": {"post"},
    "/v1/connections/{connection_id}/settings": {"patch"},
    "/v1/connections/{connection_id}/mappings": {"get", "put"},
    "/v1/connections/{connection_id}/records": {"get", "post"},
    "/v1/connections/{connection_id}/records/{record_type}/{record_id}": {"get", "put", "delete"},
    "/v1/connections/{connection_id}/records/{record_type}/{record_id}/actions/{action}": {"post"},
    "/v1/connections/{connection_id}/sync": {"post"},
    "/v1/connections/{connection_id}/pull": {"post"},
    "/v1/connections/{connection_id}/events": {"get"},
    "/v1/connections/{connection_id}/checks": {"get", "post"},
    "/v1/connections/{connection_id}/actions/apply_numbering_start": {"post"},
    "/v1/connections/{connection_id}/reconciliation": {"get"},
    "/v1/connections/{connection_id}/plan": {"post"},
    "/v1/connections/{connection_id}/verify": {"post"},
    "/v1/connections/{connection_id}/quickbooks/refresh": {"post"},
    "/v1/connections/{connection_id}/quickbooks/imports": {"get"},
    "/v1/connections/{connection_id}/quickbooks/imports/{type}/{quickbooks_id}/acknowledge": {
        "post"
    },
    "/v1/connections/{connection_id}/quickbooks/import": {"get", "post"},
    "/v1/connections/{connection_id}/quickbooks/{list}": {"get"},
    "/v1/connections/{connection_id}/qwc": {"get"},
    "/v1/connections/{connection_id}/web-connector": {"get"},
    "/v1/connections/{connection_id}/web-connector-password": {"post"},
    "/v1/qbo/webhooks": {"post"},
}


def test_the_openapi_document_describes_every_route(stack: Stack) -> None:
    response = stack.client().get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "ledgerbridge"
    assert {path: set(ops) for path, ops in spec["paths"].items()} == PATHS
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("tags"), (method, path)
    schemas = spec["components"]["schemas"]
    for name in ("NewConnection", "ConnectionSettings", "Mappings", "SyncSelection"):
        assert name in schemas
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    create = spec["paths"]["/v1/connections"]["post"]
    assert create["security"] == [{"ApiKey": []}]
    assert "401" in create["responses"] and "422" in create["responses"]
    assert "security" not in spec["paths"]["/v1/oauth/callback"]["get"]
    assert "security" not in spec["paths"]["/v1/oauth/start"]["get"]
    assert "security" not in spec["paths"]["/v1/oauth/reconnect"]["get"]
    assert "security" not in spec["paths"]["/v1/qbo/webhooks"]["post"]
    settings_body = spec["paths"]["/v1/connections/{connection_id}/settings"]["patch"]
    schema = settings_body["requestBody"]["content"]["application/json"]["schema"]
    assert "numbering" in schema["properties"]
    lists = spec["paths"]["/v1/connections/{connection_id}/quickbooks/{list}"]["get"]
    (which,) = [p for p in lists["parameters"] if p["in"] == "path" and p["name"] == "list"]
    assert set(which["schema"]["enum"]) >= {"customers", "vendors", "items", "tax_rates", "terms"}
    assert "QuickBooksPage" in schemas and "Refreshed" in schemas


def test_swagger_ui_is_served(stack: Stack) -> None:
    response = stack.client().get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


def test_swagger_ui_needs_no_network(stack: Stack) -> None:
    page = stack.client().get("/docs").text
    assert "cdn" not in page.lower() and "https://" not in page
    client = stack.client()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = client.get(f"/docs-assets/{asset}")
        assert response.status_code == 200 and len(response.content) > 10_000
