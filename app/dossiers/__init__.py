"""Dossiers: drafts, files, submission, dossier codes, withdrawal and public lookup."""
