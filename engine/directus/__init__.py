"""Directus as the operator's designer: the client, the data model, provisioning, the source."""
