"""What partner systems run: the publishing SDK and CLI, and the event simulator."""
