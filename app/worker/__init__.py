"""The job runner: drains the outbox after the transactions that wrote it have committed."""
