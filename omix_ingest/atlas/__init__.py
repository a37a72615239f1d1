"""The embedded local atlas: a SQLite database plus a content-addressed file store, as a Backend."""
