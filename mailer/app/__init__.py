"""Work that needs both wings' files (ARCHITECTURE.md): a person's export and erasure."""
