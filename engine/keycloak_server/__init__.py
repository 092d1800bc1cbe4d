"""Keycloak as the cabinet's identity server: a local instance (tests, ``cabinet stack``) and what
an operator does in its admin REST API."""
