"""The settings module: zero-config defaults, the production switches, the named failures."""

import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
    "DJANGO_ALLOWED_HOSTS": "pec.studio.example",
    "DATABASE_URL": "postgres://portal:secret@db:5432/portal",
    "REDIS_URL": "redis://redis:6379/0",
    "OPENAPI_EMAIL": "studio@example.com",
    "OPENAPI_APIKEY": "k" * 32,
    "OPENAPI_PEC_URL": "https://pec.openapi.it",
    "OPENAPI_OAUTH_URL": "https://oauth.openapi.com",
    "EMAIL_URL": "smtp+tls://user:pass@smtp.example.com:587",
}

DUMP = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'db': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL, "
    "'cache': s.CACHES['default']['BACKEND'], "
    "'cache_location': s.CACHES['default'].get('LOCATION'), "
    "'storage': s.STORAGES['default']['BACKEND'], "
    "'media_url': s.MEDIA_URL, 'email': s.EMAIL_BACKEND, 'demo': s.OPENAPI_DEMO, "
    "'pec_url': s.OPENAPI_PEC_URL, 'lang': s.LANGUAGE_CODE, 'data': str(s.DATA_DIR), "
    "'errors': s.CONFIG_ERRORS, 'debug': s.DEBUG, 'demo_mode': s.DEMO_MODE, "
    "'secret_key': s.SECRET_KEY, 'secure_cookies': s.SESSION_COOKIE_SECURE}))"
)


def run(args, env, tmp_path):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "OPENAPI_", "AWS_", "EMAIL_"))
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "DATA_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def settings_in(env, tmp_path):
    proc = run(["manage.py", "shell", "-c", DUMP], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_defaults_need_no_environment(tmp_path):
    s = settings_in({}, tmp_path)
    assert s["db"] == "django.db.backends.sqlite3"
    assert s["broker"] == "filesystem://"
    assert s["cache"].endswith("FileBasedCache")
    assert s["storage"] == "django.core.files.storage.FileSystemStorage"
    assert s["media_url"] == "/no-public-media/"  # an empty folder; uploads have no URL
    assert s["email"].endswith("console.EmailBackend")
    assert s["demo"] is True
    assert s["pec_url"] == "http://127.0.0.1:8765"
    assert s["lang"] == "it"
    assert s["errors"] == []
    assert s["debug"] is False and s["demo_mode"] is True
    assert s["secure_cookies"] is False  # the demo is plain http on this machine


def test_environment_switches_to_postgres_redis_s3(tmp_path):
    s = settings_in({**PRODUCTION_ENV, "AWS_STORAGE_BUCKET_NAME": "studio-docs"}, tmp_path)
    assert s["db"] == "django.db.backends.postgresql"
    assert s["broker"] == "redis://redis:6379/0"
    assert s["cache"].endswith("RedisCache")
    assert s["cache_location"] == "redis://redis:6379/1"  # not the broker's database
    assert s["storage"] == "storages.backends.s3.S3Storage"
    assert s["demo"] is False
    assert s["pec_url"] == "https://pec.openapi.it"
    assert s["email"].endswith("smtp.EmailBackend")
    assert s["errors"] == []


def test_production_check_deploy_is_clean(tmp_path):
    proc = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_env_example_values_pass_the_production_check(tmp_path):
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    assert values["DJANGO_DEBUG"] == "false"
    proc = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], values, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"OPENAPI_EMAIL": "", "OPENAPI_APIKEY": ""}, "OPENAPI_TOKEN"),
        ({"OPENAPI_APIKEY": ""}, "OPENAPI_APIKEY"),
        ({"OPENAPI_PEC_URL": "http://pec.openapi.it"}, "OPENAPI_PEC_URL"),
        ({"PDF_MAX_BYTES": "ten"}, "PDF_MAX_BYTES"),
        ({"EMAIL_URL": "not a url"}, "EMAIL_URL"),
    ],
)
def test_missing_or_malformed_production_value_stops_startup_naming_it(tmp_path, change, variable):
    proc = run(["manage.py", "check"], {**PRODUCTION_ENV, **change}, tmp_path)
    assert proc.returncode != 0
    assert "portal.E001" in proc.stderr
    assert variable in proc.stderr


