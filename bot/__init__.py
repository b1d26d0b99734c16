"""Migrant hotline assistant: FAQ, resource centres, reintegration pre-check and callback requests."""

__version__ = "0.1.0"
