"""Long-running commands: the embedded capture server (`dev-smtp`) and the service."""
