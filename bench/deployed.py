"""The deployed shape (docker-compose.yml) as local processes: Debian's nginx with the repo's
deploy/nginx.conf.template, gunicorn with deploy/gunicorn.conf.py, on free ports under a
temporary folder; the slow clients of the attack it must withstand; the P8 figure.

Used by tests/portal/test_deployed_shape.py and ``make bench`` (P8).
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import core

ROOT = core.ROOT
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
# The nginx image renders the template with these variables from the compose file.
PROXY_MAX_BODY = "31m"
# P8: how long a login GET may wait (gunicorn's worker timeout is 30 s).
GET_TIMEOUT = 35.0


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def render(template: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst does with NGINX_ENVSUBST_FILTER=^PROXY_: the given
    ${PROXY_*} variables replaced, nginx's own $variables left alone."""
    text = template
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = sorted(set(re.findall(r"\$\{(PROXY_\w+)\}", text)))
    if left:
        raise ValueError(f"template variables without a value: {', '.join(left)}")
    return text


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (the proxy terminates TLS, as in the compose file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def _wait_http(url: str, what: str, proc: subprocess.Popen, log: Path, timeout=60) -> None:
    import requests

    http = requests.Session()
    http.trust_env = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if http.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout}s:\n{log.read_text(errors='replace')}")


class DeployedShape:
    """gunicorn (deploy/gunicorn.conf.py, as in the compose file), and in front of it, unless
    ``proxy=False`` (the naive peer: gunicorn published as it was), nginx."""

    def __init__(self, env: dict[str, str], *, proxy: bool = True, folder: Path | None = None):
        self.folder = Path(folder or tempfile.mkdtemp(prefix="pec-deployed-"))
        self.env = env
        self.proxy = proxy
        self.gunicorn_port = core.free_port()
        self.gunicorn_url = f"http://127.0.0.1:{self.gunicorn_port}"
        self.http_port = self.https_port = None
        self.processes: list[subprocess.Popen] = []
        self.gunicorn_log = self.folder / "gunicorn.log"
        self.nginx_access_log = self.folder / "nginx-access.log"
        self.nginx_error_log = self.folder / "nginx-error.log"
        self.cert: Path | None = None

    # -------------------------------------------------------------------- start / stop

    def start(self) -> DeployedShape:
        try:
            self._start_gunicorn()
            if self.proxy:
                self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, argv, log: Path, err: Path | None = None, env=None) -> subprocess.Popen:
        with log.open("ab") as out, (err or log).open("ab") as errout:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=errout,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.processes.append(proc)
        return proc

    def _start_gunicorn(self) -> None:
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(GUNICORN_CONF),
            "--bind",
            f"127.0.0.1:{self.gunicorn_port}",
            "portal.wsgi:application",
        ]
        proc = self._spawn(argv, self.gunicorn_log, env={**os.environ, **self.env})
        _wait_http(f"{self.gunicorn_url}/healthz", "gunicorn", proc, self.gunicorn_log)

    def _start_nginx(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
        self.http_port, self.https_port = core.free_port(), core.free_port()
        self.cert, key = _self_signed(self.folder)
        site = render(
            TEMPLATE.read_text(),
            {
                "PROXY_UPSTREAM": f"127.0.0.1:{self.gunicorn_port}",
                "PROXY_HTTP_PORT": f"127.0.0.1:{self.http_port}",
                "PROXY_HTTPS_PORT": f"127.0.0.1:{self.https_port}",
                "PROXY_TLS_CERT": str(self.cert),
                "PROXY_TLS_KEY": str(key),
                "PROXY_MAX_BODY": PROXY_MAX_BODY,
            },
        )
        (self.folder / "portal.conf").write_text(site)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.folder / sub).mkdir(exist_ok=True)
        # What the nginx image's own nginx.conf provides around conf.d, with paths in the folder.
        user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
        main = f"""
daemon off;
{user}
worker_processes 1;
pid {self.folder}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {self.folder}/body;
    proxy_temp_path {self.folder}/proxy;
    fastcgi_temp_path {self.folder}/fastcgi;
    uwsgi_temp_path {self.folder}/uwsgi;
    scgi_temp_path {self.folder}/scgi;
    access_log off;
    include {self.folder}/portal.conf;
}}
"""
        (self.folder / "nginx.conf").write_text(main)
        argv = [
            binary,
            "-p",
            str(self.folder),
            "-c",
            str(self.folder / "nginx.conf"),
            "-e",
            "stderr",
        ]
        proc = self._spawn(argv, self.nginx_access_log, self.nginx_error_log)
        _wait_http(f"{self.http_url}/healthz", "nginx", proc, self.nginx_error_log)

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, 9)
                    proc.wait()
        self.processes.clear()

    # -------------------------------------------------------------------- addresses, logs

    @property
    def http_url(self) -> str:
        """The proxy over plain http (what the compose file publishes on port 80)."""
        return f"http://127.0.0.1:{self.http_port}" if self.proxy else self.gunicorn_url

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def front(self) -> tuple[str, int]:
        """Where clients connect: the proxy's plain http port, or gunicorn itself."""
        return "127.0.0.1", self.http_port if self.proxy else self.gunicorn_port

    def logs(self) -> dict[str, str]:
        return {
            path.name: path.read_text(errors="replace")
            for path in (self.gunicorn_log, self.nginx_access_log, self.nginx_error_log)
            if path.exists()
        }


