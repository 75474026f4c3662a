from portal.remote_calls import RemoteCall


class Intent(RemoteCall):
    """A concrete intent for testing the runner on its own (no migrations: test-only app)."""

    class Meta:
        app_label = "remote_calls_app"
