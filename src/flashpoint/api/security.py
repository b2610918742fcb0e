"""What every answer of the server carries for the browser's safety, and which hosts it answers.

Headers: a Content-Security-Policy that lets pages load only the server's own scripts, styles
and images (Vega compiles its chart expressions, hence ``'unsafe-eval'``; vega-embed sets inline
styles), refuses framing, and sends no referrer; ``X-Content-Type-Options: nosniff``. The API's
``/docs`` and ``/redoc`` pages load Swagger UI and ReDoc from the server too (fastapi-offline,
under :data:`DOCS_ASSETS`), with the inline script that starts them. The Host header is checked
against ``api_allowed_hosts``, so a page of another site that rebinds its name to this machine
(DNS rebinding) gets no answer.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_POLICY: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
#: Where the API's documentation pages find Swagger UI and ReDoc.
DOCS_ASSETS: Final = "/docs/assets"
_DOCS_POLICY: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)
_COMMON: Final = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"))


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP answer (cached ones included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/redoc") or scope["path"].startswith("/docs/")
        policy = (_DOCS_POLICY if docs else _POLICY).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in (*_COMMON, (b"content-security-policy", policy)) if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def allowed_hosts(setting: str, /) -> list[str]:
    """The host names of the ``api_allowed_hosts`` setting (comma-separated; '*' allows any)."""
    return [h.strip() for h in setting.split(",") if h.strip()]
