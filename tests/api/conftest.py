"""Fixtures and settings shared by the API tests."""

from __future__ import annotations

import schemathesis

# tus PATCH bodies are raw bytes under their own media type: schemathesis sends them as it sends
# application/octet-stream (it knows no serializer for the tus type otherwise).
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
