"""mailer: the campaign and mailbox service of the 'Protégeons les personnes' team."""

__version__ = "0.1.0"
