"""Writes of the comunica flow, one module per concern: creation (a new request, POST
/comunica_pec, paid), procura (the signed .p7m, PATCH /comunica_pec/{id}), calls (the two
at-most-once calls through portal/remote_calls.py), mirror (applying Openapi's answer: the one
place a request changes status), polling (the requests as a remote resource: polls and
callbacks, run by portal/polling.py and portal/callbacks.py), sync, history, notifications.

Callers import the module that defines what they use; services enqueue tasks by name
(portal.remote_calls.enqueue_on_commit) and never import them.
"""