def check_errors(env, tmp_path) -> str:
    proc = run(["manage.py", "check"], env, tmp_path)
    assert proc.returncode != 0, "the check passed"
    assert "portal.E001" in proc.stderr
    return proc.stderr


DEPLOYMENT_SIGNS = {
    "Openapi credentials": {"OPENAPI_EMAIL": "studio@example.com", "OPENAPI_APIKEY": "k" * 32},
    "an Openapi token": {"OPENAPI_TOKEN": "a-real-token"},
    "a database server": {"DATABASE_URL": "postgres://portal:secret@db:5432/portal"},
    "a public host": {"DJANGO_ALLOWED_HOSTS": "localhost,pec.studio.example"},
}


@pytest.mark.parametrize("sign", DEPLOYMENT_SIGNS)
def test_debug_on_refused_outside_the_demo(tmp_path, sign):
    env = {**DEPLOYMENT_SIGNS[sign], "DJANGO_DEBUG": "true"}
    assert "DJANGO_DEBUG" in check_errors(env, tmp_path)
    # the full production environment with DEBUG on, too
    full = {**PRODUCTION_ENV, "DJANGO_DEBUG": "true"}
    assert "DJANGO_DEBUG" in check_errors(full, tmp_path)


@pytest.mark.parametrize("sign", DEPLOYMENT_SIGNS)
def test_no_secret_key_refused_outside_the_demo(tmp_path, sign):
    assert "DJANGO_SECRET_KEY" in check_errors(DEPLOYMENT_SIGNS[sign], tmp_path)


def test_debug_is_off_unless_asked_and_the_demo_may_turn_it_on(tmp_path):
    assert settings_in({}, tmp_path)["debug"] is False
    assert settings_in({**PRODUCTION_ENV, "DJANGO_DEBUG": ""}, tmp_path)["errors"] == []
    demo_debug = settings_in({"DJANGO_DEBUG": "true"}, tmp_path)
    assert demo_debug["debug"] is True and demo_debug["errors"] == []


def test_the_demo_signs_with_its_own_random_key(tmp_path):
    first = settings_in({}, tmp_path / "one")
    assert settings_in({}, tmp_path / "one")["secret_key"] == first["secret_key"]  # all processes
    assert settings_in({}, tmp_path / "two")["secret_key"] != first["secret_key"]
    assert len(first["secret_key"]) >= 50
    assert stat.S_IMODE((tmp_path / "one" / "secret-key").stat().st_mode) == 0o600
    assert "dev-only-insecure-key" not in (ROOT / "portal" / "settings.py").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_demo_serves_pages_and_static_files_with_debug_off(tmp_path):
    """runserver as `make run` starts it: no environment, no collectstatic, DEBUG off."""
    assert run(["manage.py", "migrate", "-v0"], {}, tmp_path).returncode == 0
    port = free_port()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "OPENAPI_", "STATIC_"))
    }
    clean.update(DJANGO_SETTINGS_MODULE="portal.settings", DATA_DIR=str(tmp_path))
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=clean,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get(f"{base}/account/login/")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "runserver did not answer in 60 s"
                time.sleep(0.3)
        assert status == 200 and b'name="password"' in body
        assert b"/static/css/portal.css" in body
        for path in ("css/portal.css", "vendor/htmx/htmx.min.js", "js/portal.js"):
            status, content = get(f"{base}/static/{path}")
            assert status == 200, path
            assert content == (ROOT / "static" / path).read_bytes(), path
        status, body = get(f"{base}/caselle/forged/")
        assert status == 404 and b"Traceback" not in body and b"DEBUG" not in body
    finally:
        server.terminate()
        server.wait(timeout=30)
