"""Server-rendered HTML for large, read-only blocks (the overview's traffic-light board).

Why not Dash components: dash-renderer 4 wraps every component in its own
connected wrapper, and the board's ~800 components took 1.3 s of main-thread
time to mount in Chromium on the benchmark machine - most of the overview's
page-ready time (docs/performance.md). The same markup as one string, injected
by ``assets/monitor_html.js``, mounts in a few milliseconds.

Every text from the registry or the database is escaped here. The markup
mirrors :mod:`dashboard.components` (light, progress bar, trend arrow), so the
CSS and the tests' selectors (``[data-status]``, ``.ind-link``, ...) apply unchanged.
"""
from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Optional

from indicators.statuses import SEVERITY, Status

from . import datastatus
from .components import TREND_ARROWS


def attrs(**kw) -> str:
    """` name="value"` pairs; underscores become dashes (data_status -> data-status), class_ -> class."""
    out = []
    for k, v in kw.items():
        if v is None or v is False:
            continue
        name = "class" if k == "class_" else k.replace("_", "-")
        out.append(f" {name}" if v is True else f' {name}="{escape(str(v), quote=True)}"')
    return "".join(out)


@lru_cache(maxsize=4096)   # pure, and asked for per board row: 7 statuses x the indicators
def light(status: Status, indicator_id: str = "", size: str = "", stale: bool = False) -> str:
    """As :func:`dashboard.components.light`: colour + shape + label."""
    s = Status(status)
    cls = f"light light-{s.value} {size} {'light-stale' if stale else ''}".split()
    title = s.label + ("(沿用最近一次填报)" if stale else "")
    return (f"<span{attrs(class_=' '.join(cls), title=title, data_status=s.value, data_indicator=indicator_id)}>"
            f'<span class="light-shape" aria-hidden="true">{s.shape}</span>'
            f'<span class="light-label">{escape(s.label)}</span></span>')


@lru_cache(maxsize=64)
def data_badge(status: Optional[str]) -> str:
    """As :func:`dashboard.components.data_badge`; "" for a figure without a data status."""
    if not status:
        return ""
    return (f"<span{attrs(class_=f'data-badge data-badge-{status}', title=datastatus.EXPLANATIONS[status], data_review=status)}>"
            f"{escape(datastatus.label(status))}</span>")


def data_status_line(ds) -> str:
    """The overview's line under the status counts: how many of the quarter's figures are approved."""
    text = "数据审核:" + ds.summary_text()
    if ds.approved < ds.reported:
        text += "标有“待审核”“已退回”“未报送”的数值尚未经领导小组办公室审核。"
    return f"<p{attrs(class_='data-approved-line', data_approved=ds.approved, data_reported=ds.reported)}>{escape(text)}</p>"


def baseline_pending_line(results, href: str) -> str:
    """The overview's line "N项基线待录入": indicators whose baseline is a stand-in (or missing),
    linking to the 基线与参照值 page where the office enters them. Empty when there are none."""
    n = sum(1 for r in results if r.baseline_pending)
    if not n:
        return ""
    return (f"<p{attrs(class_='baseline-pending-line', data_baseline_pending=n)}>"
            f"{n}项基线待录入:进度暂以最早的填报值代替基线。{link('前往录入', href, 'baseline-link')}</p>")


def baseline_pending_note(result) -> str:
    """The stand-in said next to a target: "基线待录入,暂以2024年第1季度值代替"."""
    text = result.baseline_pending_text
    return f'<span class="baseline-pending">{escape(text)}</span>' if text else ""


def progress_bar(p: Optional[float], status: Status) -> str:
    """As :func:`dashboard.components.progress_bar`."""
    pct = 0 if p is None else max(0.0, min(p, 1.0)) * 100
    label = "—" if p is None else f"{p * 100:.0f}%"
    return (f'<div class="pbar" title="完成进度 {label}">'
            f'<div class="pbar-fill bg-{Status(status).value}" style="width: {pct:.0f}%;"></div>'
            f'<span class="pbar-label">{label}</span></div>')


@lru_cache(maxsize=64)
def trend_arrow(trend: Optional[str]) -> str:
    arrow, text = TREND_ARROWS.get(trend or "", ("·", "无上季度数据"))
    return f'<span class="trend trend-{escape(trend or "none")}" title="{text}">{arrow}</span>'


def link(text: str, href: str, class_: str = "") -> str:
    """An in-app link; ``data-dash-link`` makes assets/monitor_html.js navigate without a reload, like dcc.Link."""
    return f"<a{attrs(class_=class_ or None, href=href, data_dash_link=True)}>{escape(text)}</a>"


def table(head: list[str], rows: list[str], class_: str) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f'<table class="{class_}"><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def legend() -> str:
    """The seven lights in severity order, as the legend beside the counts."""
    return '<div class="legend" aria-label="图例">' + "".join(light(s) for s in SEVERITY) + "</div>"


def status_counts(counts: dict, total: int) -> str:
    """As :func:`dashboard.components.status_counts`: a cell per status, then the total."""
    cells = []
    for s in SEVERITY:
        n = counts.get(s.value, counts.get(s, 0))
        cells.append(f'<div class="count-cell" data-count-status="{s.value}">{light(s, size="light-sm")}'
                     f'<span class="count-n">{int(n)}</span></div>')
    cells.append('<div class="count-cell count-total"><span class="count-total-label">合计</span>'
                 f'<span class="count-n">{int(total)}</span></div>')
    return '<div class="status-counts">' + "".join(cells) + "</div>"


def demo_banner() -> str:
    """The strip that says the data are the demo's (below the top bar; shown in print and on the wall screen)."""
    return ('<div class="alert alert-warning demo-banner mb-0 rounded-0 py-1 text-center" id="demo-banner" role="note">'
            "<strong>示例数据</strong> · 本页显示的是虚构的演示数据,仅用于体验功能,不代表任何单位的真实填报。</div>")


def navbar(links: list[tuple], active: Optional[str], nav_id: str, menu: str = "") -> str:
    """The top bar, as dbc.Navbar drew it: brand, page links (``active`` marks the current
    path; assets/monitor_html.js moves the mark on in-app navigation) and ``menu`` (HTML).
    A link is (label, path[, keys]): ``keys`` of the current address's query that the link
    carries (data-keep; monitor_html.js writes them into its href)."""
    def item(label, href, keep=()):
        a = attrs(class_="px-3 nav-link" + (" active" if href == active else ""), href=href, data_dash_link=True,
                  data_nav=href, data_keep=" ".join(keep) or None)
        return f"<a{a}>{escape(label)}</a>"

    # Below 768 px the links and the user menu fold behind a toggler (菜单), so that on a phone
    # the page starts at the top of the screen; assets/monitor_html.js opens and closes it.
    items = "".join(item(*link) for link in links)
    collapse = f"{nav_id}-collapse"
    toggler = (f"<button{attrs(class_='navbar-toggler', type='button', data_nav_toggle=True, aria_controls=collapse, aria_expanded='false', aria_label='展开菜单')}>"
               '<span class="navbar-toggler-icon" aria-hidden="true"></span><span class="toggler-text">菜单</span></button>')
    return ('<nav class="py-1 no-print navbar navbar-expand-md navbar-dark bg-dark"><div class="container-fluid">'
            '<a class="fw-bold navbar-brand" href="/" data-dash-link>知识产权强县试点监测平台</a>'
            f'{toggler}<div{attrs(class_="collapse navbar-collapse", id=collapse)}>'
            f'<div{attrs(class_="me-auto navbar-nav", id=nav_id)}>{items}</div>{menu}</div></div></nav>')
