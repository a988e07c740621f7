"""Accounts: citizens and enterprise staff sign up and sign in; sessions and throttling."""
