"""Fees of procedures and their payment online: assessment, gateways, refunds, reconciliation."""
