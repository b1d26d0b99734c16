"""One module per flow; the engine registers them in one place, in a fixed order."""
