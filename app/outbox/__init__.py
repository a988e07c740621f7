"""The outbox: side effects (e-mails...) written in the caller's transaction, delivered later."""
