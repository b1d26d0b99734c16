"""Thin adapters from platforms to the conversation core."""
