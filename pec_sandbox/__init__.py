"""A stateful simulator of Openapi's PEC API and of the OAuth v2 endpoints the portal uses.

Run it with ``python -m pec_sandbox --host 127.0.0.1 --port 8765 --state data/sandbox.json``.
No Django and no ``openapi_pec`` here: the sandbox declares what it knows of the API itself
(tables.py), so that it tests the client rather than mirroring it.
"""
