"""Idempotency keys of the API: a state-changing request retried with the same key is answered
with its first response instead of being carried out twice (IETF draft "The Idempotency-Key
HTTP Header Field"). Knows nothing of HTTP: the API face passes methods, paths and bodies in."""
