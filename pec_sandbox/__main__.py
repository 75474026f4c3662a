"""``python -m pec_sandbox --host 127.0.0.1 --port 8765 --state data/sandbox.json``"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .server import serve
from .state import Sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pec_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0: any free port (printed first)")
    parser.add_argument("--state", default="data/sandbox.json", help="JSON state file")
    parser.add_argument(
        "--evasione-seconds",
        type=float,
        default=5.0,
        help="delay in_evasione -> evasa/documenti_errati (default 5)",
    )
    parser.add_argument(
        "--comunica-seconds",
        type=float,
        default=5.0,
        help="delay of each automatic comunica step (default 5)",
    )
    parser.add_argument("--credit", default="1000.00", help="starting wallet credit (EUR)")
    parser.add_argument(
        "--domain",
        action="append",
        dest="domains",
        help="account-owned certified domain (repeatable; default studio-demo.it)",
    )
    parser.add_argument("--owner", default="demo@studio-demo.it", help="account e-mail")
    parser.add_argument("--apikey", default="sandbox-apikey", help="API key accepted by /tokens")
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    sandbox = Sandbox(
        args.state,
        evasione_seconds=args.evasione_seconds,
        comunica_seconds=args.comunica_seconds,
        start_credit=args.credit,
        custom_domains=tuple(args.domains or ("studio-demo.it",)),
        owner=args.owner,
        apikey=args.apikey,
    )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("pec_sandbox").warning(
            "sandbox: listening on %s; /_sandbox/ stays loopback-only", args.host
        )
    try:
        server = serve(args.host, args.port, sandbox)
    except OSError as exc:
        print(
            f"pec_sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    host, port = server.server_address[:2]
    logging.getLogger("pec_sandbox").info("sandbox: serving on http://%s:%s", host, port)
    print(f"pec_sandbox listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
