"""Static files are served by the application itself (WhiteNoise), with DEBUG off as in
production: the portal's htmx, the admin's styles and the API docs' scripts."""

import pytest


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/static/portal/htmx.min.js", "javascript"),
        ("/static/admin/css/base.css", "text/css"),
        ("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js", "javascript"),
    ],
)
def test_static_files_are_served_with_debug_off(client, settings, path, kind):
    assert settings.DEBUG is False
    response = client.get(path)
    assert response.status_code == 200
    assert kind in response["Content-Type"]
    assert b"".join(response.streaming_content)


def test_an_unknown_static_file_is_a_404(client):
    assert client.get("/static/portal/nothing-here.js").status_code == 404
