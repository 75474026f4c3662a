"""A stateful simulator of Openapi's PEC API and of the OAuth v2 endpoints the portal uses.

Run it with ``python -m pec_sandbox --host 127.0.0.1 --port 8765 --state data/sandbox.json``.
No Django here; it imports ``openapi_pec.domains``/``openapi_pec.prices`` for shared constants.
"""
