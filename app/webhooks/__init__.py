"""Callbacks: events of dossiers, subscriptions, signed deliveries."""
