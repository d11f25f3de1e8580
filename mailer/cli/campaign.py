"""`mailer campaign ...`: preview, test, send, status, list, cancel."""
