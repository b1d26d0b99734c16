"""The caseworkers' web desk: the callback queue, accounts, content gaps and statistics in a browser.

It is a channel for staff, beside the platform adapters: it uses the store and the staff queue, and nothing in
the core imports it."""
