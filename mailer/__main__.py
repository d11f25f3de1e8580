"""`python -m mailer` is the `mailer` command."""

from .cli import main

main()
