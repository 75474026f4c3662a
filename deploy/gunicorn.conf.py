"""gunicorn's settings for the deployed portal: docker-compose.yml's web service and the
Dockerfile's CMD (``gunicorn -c deploy/gunicorn.conf.py portal.wsgi:application``).

gunicorn listens only on the compose network, behind the proxy of deploy/nginx.conf.template,
which hands it whole requests: a worker is then busy only while Django works.

Three worker processes of four threads each (gthread): a request waiting on PostgreSQL or Redis
leaves its process to another one, and a short page is not queued behind a long one in the
kernel's accept queue, as it was behind three sync workers (R8: 50 staff at once). Each thread
keeps its own database connection (CONN_MAX_AGE with health checks, portal/settings.py): twelve
connections at most, well under PostgreSQL's 100. The compose file and the bench's deployed
shape (bench/deployed.py) both read this file: one configuration.
"""

import os
import re

from gunicorn.glogging import Logger

bind = "0.0.0.0:8000"
workers = 3
worker_class = "gthread"
threads = 4
timeout = 30
# No admin socket (gunicornc): nothing uses it, and two instances on one host would share it.
control_socket_disable = True

# The proxy says whether the client came over https (X-Forwarded-Proto, which it always
# overwrites). gunicorn believes it, setting wsgi.url_scheme, only from these addresses: the
# proxy's (docker-compose.yml gives it a fixed one; unset: nobody). From anyone else the header is
# ignored, and Django reads the scheme from wsgi.url_scheme, never from the header itself. Django
# reads the same variable to believe the proxy's X-Forwarded-For (portal/proxy.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

accesslog = "-"
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# The same rule as portal/log_redaction.py (Django's own log lines); this file loads before Django.
_CALLBACK_SECRET = re.compile(r"(/callback/|/firma/)(?!fatto/)[^/?]+")
_URI_ATOMS = ("U", "f", "{referer}i", "{http_referer}e", "{raw_uri}e", "{path_info}e")


def _path_only(uri):
    """A URI as it may be logged: no query string (searches by codice fiscale) and no callback
    secret."""
    return _CALLBACK_SECRET.sub(r"\1[secret]", str(uri).split("?", 1)[0])


class PathOnlyLogger(Logger):
    """Whatever access_log_format says, no query string or callback secret reaches a log line:
    neither through the request line, the path, the query, the referrer nor the environment."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in _URI_ATOMS:
            atoms[key] = _path_only(atoms[key]) if atoms.get(key) else "-"
        atoms["r"] = f"{atoms['m']} {_path_only(environ.get('RAW_URI', ''))} {atoms['H']}"
        atoms["q"] = atoms["{query_string}e"] = "-"
        return atoms

    def exception(self, msg, *args, **kwargs):
        # "Error handling request GET /path?query" (an exception that escaped Django)
        super().exception(msg, *(_safe(a) for a in args), **kwargs)


def _safe(arg):
    return _path_only(arg) if isinstance(arg, str) and arg.startswith("/") else arg


logger_class = PathOnlyLogger
