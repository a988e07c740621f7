"""The standard forms rendered to PDF and spreadsheets, issued documents kept on dossiers, and
the signing and verification of PDFs."""
