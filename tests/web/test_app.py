from tokbridge.config import load_settings
from tokbridge.web.app import create_app


def test_openapi_document_lists_the_api(client):
    document = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/me", "/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/activity"} <= set(document["paths"])
    assert not any(path.startswith("/login") for path in document["paths"])


def test_readyz_reports_an_unreachable_queue(app_settings):
    from fastapi.testclient import TestClient

    broken = load_settings(database_url=app_settings.database_url, redis_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(broken)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "queue": "unreachable"}


def test_pages_send_security_headers(client):
    response = client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Back to the dashboard" in response.text
