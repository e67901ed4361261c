"""The partners' HTTP way in: CloudEvents over HTTP, each partner bound to its authority, and
each partner's own view of what became of what it sent. See ``producers.gateway.app``."""
