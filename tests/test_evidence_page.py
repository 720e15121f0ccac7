"""The detail page's 佐证材料 section (its upload function) and the ``/evidence/<id>`` route."""
from __future__ import annotations

import base64

import pytest

from dashboard import Settings, accounts, create_app
from dashboard.evidence.page import decode_data_url, upload_files
from dashboard.permissions import Identity
from data.evidence import Office
from tests import evidence_files as f
from tests.test_auth import PASSWORD, signed_in

IND, REGION, Q = "anning_invention_grants_annual", "安宁市", "2025Q2"
UNIT = "市市场监管局"


def data_url(data: bytes, mime="application/pdf") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@pytest.fixture
def app(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'ev.db'}", secret_key="e" * 40))
    ext = app.server.extensions["monitor"]
    store, registry = ext["store"], ext["registry"]
    store.ensure_region("anning", REGION)
    accounts.create_user(store, registry, "boss", "admin", PASSWORD, "办公室")
    accounts.create_user(store, registry, "leader", "viewer", PASSWORD, "县领导")
    accounts.create_user(store, registry, "rep", "reporter", PASSWORD, UNIT, [UNIT], ["anning"])
    return app


def service_of(app):
    return app.server.extensions["monitor"]["service"]


def test_the_evidence_directory_is_next_to_the_database(app, tmp_path):
    assert service_of(app).evidence.blobs.root == tmp_path / "ev-evidence"


def test_several_files_in_one_drop_each_get_a_message(app):
    svc = service_of(app)
    rep = Identity("rep", "填报员", "reporter", (UNIT,), ("anning",))
    msgs = upload_files(svc, rep, IND, REGION, Q, ["a.pdf", "b.pdf", "c.pdf"],
                        [data_url(f.pdf("a")), data_url(f.exe()), "data:application/pdf;base64,@@@"], "季度材料")
    assert [c for c, _ in msgs] == ["success", "danger", "danger"]
    assert "已上传“a.pdf”" in msgs[0][1] and "可执行程序" in msgs[1][1] and "上传数据损坏" in msgs[2][1]
    [row] = svc.evidence.rows()
    assert (row.name, row.note, row.uploaded_by) == ("a.pdf", "季度材料", "rep")


def test_a_viewers_upload_is_refused_and_stores_nothing(app):
    svc = service_of(app)
    [(color, msg)] = upload_files(svc, Identity("leader", "县领导", "viewer"), IND, REGION, Q, "a.pdf",
                                  data_url(f.pdf()))
    assert color == "danger" and "只读账号" in msg
    assert svc.evidence.rows() == [] and not svc.evidence.blobs.root.exists()


def test_a_file_over_the_limit_is_refused_without_decoding(app):
    svc = service_of(app)
    big = "data:application/pdf;base64," + "A" * (28 * 1024 * 1024)     # 21 MB once decoded
    assert decode_data_url(big, 20 * 1024 * 1024) == (None, 21 * 1024 * 1024)
    [(color, msg)] = upload_files(svc, Office("x"), IND, REGION, Q, ["大文件.pdf"], [big])
    assert color == "danger" and "大文件.pdf" in msg and "超过上限20 MB" in msg
    assert svc.evidence.rows() == []


def test_the_route_serves_signed_in_users_with_the_right_headers(app):
    ev = service_of(app).evidence
    pdf = ev.add(Office("boss"), IND, REGION, Q, "通知.pdf", f.pdf())
    xlsx = ev.add(Office("boss"), IND, REGION, Q, "清单.xlsx", f.xlsx())
    anon = app.server.test_client()
    resp = anon.get(f"/evidence/{pdf.id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    client = signed_in(app, "leader")
    resp = client.get(f"/evidence/{pdf.id}")
    assert resp.status_code == 200 and resp.data == f.pdf()
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src" not in resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    resp = client.get(f"/evidence/{pdf.id}?download=1")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    resp = client.get(f"/evidence/{xlsx.id}")
    assert resp.headers["Content-Disposition"].startswith("attachment") and "xlsx" in resp.headers["Content-Disposition"]
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert client.get("/evidence/999").status_code == 404


def test_a_removed_file_is_served_to_the_office_only(app):
    ev = service_of(app).evidence
    row = ev.add(Office("boss"), IND, REGION, Q, "通知.pdf", f.pdf())
    ev.remove(Office("boss"), row.id, "传错了")
    assert signed_in(app, "leader").get(f"/evidence/{row.id}").status_code == 404
    assert signed_in(app, "boss").get(f"/evidence/{row.id}").status_code == 200
