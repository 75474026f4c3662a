"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked instead."""

import re
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


# --------------------------------------------------------------------------- the proxy

PROXY = SERVICES["proxy"]
TEMPLATE = (ROOT / "deploy" / "nginx.conf.template").read_text()


def test_only_the_proxy_is_published():
    assert {name for name, service in SERVICES.items() if "ports" in service} == {"proxy"}
    assert PROXY["image"].startswith("nginx:")


def test_web_runs_gunicorn_with_the_deployed_settings():
    assert (
        "gunicorn -c deploy/gunicorn.conf.py portal.wsgi:application" in SERVICES["web"]["command"]
    )
    assert '"-c", "deploy/gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()


def test_gunicorn_believes_forwarded_headers_from_the_proxys_address_only():
    import ipaddress

    # The proxy reaches web only over the "proxy" network, from its fixed address...
    assert list(PROXY["networks"]) == ["proxy"]
    address = PROXY["networks"]["proxy"]["ipv4_address"]
    (subnet,) = COMPOSE["networks"]["proxy"]["ipam"]["config"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet["subnet"])
    assert "proxy" in SERVICES["web"]["networks"]
    # ...which is the only one gunicorn (and Django, for X-Forwarded-For) believes.
    assert SERVICES["web"]["environment"]["FORWARDED_ALLOW_IPS"] == address
    for name in ("worker", "beat"):
        assert "FORWARDED_ALLOW_IPS" not in SERVICES[name]["environment"]


def test_the_proxy_renders_the_repos_template_with_every_variable():
    volumes = PROXY["volumes"]
    assert "./deploy/nginx.conf.template:/etc/nginx/templates/portal.conf.template:ro" in volumes
    used = set(re.findall(r"\$\{(PROXY_\w+)\}", TEMPLATE))
    assert used and used <= set(PROXY["environment"])
    assert all(re.match(PROXY["environment"]["NGINX_ENVSUBST_FILTER"], name) for name in used)


def test_the_proxy_body_limit_fits_the_largest_upload_and_little_more():
    from django.conf import settings

    default = re.fullmatch(r"\$\{PROXY_MAX_BODY:-(\d+)m\}", PROXY["environment"]["PROXY_MAX_BODY"])
    limit = int(default.group(1)) * 1024 * 1024
    largest = 3 * settings.PDF_MAX_BYTES
    assert largest < limit <= largest + 2 * 1024 * 1024
