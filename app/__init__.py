"""motcua: the one-stop shop for online public services."""
