"""Writes of the mailboxes app, one module per concern: address (the availability check),
history, registration, activation, mirror (applying Openapi's answer: the one place a box
changes status), polling (the boxes as a remote resource: polls and callbacks, run by
portal/polling.py and portal/callbacks.py), sync, retention, notifications.

Views and tasks call these with keyword arguments; nothing here renders or parses HTTP. Callers
import the module that defines what they use; services enqueue tasks by name
(portal.remote_calls.enqueue_on_commit) and never import them.
"""
