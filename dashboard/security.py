"""HTTP hardening of every response (docs/security.md).

* Security headers on every response, the sign-in page, Dash's JSON and static
  files alike: a Content-Security-Policy that the pages pass (scripts only from this
  server plus the hashes of Dash's own inline scripts; inline styles, which Plotly
  and Dash components set, are allowed), ``frame-ancestors 'none'`` and
  X-Frame-Options against framing, nosniff, and a Referrer-Policy that keeps the
  Referer within the site (``/_dash-layout`` reads the page from it).
* ``Cache-Control: no-store`` on everything but static code (/assets/ and Dash's
  component bundles), so Back after 退出 does not show figures from the cache. Static
  code carries no session cookie and no ``Vary: Cookie`` (``_SessionInterface``).
* The session cookie is ``Secure`` when SESSION_COOKIE_SECURE is set or the request
  came over HTTPS; behind a reverse proxy that terminates TLS, TRUST_PROXY=N makes
  werkzeug's ProxyFix take the scheme and client address from the last N proxies'
  X-Forwarded-Proto/-For headers (only then: otherwise anyone could claim them).
* The ``Server`` header names no versions.
"""
from __future__ import annotations

from dash import Dash
from flask import request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from .settings import Settings

STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/")


def content_security_policy(script_hashes) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(script_hashes),
        # Plotly and the Dash components write style attributes and <style> elements.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def is_static(path: str) -> bool:
    return path.startswith(STATIC_PREFIXES)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, Secure also whenever the request itself is HTTPS, and never on
    static code.

    A signed-in session's cookie changes on every request (it carries the time last seen), and
    Flask sends it, with ``Vary: Cookie``, on every response that read the session: on scripts
    and stylesheets a cache keying on that header would keep a copy per request, and each of a
    page's parallel static responses rewrote the cookie. They are the same for every user, so
    they carry neither (the page, its layout and its callbacks still renew the session)."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def save_session(self, app, session, response) -> None:
        if is_static(request.path):
            return None
        return super().save_session(app, session, response)


def response_headers(script_hashes) -> dict[str, str]:
    """The headers every response carries (see the module's docstring)."""
    return {
        "Content-Security-Policy": content_security_policy(script_hashes),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Server": "ipm",
    }


def install_headers(server, script_hashes) -> None:
    """Send :func:`response_headers` with every response of ``server`` (a Flask app), and
    ``no-store`` with everything but static code that was found. The benchmark's hello world
    is served through this too, so that page ready compares pages under the same HTTP policy
    (docs/performance.md)."""
    headers = response_headers(script_hashes)

    @server.after_request
    def _headers(response):
        response.headers.update(headers)
        if not is_static(request.path) or response.status_code not in (200, 304):
            response.headers["Cache-Control"] = "no-store"
        return response


def init_security(app: Dash, settings: Settings) -> None:
    """Call last in create_app: the CSP hashes cover the inline scripts of every registered callback."""
    server = app.server
    if settings.trust_proxy:
        n = settings.trust_proxy
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=0, x_port=0, x_prefix=0)
    server.session_interface = _SessionInterface()
    install_headers(server, app.csp_hashes())
