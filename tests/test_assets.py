"""The vendored Bootstrap is a partial build (scripts/bootstrap/): it must still define every
Bootstrap class the pages and dash-bootstrap-components use, and keep its licence header."""
from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parent.parent / "assets" / "vendor" / "bootstrap" / "bootstrap.min.css").read_text(
    encoding="utf-8-sig")

# From the pages' classNames and the components they use (dbc Navbar, Nav, Alert, Button, Input,
# Select, InputGroup, RadioItems, Switch, Table, Card, Pagination, Badge, Row/Col).
USED = [
    "navbar", "navbar-dark", "navbar-brand", "navbar-nav", "navbar-expand-md", "nav-link", "navbar-toggler",
    "navbar-toggler-icon", "navbar-collapse", "collapse", "container-fluid",
    "row", "col", "col-md-5", "col-lg-3", "g-2", "g-3",
    "btn", "btn-primary", "btn-outline-secondary", "btn-link", "btn-sm", "btn-close",
    "form-control", "form-select", "form-label", "form-text", "form-check", "form-check-input", "form-switch",
    "input-group", "input-group-text",
    "table", "table-sm", "table-striped", "table-hover",
    "card", "card-header", "card-body", "pagination", "page-link", "page-item", "badge",
    "alert", "alert-danger", "alert-warning", "alert-info", "alert-success", "fade", "show",
    "text-bg-success", "text-bg-danger", "text-bg-secondary", "visually-hidden",
    "d-flex", "d-inline", "d-inline-block", "d-print-none", "flex-wrap", "flex-grow-1", "gap-2",
    "align-items-center", "align-items-start", "align-items-baseline", "w-100", "h-100", "rounded-0",
    "me-2", "ms-2", "mb-0", "mt-3", "my-2", "px-3", "py-1", "fw-bold", "fw-semibold", "small", "h6",
    "text-muted", "text-center", "text-nowrap", "text-success", "text-danger", "bg-dark",
]


def test_partial_bootstrap_defines_every_class_in_use():
    defined = set(re.findall(r"\.([a-z][a-z0-9-]*)", CSS))
    missing = [c for c in USED if c not in defined]
    assert missing == []


def test_partial_bootstrap_keeps_licence_and_leaves_out_unused_parts():
    assert "Licensed under MIT" in CSS[:400] and "Bootstrap" in CSS[:400]
    for unused in (".modal{", ".carousel{", ".toast{", ".d-md-none{"):
        assert unused not in CSS
