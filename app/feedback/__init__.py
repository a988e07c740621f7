"""Ratings of the service, feedback and complaints, and the checking of electronic results."""
