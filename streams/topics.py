"""The three topics the app reads and writes (names from the settings), raw bytes in and out.

Values stay the partner's original bytes end to end: the stream validates them, it never
re-serialises them, so the raw store and the dead letters keep exactly what was sent.
"""

from __future__ import annotations

from infra.settings import settings
from streams.app import app

inbound = app.topic(settings().topic_inbound, key_type=bytes, value_type=bytes,
                    key_serializer="raw", value_serializer="raw", allow_empty=True)
events = app.topic(settings().topic_events, key_type=bytes, value_type=bytes,
                   key_serializer="raw", value_serializer="raw")
dead_letters = app.topic(settings().topic_dlq, key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw", allow_empty=True)
