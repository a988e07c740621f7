"""The procedure catalog: agencies, fields, procedures, their versions and search."""
