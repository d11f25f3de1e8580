"""The one-click unsubscribe endpoint (RFC 8058): `BASE_URL/u/TOKEN`, served while `mailer serve` runs.

List-Unsubscribe advertises the link as soon as `[web] base_url` is set, so the service must then
answer it. A werkzeug WSGI application under waitress (a pure-Python production server), on
`[web] listen`, meant to sit behind the association's reverse proxy, which terminates TLS:
- POST unsubscribes at once, with the scope the token carries (`all` or `bulletin`): what a
  mailbox provider sends (`List-Unsubscribe=One-Click`) and what the page's button sends;
- GET shows a French page with that button and changes nothing: link scanners follow GETs;
- `BASE_URL/k/TOKEN` (given in the "c'est fait" mail of an unsubscribe from everything read in
  free text) works the same way, and on POST narrows that unsubscribe to the bulletin;
- anything else under or beside the path, a token we never issued or a malformed one, gets one
  and the same 404 page, naming no address.
Tokens are resolved as the inbox resolves them (`Reader.refresh_tokens`: every address the store
and the frozen audiences hold), refreshed on each request at the cost of a few `stat` calls.
"""

from __future__ import annotations

import errno
import logging
import threading
from urllib.parse import urlsplit

from waitress import wasyncore
from waitress.server import create_server
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..config import Config
from ..errors import MailerError
from ..inbound.pipeline import Reader
from ..models import SuppressionReason
from ..registry import narrow, suppress
from ..store import Store
from ..tokens import KEEP, UNSUBSCRIBE
from .pages import confirm_page, done_page, keep_page, kept_page, not_found_page, unavailable_page

__all__ = ["SOURCE", "UnsubscribeApp", "WebEndpoint", "WebError"]

log = logging.getLogger(__name__)

SOURCE = "one-click (web)"           # the suppression's source: how the person left
MAX_BODY = 64 << 10                  # a one-click POST carries "List-Unsubscribe=One-Click"
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


class WebError(MailerError):
    """The endpoint cannot start (port taken, address unavailable...)."""


class UnsubscribeApp:
    """The WSGI application: two routes, `<path of base_url>/u/<token>` and `.../k/<token>`."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config, self.store = config, store
        prefix = urlsplit(config.web.base_url).path.rstrip("/")
        self.routes = Map([Rule(f"{prefix}/u/<token>", endpoint="unsubscribe", methods=["GET", "POST"]),
                           Rule(f"{prefix}/k/<token>", endpoint="keep", methods=["GET", "POST"])])
        self.reader = Reader(config, store, store.secret(config.security.secret_env))
        self._lock = threading.Lock()         # waitress answers from several threads

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        try:
            endpoint, args = self.routes.bind_to_environ(request.environ).match()
        except MethodNotAllowed as exc:
            return self._page("", exc.code, {"Allow": ", ".join(exc.valid_methods or ())})
        except HTTPException:
            return self._not_found()
        if endpoint == "keep":
            return self._keep(request, args["token"])
        found = self._resolve(args["token"])
        if found is None:
            return self._not_found()
        address, scope = found
        if request.method != "POST":
            return self._page(confirm_page(self.config.team.name, scope))
        try:
            suppress(self.store, address, SuppressionReason.UNSUBSCRIBE, scope, SOURCE)
        except (MailerError, OSError) as exc:     # a full disk: say so, and let the person retry
            log.error("web: one-click unsubscribe not recorded: %s", exc)
            return self._page(unavailable_page(self.config.team.name), 503, {"Retry-After": "300"})
        log.info("web: one-click unsubscribe recorded (scope %s)", scope)   # never the address nor the token
        return self._page(done_page(self.config.team.name, scope))

    def _keep(self, request: Request, token: str) -> Response:
        address = self._resolve_keep(token)
        if address is None:
            return self._not_found()
        if request.method != "POST":
            return self._page(keep_page(self.config.team.name))
        try:
            kept = narrow(self.store, address, SOURCE, "web")
        except (MailerError, OSError) as exc:
            log.error("web: keeping the other mailings not recorded: %s", exc)
            return self._page(unavailable_page(self.config.team.name), 503, {"Retry-After": "300"})
        log.info("web: other mailings kept: %s", "narrowed to the bulletin" if kept else "nothing to narrow")
        return self._page(kept_page(self.config.team.name, kept is not None))

    def _resolve_keep(self, token: str) -> str | None:
        if not _well_formed(token):
            return None
        with self._lock:
            self.reader.refresh_tokens()
            return self.reader.tokens.address(token, KEEP)

    def _resolve(self, token: str) -> tuple[str, str] | None:
        """(address, scope) of an unsubscribe token we issued; None for anything else."""
        if not _well_formed(token):
            return None
        with self._lock:
            self.reader.refresh_tokens()
            address = self.reader.tokens.address(token, UNSUBSCRIBE)
            scope = self.reader.tokens.scope(token)
        return (address, scope) if address and scope else None

    def _not_found(self) -> Response:
        return self._page(not_found_page(self.config.team.name), NotFound.code)

    @staticmethod
    def _page(html: str, status: int = 200, extra: dict[str, str] | None = None) -> Response:
        return Response(html, status, HEADERS | (extra or {}), content_type="text/html; charset=utf-8")


def _well_formed(token: str) -> bool:
    return token.isalnum() and len(token) <= 64


class WebEndpoint:
    """The application under waitress, in a thread of its own; `start()` fails at once on a busy port."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.app = UnsubscribeApp(config, store)
        host, _, port = config.web.listen.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self._map: dict = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> WebEndpoint:
        try:
            self._server = create_server(self.app, map=self._map, host=self.host, port=self.port, threads=2,
                                         ident="mailer", clear_untrusted_proxy_headers=True,
                                         max_request_body_size=MAX_BODY)
        except OSError as exc:
            raise WebError(self._start_error(exc)) from None
        self._thread = threading.Thread(target=self._run, name="mailer-web", daemon=True)
        self._thread.start()
        log.info("unsubscribe endpoint listening on %s:%d for %s/u/...", self.host, self.port,
                 self.config.web.base_url)
        return self

    def _run(self) -> None:
        """waitress's loop, a turn at a time, so that stopping closes every socket from this thread."""
        while not self._stop.is_set():
            wasyncore.loop(timeout=0.2, map=self._map, count=1)
        self._server.close()
        for channel in list(self._map.values()):
            channel.close()
        self._server.task_dispatcher.shutdown()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
            log.info("unsubscribe endpoint stopped")

    def _start_error(self, exc: OSError) -> str:
        where = f"cannot start the unsubscribe endpoint on {self.host}:{self.port}"
        if exc.errno == errno.EADDRINUSE:
            why = "the port is in use (another mailer serve?)"
        elif exc.errno == errno.EACCES:
            why = "this user may not listen on that port (ports below 1024 need root)"
        else:
            why = str(exc) or type(exc).__name__
        return f"{where}: {why}; stop it, or set web.listen in {self.config.source}"
