"""The settings module: zero-config defaults, the production switches, the named failures."""

import json
import os
import subprocess
import sys
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
    "'errors': s.CONFIG_ERRORS}))"
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
