"""One hierarchy for every error mailer reports to a person.

The CLI turns any `MailerError` into a clear message and a non-zero exit; anything else is a bug.
"""


class MailerError(Exception):
    """Base of every expected error."""


class ConfigError(MailerError):
    """The configuration file is missing, unreadable or has a bad key (named in the message)."""


class StoreError(MailerError):
    """The store cannot be read or written."""


class ImportFileError(MailerError):
    """A CSV file cannot be read at all (rows with problems are reported, not raised)."""


class CampaignError(MailerError):
    """A campaign file is invalid, or the requested operation is not allowed in its state."""


class AudienceError(CampaignError):
    """An audience expression names something that does not exist."""


class TemplateError(MailerError):
    """A template cannot be loaded or rendered; the message names the file and line."""


class RecipientDataError(MailerError):
    """One recipient's values cannot go into a message: that recipient fails alone.

    The only error a sender journals as a permanent failure of a recipient it could not build;
    any other error while building stops the send (a bug must not fail people forever).
    """


class HeaderInjectionError(RecipientDataError):
    """A value meant for a header contains CR, LF or another control character."""


class CampaignBusyError(CampaignError):
    """Another process is already sending this campaign."""


class SendError(MailerError):
    """Delivery of one message failed."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporarySendError(SendError):
    """4xx reply, dropped connection or timeout: worth retrying later."""


class UnknownOutcomeError(TemporarySendError):
    """The connection died after the message was sent and before the server's reply.

    It may have been delivered: sending it again is the one duplicate the sender allows.
    """


class PermanentSendError(SendError):
    """5xx reply: never retried for that recipient."""


class JournalError(MailerError):
    """A delivery journal (a campaign's, or the inbox answers') cannot be written (a full disk):
    the send stops at once, before any message it could not record.

    Not an OSError on purpose: the sender treats an OSError as a lost connection.
    """
