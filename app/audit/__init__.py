"""The audit trail: who read or changed what, appended in the caller's transaction and chained
by SHA-256, so that a row changed, deleted or moved afterwards is found by ``verify``. Knows
nothing of HTTP: the faces pass the actor and the address in."""
