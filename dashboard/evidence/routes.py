"""``/evidence/<id>``: an evidence file for signed-in users.

PDF and images are sent ``inline`` (they open in a new tab), everything else as an
attachment; ``?download=1`` always downloads. The content type is the one detected at
upload, never guessed from the name, and nosniff keeps the browser from guessing either.
The response has its own strict Content-Security-Policy (no scripts at all); a removed
file is served to the office only.
"""
from __future__ import annotations

from flask import abort, request, send_file

from ..permissions import current_identity

PATH = "/evidence/"
# Nothing in an evidence response may run script; the PDF viewer needs plugin content from this origin.
FILE_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def href(evidence_id: int, download: bool = False) -> str:
    return f"{PATH}{evidence_id}" + ("?download=1" if download else "")


def register(app, service) -> None:
    server = app.server

    @server.get(PATH + "<int:evidence_id>")
    def evidence_file(evidence_id: int):
        ident = current_identity()
        if ident is None:
            abort(401)
        row = service.evidence.get(evidence_id)
        if row is None or (row.removed and not ident.is_admin):
            abort(404)
        path = service.evidence.path(row)
        if not path.is_file():
            abort(404)
        attach = bool(request.args.get("download")) or not row.inline
        resp = send_file(path, mimetype=row.content_type, as_attachment=attach, download_name=row.name,
                         conditional=True, max_age=0)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Evidence-Sha256"] = row.sha256
        return resp

    # Registered before dashboard.security's after_request, hence run after it: replaces its CSP.
    @server.after_request
    def _file_csp(response):
        if request.path.startswith(PATH):
            response.headers["Content-Security-Policy"] = FILE_CSP
        return response
