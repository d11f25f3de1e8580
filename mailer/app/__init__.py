"""Work that needs the store and both wings, above them (ARCHITECTURE.md): the one-click unsubscribe
endpoint, a person's export and erasure."""
