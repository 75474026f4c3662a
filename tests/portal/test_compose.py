"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked instead."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_all_services_present():
    assert set(SERVICES) >= {"web", "worker", "beat", "redis", "postgres"}


def test_web_worker_beat_share_one_image():
    images = {SERVICES[name]["image"] for name in ("web", "worker", "beat")}
    assert len(images) == 1
    assert all("build" in SERVICES[name] for name in ("web", "worker", "beat"))


def test_commands():
    web = SERVICES["web"]["command"]
    assert "migrate" in web and web.index("migrate") < web.index("gunicorn")
    assert "portal.wsgi" in web
    assert SERVICES["worker"]["command"].startswith("celery -A portal worker")
    assert SERVICES["beat"]["command"].startswith("celery -A portal beat")


def test_every_service_has_a_healthcheck_and_dependencies_wait_for_health():
    for name, service in SERVICES.items():
        assert "healthcheck" in service, name
    for name in ("web", "worker", "beat"):
        deps = SERVICES[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"


def test_static_files_by_whitenoise():
    settings_text = (ROOT / "portal" / "settings.py").read_text()
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings_text
    assert "collectstatic" in (ROOT / "Dockerfile").read_text()
