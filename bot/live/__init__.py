"""Live chats between a person and a caseworker: the relay (take, reply, close, the clock) and the staff group's
notices. The person's side is a core flow (bot/core/flows/handoff.py); the desk's pages are bot/desk/pages_live.py."""
