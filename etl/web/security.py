"""Who may use the page: the holder of the access token printed by `etl serve`.

The first visit carries the token in the URL (`/?token=…`, as Jupyter does); the answer sets
it as a cookie and redirects to the same address without it, so it does not stay in the
address bar or the browser history. Every later request needs the cookie. Requests that
change something (every method but GET/HEAD) also need the CSRF token that the pages carry,
in the `X-CSRF-Token` header (scripts) or the `csrf` query parameter (plain forms), and an
`Origin` (when the browser sends one) of this very server. The cookie is SameSite=Strict and
HttpOnly, and when the server listens on loopback only loopback host names are answered,
which stops a web site from reaching the page by DNS rebinding.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD"})
TOKEN_PARAMETER = "token"
CSRF_PARAMETER = "csrf"
CSRF_HEADER = "x-csrf-token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

# "same-origin", not "no-referrer": under no-referrer Chromium sends `Origin: null` with the
# page's own form posts, which the origin check must refuse. Other sites still get no referrer.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

NO_TOKEN_MESSAGE = (
    "This page needs its access link. Open the address that `etl serve` printed when it "
    "started (it ends with ?token=…), or start `etl serve` again for a new one."
)


def csrf_token(access_token: str) -> str:
    """The CSRF token of a server: derived from its access token, so it needs no storage."""
    return hmac.new(access_token.encode(), b"etl-web-csrf", hashlib.sha256).hexdigest()


def loopback_only(host: str) -> bool:
    """Whether the server listens on a loopback address only."""
    return host in LOOPBACK_NAMES or host.startswith("127.")


class AccessGuard:
    """ASGI middleware: token (query, then cookie), CSRF and host checks, security headers."""

    def __init__(self, app: ASGIApp, *, token: str, cookie_name: str,
                 allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf_token(token)
        self.cookie_name = cookie_name
        self.allowed_hosts = frozenset(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await _with_headers(refusal)(scope, receive, send)
            return
        await self.app(scope, receive, _add_security_headers(send))

    def _refusal(self, scope: Scope) -> Response | None:
        """The answer to a request that may not go through, or None to let it in."""
        headers = Headers(scope=scope)
        if self.allowed_hosts and _host_name(headers.get("host", "")) not in self.allowed_hosts:
            return PlainTextResponse("Unknown host name: open the address etl serve printed.", 421)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if _same(query.get(TOKEN_PARAMETER), self.token):
            return self._enter(scope, query)
        if not _same(_cookie(headers, self.cookie_name), self.token):
            return PlainTextResponse(NO_TOKEN_MESSAGE, 403)
        if scope["method"] not in SAFE_METHODS:
            if not _same(headers.get(CSRF_HEADER) or query.get(CSRF_PARAMETER), self.csrf):
                return PlainTextResponse("This form has expired: reload the page and try again.", 403)
            if not _same_origin(headers):
                return PlainTextResponse("Refused: the request came from another web site.", 403)
        return None

    def _enter(self, scope: Scope, query: dict[str, str]) -> Response:
        """The first visit: remember the token in a cookie and drop it from the address."""
        rest = {k: v for k, v in query.items() if k != TOKEN_PARAMETER}
        location = scope["path"] + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(location, status_code=303)
        response.set_cookie(self.cookie_name, self.token, httponly=True, samesite="strict", path="/")
        return response


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _cookie(headers: Headers, name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    for header in headers.getlist("cookie"):
        try:
            jar.load(header)
        except CookieError:  # a malformed Cookie header is no cookie, not an error
            continue
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def _host_name(host: str) -> str:
    """`127.0.0.1:8765` → `127.0.0.1`, `[::1]:8765` → `::1`."""
    return urlsplit(f"//{host}").hostname or ""


def _same_origin(headers: Headers) -> bool:
    """An Origin header, when the browser sends one, must name this server."""
    origin = headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == headers.get("host", "")


def _with_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _add_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                if name not in headers:
                    headers[name] = value
        await send(message)

    return sending