def environment(base: dict[str, str]) -> dict[str, str]:
    """Production settings for the gunicorn processes (the compose file's .env), on ``base``'s
    database and broker."""
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "OPENAPI_ALLOW_DEMO": "true",
        # The image collects static files at build time; here the pages only name them.
        "STATIC_MANIFEST": "false",
        # The proxy reaches gunicorn from 127.0.0.1 (in the compose file: its fixed address).
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }


# ------------------------------------------------------------------------ the attack


class SlowBodies:
    """``n`` clients that each send a POST's headers, then its body one byte a second (and, when
    the server drops them, start again), until stopped. The CSRF cookie (any well-formed one)
    makes Django read the body for the form's token, so a worker that gets the request waits
    for the whole body."""

    def __init__(self, address: tuple[str, int], n: int, path: str = "/account/login/"):
        self.address, self.n, self.path = address, n, path
        self.running = True
        self.bytes_sent = [0] * n
        self.reconnects = [0] * n
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)
        ]

    def __enter__(self) -> SlowBodies:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(timeout=5)

    def _run(self, i: int) -> None:
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken={'a' * 32}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
        ).encode()
        while self.running:
            try:
                with socket.create_connection(self.address, timeout=5) as sock:
                    sock.sendall(head)
                    while self.running:
                        sock.sendall(b"a")
                        self.bytes_sent[i] += 1
                        time.sleep(1)
            except OSError:
                self.reconnects[i] += 1
                time.sleep(0.2)


def timed_gets(url: str, duration: float, timeout: float, **kwargs) -> list[tuple[int, float]]:
    """GET ``url`` one after another for ``duration`` seconds: (status, seconds) each; status 0
    for a request that got no answer within ``timeout`` (counted as ``timeout`` seconds)."""
    import requests

    results = []
    end = time.monotonic() + duration
    with requests.Session() as http:
        http.trust_env = False  # no proxy, no CA bundle from the environment
        while time.monotonic() < end:
            http.cookies.clear()
            t0 = time.perf_counter()
            try:
                status = http.get(url, timeout=timeout, allow_redirects=False, **kwargs).status_code
            except requests.RequestException:
                status = 0
            results.append((status, time.perf_counter() - t0))
    return results


def raw_request(address: tuple[str, int], head: str, *, source: str | None = None) -> bytes:
    """Send ``head`` (request line and headers, no body) and return what the server answers
    before closing or within 10 s."""
    sock = socket.create_connection(
        address, timeout=10, source_address=(source, 0) if source else None
    )
    with sock:
        sock.sendall(head.encode())
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            pass
    return answer


def tls_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


# ------------------------------------------------------------------------ P8


def p8(base_env: dict[str, str], window: float, slow: int = 20) -> list[tuple]:
    """Login page latency while ``slow`` clients trickle bodies: proxy + gunicorn as deployed,
    against gunicorn alone (how the compose file published it before)."""
    if nginx_binary() is None:
        return [("P8", "login page with slow clients", "nginx not installed", "", "")]
    env = {**environment(base_env), "DJANGO_SECURE_SSL_REDIRECT": "false"}
    figures = {}
    for proxy in (True, False):
        shape = DeployedShape(env, proxy=proxy).start()
        try:
            url = f"{shape.http_url}/account/login/"
            with SlowBodies(shape.front, slow):
                time.sleep(3)  # every slow client connected and trickling
                results = timed_gets(url, window, timeout=GET_TIMEOUT)
            figures[proxy] = results
        finally:
            shape.stop()
            shutil.rmtree(shape.folder, ignore_errors=True)

    def summary(results):
        times = [t for _, t in results]
        failed = sum(1 for status, _ in results if status != 200)
        return core.percentile(times, 95), len(results), failed

    p95, n, failed = summary(figures[True])
    p95_naive, n_naive, failed_naive = summary(figures[False])
    return [
        (
            "P8",
            f"login page p95 while {slow} clients send bodies at 1 byte/s ({window:.0f} s)",
            f"proxy + gunicorn: p95 {p95 * 1000:.0f} ms, {n - failed}/{n} answered 200",
            f"gunicorn alone: p95 {p95_naive:.1f} s, {n_naive - failed_naive}/{n_naive} "
            f"answered 200 within {GET_TIMEOUT:.0f} s",
            core.ratio(p95, p95_naive),
        )
    ]
