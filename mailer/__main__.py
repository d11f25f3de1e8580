"""`python -m mailer` is the `mailer` command."""

from .cli import main

if __name__ == "__main__":
    main()
