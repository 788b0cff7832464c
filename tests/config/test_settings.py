"""Production settings harden the deployment and refuse to start half-configured."""

import json
import os
import subprocess
import sys

import pytest

PROBE = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ["
    "'DEBUG','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SECURE_HSTS_SECONDS',"
    "'SECURE_HSTS_INCLUDE_SUBDOMAINS','SECURE_SSL_REDIRECT','SESSION_COOKIE_HTTPONLY',"
    "'X_FRAME_OPTIONS','SECURE_CONTENT_TYPE_NOSNIFF']}))"
)


def _settings(tmp_path, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("SHOUWANG_")}
    full.update({"DJANGO_SETTINGS_MODULE": "shouwang.config.settings",
                 "SHOUWANG_VAR_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + PROBE],
        env=full, capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.mark.slow
def test_production_turns_on_secure_cookies_and_hsts(tmp_path):
    result = _settings(tmp_path, SHOUWANG_ENV="production", SHOUWANG_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.slow
def test_production_refuses_the_development_secret_key(tmp_path):
    result = _settings(tmp_path, SHOUWANG_ENV="production")
    assert result.returncode != 0
    assert "SHOUWANG_SECRET_KEY must be set in production" in result.stderr


def test_csp_allows_no_inline_script(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
