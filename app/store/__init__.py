"""The applicant's document store (kho dữ liệu): what they submitted and what was issued to
them, kept to be downloaded again and reused in a new dossier instead of another upload."""
