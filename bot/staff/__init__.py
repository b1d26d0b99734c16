"""Caseworkers' tools: the callback queue from the command line and the Telegram staff group."""
