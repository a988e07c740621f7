"""Accounts: citizens and enterprise staff sign up and sign in; officials of agencies with their
roles and units; sessions and throttling; API keys of enterprises and agencies."""
