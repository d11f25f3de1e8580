"""Work that needs the store and both wings, above them: the one-click unsubscribe endpoint."""
