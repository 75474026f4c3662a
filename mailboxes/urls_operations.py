"""URLs of the operations on active boxes (issue 5): renew, revoke, enlarge, preservation,
upgrade, extra users, and the expiry page. Included by mailboxes/urls.py."""

urlpatterns: list = []
