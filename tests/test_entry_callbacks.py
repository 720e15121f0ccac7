"""Entry, review and reference logic: validation, all-or-nothing saves, conflicts, locks,
permissions and the Excel upload — called directly and through Dash's HTTP endpoint."""
from __future__ import annotations

import base64
import io
import json
import shutil
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from dashboard import Settings, create_app, ids
from dashboard.entry import forms
from dashboard.entry.forms import FormContext, RowInput, RowMeta
from dashboard.permissions import Identity
from data.store import EditsRejected, LockedError, ValueEdit
from indicators.periods import Quarter

TODAY = date(2026, 11, 23)          # current quarter 2026Q4; the demo runs to 2026Q3
LZ, AN = "luzhou", "anning"
LZ_REGION, AN_REGION = "泸州市", "安宁市"
MARKET = "市市场监管局"
Q4 = Quarter(2025, 4)               # draft for every unit in the demo
CUSTODY = "luzhou_ip_custody_enterprises"      # cumulative, 家, flow: 6 (2025Q3) -> 7
TRANSFERS = "luzhou_patent_transfers"          # cumulative, 次, flow
INCUBATION = "luzhou_hv_patent_incubation_centres"  # cumulative, 家, stock: 1 -> 2
PRODUCTS = "luzhou_patent_intensive_products_filed"  # cumulative, 个, stock: 106 -> 115
SHARE = "luzhou_stock_patent_evaluation_coverage"       # share, %, stock
POOL = "luzhou_patent_resource_pool"           # milestone: 0 (2025Q3) -> 1
FUNDED = "luzhou_funded_research_patent_declaration"  # milestone: 0 -> 0
PLEDGE = "luzhou_ip_pledge_financing"          # 亿元, 市财政局


def reporter(name: str, unit: str, scheme: str = LZ) -> Identity:
    return Identity(name, name, "reporter", (unit,), (scheme,))


ADMIN = Identity("office", "办公室", "admin")
ALICE = reporter("alice", MARKET)
BOB = reporter("bob", MARKET)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The demo database, built once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", demo=True, secret_key="t", login_disabled=True))
    app.server.extensions["monitor"]["service"].store.dispose()  # checkpoints the WAL into the file
    return path


@pytest.fixture
def app(demo_db, tmp_path):
    path = tmp_path / "d.db"
    shutil.copy(demo_db, path)
    return create_app(Settings(database_url=f"sqlite:///{path}", demo=True, secret_key="t", login_disabled=True))


@pytest.fixture
def service(app):
    return app.server.extensions["monitor"]["service"]


def ctx(unit=MARKET, q=Q4, scheme=LZ, region=LZ_REGION) -> FormContext:
    return FormContext(scheme, region, q, unit)


def shown(service, c: FormContext) -> tuple[dict[str, RowInput], dict[str, RowMeta]]:
    """What a freshly rendered form holds: stored values as text, and the row metas."""
    cur = service.store.observations_at(c.scheme_id, c.region, c.quarter)
    prev = service.store.observations_at(c.scheme_id, c.region, c.quarter.prev())
    inputs, metas = {}, {}
    for ind in forms.unit_indicators(service, c.scheme_id, c.unit, c.quarter):
        row, p = cur.get(ind.id), prev.get(ind.id)
        metas[ind.id] = RowMeta.of(row, p.value if p else None)
        if ind.kind.value == "milestone":
            d, ev, rest = forms.parse_milestone_note(row.note if row else "")
            done = None if not row or row.value is None else ("1" if row.value >= 1 else "0")
            inputs[ind.id] = RowInput(done=done, done_date=d, evidence=ev, note=rest)
        else:
            inputs[ind.id] = RowInput(raw=forms.plain_number(row.value) if row else "", note=row.note if row else "")
    return inputs, metas


def edit(inputs, ind_id, **changes) -> dict[str, RowInput]:
    out = dict(inputs)
    out[ind_id] = RowInput(**{**inputs[ind_id].__dict__, **changes})
    return out


def texts(outcome, ind_id) -> str:
    return " ".join(t for _, t in outcome.rows.get(ind_id, []))


def value(service, ind_id, q=Q4, region=LZ_REGION):
    row = service.store.observation(ind_id, region, q)
    return row.value if row else None


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("ind_id, raw, message", [
    (CUSTODY, "abc", "不是有效数字"),
    (CUSTODY, "12件", "不是有效数字"),
    (CUSTODY, "-3", "数量不能为负数"),
    (CUSTODY, "7.5", "最多保留0位小数(只能填写整数)"),
    (SHARE, "120", "百分比不能超过100%"),
    (SHARE, "93.456", "最多保留2位小数"),
    (PLEDGE, "0.123", "最多保留2位小数"),
])
def test_bad_values_are_refused_with_chinese_messages_and_nothing_saved(service, ind_id, raw, message):
    unit = service.registry.indicators[ind_id].reporting_unit
    c = ctx(unit)
    inputs, metas = shown(service, c)
    before = service.store.data_version()
    out = forms.save_form(service, ADMIN, c, edit(inputs, ind_id, raw=raw), metas, today=TODAY)
    assert not out.ok and out.saved == 0
    assert message in texts(out, ind_id)
    assert out.rows[ind_id][0][0] == "error"
    assert "未保存" in out.alert[1]
    assert service.store.data_version() == before


def test_one_bad_row_blocks_the_good_ones_all_or_nothing(service):
    c = ctx()
    inputs, metas = shown(service, c)
    inputs = edit(edit(inputs, TRANSFERS, raw="16"), CUSTODY, raw="x")
    before = service.store.data_version()
    out = forms.save_form(service, ALICE, c, inputs, metas, today=TODAY)
    assert not out.ok
    assert value(service, TRANSFERS) == 15.0  # not saved although valid
    assert service.store.data_version() == before


@pytest.mark.parametrize("changes, message", [
    (dict(done="1", done_date="", evidence="会议纪要"), "请填写完成日期"),
    (dict(done="1", done_date="2025/13/40", evidence="会议纪要"), "完成日期格式不正确"),
    (dict(done="1", done_date="2026-01-15", evidence="会议纪要"), "完成日期晚于本报告期末(2025年12月31日)"),
    (dict(done="1", done_date="2027-01-01", evidence="会议纪要"), "完成日期不能晚于今天"),
    (dict(done="1", done_date="2025-11-30", evidence=""), "请填写佐证材料"),
])
def test_milestone_needs_date_within_the_quarter_and_evidence(service, changes, message):
    c = ctx()
    inputs, metas = shown(service, c)
    out = forms.save_form(service, ALICE, c, edit(inputs, FUNDED, **changes), metas, today=TODAY)
    assert not out.ok and message in texts(out, FUNDED)
    assert value(service, FUNDED) == 0.0


def test_milestone_done_saves_date_and_evidence_in_the_note(service):
    c = ctx()
    inputs, metas = shown(service, c)
    out = forms.save_form(service, ALICE, c, edit(inputs, FUNDED, done="1", done_date="2025年11月30日",
                                                   evidence="泸市监发〔2025〕12号", note="已印发"), metas, today=TODAY)
    assert out.ok and out.saved == 1, out.alert
    row = service.store.observation(FUNDED, LZ_REGION, Q4)
    assert row.value == 1.0
    assert row.note == "完成日期:2025-11-30\n佐证材料:泸市监发〔2025〕12号\n已印发"
    assert forms.parse_milestone_note(row.note) == ("2025-11-30", "泸市监发〔2025〕12号", "已印发")
    # Shown again, the row is unchanged: nothing more to save.
    inputs, metas = shown(service, c)
    assert forms.save_form(service, ALICE, c, inputs, metas, today=TODAY).alert == ("info", "没有需要保存的修改。")


def test_milestone_done_then_undone_needs_an_explanation(service):
    c = ctx()
    inputs, metas = shown(service, c)
    # 2025Q3 is 0, 2025Q4 is 1 for POOL: check the undone warning against 2026Q1's form instead.
    c1 = ctx(q=Quarter(2026, 1))
    inputs1, metas1 = shown(service, c1)
    out = forms.save_form(service, ALICE, c1, edit(inputs1, POOL, done="0"), metas1, today=TODAY)
    assert not out.ok and "上季度已填报完成,本季度改为未完成,请在备注中说明" in texts(out, POOL)
    out = forms.save_form(service, ALICE, c1, edit(inputs1, POOL, done="0", note="验收未通过,重新建设"), metas1,
                          today=TODAY)
    assert out.ok and out.saved == 1


# ---------------------------------------------------------------- plausibility

def test_falling_stock_warns_and_needs_a_note_before_saving(service):
    c = ctx()
    inputs, metas = shown(service, c)
    before = service.store.data_version()
    out = forms.save_form(service, ALICE, c, edit(inputs, PRODUCTS, raw="100"), metas, today=TODAY)
    assert not out.ok
    assert out.rows[PRODUCTS] == [("warning", "存量较上季度下降,请在备注中说明")]
    assert "1项需要在备注中说明" in out.alert[1]
    assert service.store.data_version() == before
    out = forms.save_form(service, ALICE, c, edit(inputs, PRODUCTS, raw="100", note="6个产品备案到期注销"), metas,
                          today=TODAY)
    assert out.ok and out.saved == 1
    assert ("note", "存量较上季度下降(已在备注中说明)") in out.rows[PRODUCTS]
    row = service.store.observation(PRODUCTS, LZ_REGION, Q4)
    assert (row.value, row.note, row.entered_by) == (100.0, "6个产品备案到期注销", "alice")


def test_more_than_three_times_last_quarter_warns(service):
    c = ctx()
    inputs, metas = shown(service, c)
    out = forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, raw="19"), metas, today=TODAY)  # prev 6
    assert not out.ok and "超过上季度的3倍,请在备注中说明" in texts(out, CUSTODY)
    out = forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, raw="18"), metas, today=TODAY)  # exactly 3x
    assert out.ok and out.saved == 1


# ---------------------------------------------------------------- saving, history

def test_save_draft_saves_changed_rows_in_one_go_with_history(service):
    c = ctx()
    inputs, metas = shown(service, c)
    inputs = edit(edit(inputs, TRANSFERS, raw="17"), INCUBATION, raw="3")
    out = forms.save_form(service, ALICE, c, inputs, metas, reason="核对台账后补报", today=TODAY)
    assert out.ok and out.saved == 2 and out.alert == ("success", "已保存2项。")
    assert out.rows[TRANSFERS] == [("ok", "已保存")]
    assert out.metas[TRANSFERS].version == metas[TRANSFERS].version + 1
    rev = service.store.history(TRANSFERS, region=LZ_REGION, period=Q4)[-1]
    assert (rev.old_value, rev.new_value, rev.user, rev.source, rev.reason) == (15.0, 17.0, "alice", "form",
                                                                               "核对台账后补报")


def test_clearing_a_value_needs_a_note_then_keeps_the_explained_gap(service):
    c = ctx()
    inputs, metas = shown(service, c)
    out = forms.save_form(service, ALICE, c, edit(inputs, TRANSFERS, raw=""), metas, today=TODAY)
    assert not out.ok and "清空已填数值须在备注中说明原因" in texts(out, TRANSFERS)
    out = forms.save_form(service, ALICE, c, edit(inputs, TRANSFERS, raw="", note="统计口径调整,本季度暂缺"), metas,
                          today=TODAY)
    assert out.ok
    row = service.store.observation(TRANSFERS, LZ_REGION, Q4)
    assert row.value is None and row.note == "统计口径调整,本季度暂缺"
    assert service.store.history(TRANSFERS, region=LZ_REGION, period=Q4)[-1].old_value == 15.0


def test_second_save_with_the_same_version_is_refused_and_shows_the_first(service):
    c = ctx()
    inputs, metas = shown(service, c)            # Alice and Bob open the same form
    first = forms.save_form(service, ALICE, c, edit(inputs, TRANSFERS, raw="20"), metas, today=TODAY)
    assert first.ok
    before = service.store.data_version()
    bob_inputs = edit(edit(inputs, TRANSFERS, raw="21"), CUSTODY, raw="8")
    second = forms.save_form(service, BOB, c, bob_inputs, metas, today=TODAY)
    assert not second.ok and second.saved == 0
    msg = texts(second, TRANSFERS)
    assert "该值已被alice于" in msg and "修改为20次" in msg and "您填写的内容仍保留在输入框中" in msg
    assert "1项已被他人修改" in second.alert[1]
    assert value(service, TRANSFERS) == 20.0 and value(service, CUSTODY) == 7.0  # all or nothing
    assert service.store.data_version() == before
    # Bob now knows the stored version; saving again is his informed decision.
    assert second.metas[TRANSFERS].version == first.metas[TRANSFERS].version
    metas = {**metas, **second.metas}
    third = forms.save_form(service, BOB, c, bob_inputs, metas, today=TODAY)
    assert third.ok and third.saved == 2
    assert value(service, TRANSFERS) == 21.0 and value(service, CUSTODY) == 8.0


def test_store_save_values_refuses_a_locked_quarter_as_a_whole(service):
    ind = service.registry.indicators[TRANSFERS]
    service.store.transitions(LZ, LZ_REGION, [(MARKET, Q4, "submit"), (MARKET, Q4, "approve")], "office")
    before = service.store.data_version()
    with pytest.raises(EditsRejected) as exc:
        service.store.save_values([ValueEdit(ind, LZ_REGION, Q4, 30, "", 1)], "alice")
    assert isinstance(exc.value.problems[0][1], LockedError)
    assert service.store.data_version() == before


# ---------------------------------------------------------------- states and permissions

@pytest.mark.parametrize("steps, message", [
    ([(MARKET, Q4, "submit")], "已报送,正在等待审核"),
    ([(MARKET, Q4, "submit"), (MARKET, Q4, "approve")], "已审核锁定,不能修改"),
])
def test_submitted_or_approved_quarter_is_refused(service, steps, message):
    c = ctx()
    inputs, metas = shown(service, c)
    service.store.transitions(LZ, LZ_REGION, steps, "office")
    before = service.store.data_version()
    out = forms.save_form(service, ALICE, c, edit(inputs, TRANSFERS, raw="30"), metas, today=TODAY)
    assert not out.ok and message in out.alert[1]
    assert value(service, TRANSFERS) == 15.0 and service.store.data_version() == before


def test_demo_approved_quarter_is_locked(service):
    c = ctx(q=Quarter(2025, 3))
    inputs, metas = shown(service, c)
    out = forms.save_form(service, ADMIN, c, edit(inputs, TRANSFERS, raw="99"), metas, today=TODAY)
    assert not out.ok and "已审核锁定" in out.alert[1]


@pytest.mark.parametrize("who, message", [
    (reporter("carol", "市科技局"), "您没有填报“市市场监管局”指标的权限。"),
    (reporter("dave", MARKET, scheme=AN), "您没有填报“市市场监管局”指标的权限。"),
    (Identity("lead", "领导", "viewer"), "您没有填报“市市场监管局”指标的权限。"),
    (None, "请先登录。"),
])
def test_reporter_of_another_unit_or_scheme_is_refused(service, who, message):
    c = ctx()
    inputs, metas = shown(service, c)
    before = service.store.data_version()
    for fn in (forms.save_form, forms.submit_form):
        out = fn(service, who, c, edit(inputs, TRANSFERS, raw="30"), metas, today=TODAY)
        assert not out.ok and out.alert == ("danger", message)
    assert service.store.data_version() == before
    with pytest.raises(forms.Forbidden):
        forms.template_bytes(service, who, c, TODAY)


def test_rows_of_another_unit_are_refused(service):
    c = ctx()
    inputs, metas = shown(service, c)
    inputs[PLEDGE] = RowInput(raw="1")
    out = forms.save_form(service, ALICE, c, inputs, metas, today=TODAY)
    assert not out.ok and "无权填报" in out.alert[1] and PLEDGE in out.alert[1]


def test_future_quarter_and_unknown_unit_are_refused(service):
    out = forms.save_form(service, ADMIN, ctx(q=Quarter(2027, 1)), {}, {}, today=TODAY)
    assert not out.ok and "不在可填报的季度内" in out.alert[1]
    out = forms.save_form(service, ADMIN, ctx(unit="不存在的局"), {}, {}, today=TODAY)
    assert not out.ok and "不是本方案的填报单位" in out.alert[1]


def test_entry_quarters_run_from_scheme_start_to_the_current_quarter(service):
    qs = forms.entry_quarters(service, LZ, TODAY)
    assert qs[0] == Quarter(2024, 2) and qs[-1] == Quarter(2026, 4)
    assert forms.default_entry_quarter(qs, TODAY) == Quarter(2026, 3)
    assert forms.quarter_label(Quarter(2026, 4), TODAY) == "2026年第4季度(本季度,尚未结束)"
    assert forms.quarter_label(Quarter(2026, 3), TODAY) == "2026年第3季度"


def test_units_a_reporter_sees(service):
    assert forms.visible_units(ALICE, service, LZ) == [MARKET]
    assert forms.visible_units(ALICE, service, AN) == []
    assert MARKET in forms.visible_units(ADMIN, service, LZ) and len(forms.visible_units(ADMIN, service, LZ)) == 6
    assert forms.visible_units(None, service, LZ) == []


# ---------------------------------------------------------------- submit, approve, reopen

def test_submit_requires_every_value_or_a_note_then_locks_on_approval(service):
    unit = "市委宣传部"
    c = ctx(unit, Quarter(2026, 3), AN, AN_REGION)
    missing = "anning_ip_publicity_beneficiaries_annual"
    pub = reporter("erin", unit, AN)
    inputs, metas = shown(service, c)
    out = forms.submit_form(service, pub, c, inputs, metas, today=TODAY)
    assert not out.ok and "还有1项未填写" in out.alert[1]
    assert "尚未填写" in texts(out, missing)
    assert forms.submission_state(service, c)[0] == "draft"

    out = forms.submit_form(service, pub, c, edit(inputs, missing, note="宣传部年底统一统计,本季度暂缺"), metas,
                            today=TODAY)
    assert out.ok and out.submitted, out.alert
    assert forms.submission_state(service, c)[0] == "submitted"

    with pytest.raises(forms.Forbidden):
        forms.approve_unit(service, pub, AN, AN_REGION, c.quarter, unit)
    assert "已审核通过" in forms.approve_unit(service, ADMIN, AN, AN_REGION, c.quarter, unit)
    inputs, metas = shown(service, c)
    out = forms.save_form(service, pub, c, edit(inputs, missing, raw="250"), metas, today=TODAY)
    assert not out.ok and "已审核锁定" in out.alert[1]

    with pytest.raises(forms.TransitionError, match="退回须填写原因"):
        forms.reopen_unit(service, ADMIN, AN, AN_REGION, c.quarter, unit, "  ")
    assert forms.submission_state(service, c)[0] == "approved"
    forms.reopen_unit(service, ADMIN, AN, AN_REGION, c.quarter, unit, "受益人次需按新口径重报")
    assert forms.submission_state(service, c)[0] == "draft"
    events = service.store.submission_events(AN, AN_REGION, unit, c.quarter)
    assert [(e.action, e.user) for e in events] == [("submit", "erin"), ("approve", "office"), ("reopen", "office")]
    assert events[-1].reason == "受益人次需按新口径重报"
    out = forms.save_form(service, pub, c, edit(inputs, missing, raw="250"), metas, today=TODAY)
    assert out.ok and out.saved == 1

    statuses = {st.unit: st for st in service.unit_statuses(AN, AN_REGION, c.quarter, TODAY)}
    assert (len(statuses[unit].entered), statuses[unit].missing, statuses[unit].state) == (2, (), "returned")
    assert statuses[unit].returned_reason == "受益人次需按新口径重报"


# ---------------------------------------------------------------- Excel upload

def data_url(data: bytes, mime: str = "application/octet-stream") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def xlsx(rows, sheet="填报", header=("指标编号", "报告期", "填报值", "备注")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if header:
        ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template(service, c=None) -> bytes:
    name, data = forms.template_bytes(service, ADMIN, c or ctx(), TODAY)
    assert name == "填报模板_泸州_市市场监管局_2025Q4.xlsx"
    return data


def filled_template(service, values: dict[str, tuple]) -> bytes:
    wb = load_workbook(io.BytesIO(template(service)))
    ws = wb["填报"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            row[6].value, row[7].value = values[row[0].value]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


BAD_UPLOADS = {
    "garbage": (lambda s: data_url("这不是表格,只是一段文字\n第二行".encode("gbk"), "text/plain"), "garbage.csv",
                "不是UTF-8编码的CSV"),
    "binary": (lambda s: data_url(bytes(range(256)) * 40), "photo.jpg", "文件内容无法识别"),
    "damaged xlsx": (lambda s: data_url(b"PK\x03\x04" + b"\x00" * 500), "a.xlsx", "无法读取Excel文件"),
    "too large": (lambda s: data_url(b"a" * (5 * 1024 * 1024 + 10)), "big.csv", "文件过大"),
    "wrong sheet": (lambda s: data_url(xlsx([["随便", "写写"]], sheet="Sheet1", header=("名称", "数值"))), "a.xlsx",
                    "请把数据放在名为“填报”的工作表中"),
    "missing columns": (lambda s: data_url(xlsx([[CUSTODY, "2025Q4"]], header=("指标编号", "报告期"))), "a.xlsx",
                        "缺少列:填报值(value)"),
    "unknown id": (lambda s: data_url(xlsx([["luzhou_no_such_thing", "2025Q4", 5]])), "a.xlsx",
                   "第2行:未知指标编号“luzhou_no_such_thing”"),
    "future period": (lambda s: data_url(xlsx([[CUSTODY, "2027Q1", 8]])), "a.xlsx", "不能填报未来的季度"),
    "before the scheme": (lambda s: data_url(xlsx([[CUSTODY, "2023Q4", 8]])), "a.xlsx", "早于方案起始"),
    "bad period": (lambda s: data_url(xlsx([[CUSTODY, "2025年四季度", 8]])), "a.xlsx", "格式错误,应为如2024Q2"),
    "duplicate rows": (lambda s: data_url(xlsx([[CUSTODY, "2025Q4", 8], [CUSTODY, "2025Q4", 9]])), "a.xlsx",
                       "第3行:指标luzhou_ip_custody_enterprises的2025Q4与第2行重复"),
    "text in number cell": (lambda s: data_url(xlsx([[CUSTODY, "2025Q4", "八家"]])), "a.xlsx",
                            "第2行:填报值“八家”不是有效数字"),
    "negative count": (lambda s: data_url(xlsx([[CUSTODY, "2025Q4", -1]])), "a.xlsx", "数量不能为负数"),
    "unexplained jump": (lambda s: data_url(xlsx([[CUSTODY, "2025Q4", 100]])), "a.xlsx", "请在备注中说明原因"),
    "another unit": (lambda s: data_url(xlsx([[PLEDGE, "2025Q4", 0.5]])), "a.xlsx",
                     "第2行:无权填报“市财政局”的指标luzhou_ip_pledge_financing"),
    "another scheme": (lambda s: data_url(xlsx([["anning_invention_grants_annual", "2025Q4", 5]])), "a.xlsx",
                       "不属于当前方案"),
    "locked quarter": (lambda s: data_url(xlsx([[CUSTODY, "2025Q3", 9]])), "a.xlsx", "已审核锁定"),
    "empty": (lambda s: data_url(xlsx([])), "a.xlsx", "文件中没有数据行"),
    "not base64": (lambda s: "data:text/csv;base64,@@@@", "a.csv", "文件内容无法读取"),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads_give_a_clear_message_and_change_nothing(service, case):
    make, filename, message = BAD_UPLOADS[case]
    contents = make(service)
    before = service.store.data_version()
    result = forms.preview_upload(service, ALICE, LZ, LZ_REGION, contents, filename, today=TODAY)
    assert not result.ok and not result.changes
    assert any(message in e for e in result.errors), result.errors
    assert "未写入任何数据" in result.summary() or result.errors
    committed = forms.commit_upload(service, ALICE, LZ, LZ_REGION, contents, filename, "anything", today=TODAY)
    assert not committed.ok and not committed.committed
    assert service.store.data_version() == before
    assert value(service, CUSTODY) == 7.0


def test_upload_errors_are_all_listed_in_row_order(service):
    contents = data_url(xlsx([[CUSTODY, "2025Q4", "x"], ["nope", "2025Q4", 1], [TRANSFERS, "2030Q1", 1]]))
    result = forms.preview_upload(service, ALICE, LZ, LZ_REGION, contents, "a.xlsx", today=TODAY)
    assert [e[:3] for e in result.errors] == ["第2行", "第3行", "第4行"]


def test_submitted_unit_cannot_be_changed_by_upload(service):
    service.store.submit(LZ, LZ_REGION, MARKET, Q4, "alice")
    contents = data_url(xlsx([[CUSTODY, "2025Q4", 9]]))
    result = forms.preview_upload(service, ALICE, LZ, LZ_REGION, contents, "a.xlsx", today=TODAY)
    assert not result.ok and "已报送、等待审核" in result.errors[0]


def test_viewer_cannot_upload(service):
    contents = data_url(xlsx([[CUSTODY, "2025Q4", 9]]))
    result = forms.preview_upload(service, Identity("lead", "领导", "viewer"), LZ, LZ_REGION, contents, "a.xlsx",
                                  today=TODAY)
    assert not result.ok and result.errors == ["只读账号不能导入数据。"]


def test_good_upload_is_previewed_then_committed_all_at_once(service):
    data = filled_template(service, {CUSTODY: (9, "新增2家托管企业"), TRANSFERS: (16, None)})
    contents = data_url(data)
    before = service.store.data_version()
    preview = forms.preview_upload(service, ALICE, LZ, LZ_REGION, contents, "模板.xlsx", today=TODAY)
    assert preview.ok, preview.errors
    assert service.store.data_version() == before  # a preview writes nothing
    changed = {c.indicator_id: (c.old_value, c.new_value, c.action) for c in preview.changed}
    assert changed == {CUSTODY: (7.0, 9.0, "update"), TRANSFERS: (15.0, 16.0, "update")}
    # The unchanged rows are listed too: every figure of the unit's template (13 since issue 18
    # registered Luzhou's 信息共享机制, led by 市市场监管局).
    assert len(preview.changes) == 13
    assert preview.summary() == "预览(尚未写入):新增0条,修改2条,不变11条。"

    stale = forms.commit_upload(service, ALICE, LZ, LZ_REGION, contents, "模板.xlsx", "0" * 64, today=TODAY)
    assert not stale.committed and "预览之后数据已发生变化" in stale.errors[0]
    assert service.store.data_version() == before

    done = forms.commit_upload(service, ALICE, LZ, LZ_REGION, contents, "模板.xlsx", preview.fingerprint,
                               today=TODAY)
    assert done.committed and done.summary().startswith("已导入:新增0条,修改2条")
    assert service.store.data_version() == before + 1  # one transaction
    assert value(service, CUSTODY) == 9.0 and value(service, TRANSFERS) == 16.0
    rev = service.store.history(CUSTODY, region=LZ_REGION, period=Q4)[-1]
    assert (rev.user, rev.source, rev.new_note) == ("alice", "import", "新增2家托管企业")


def test_commit_refused_when_data_changed_after_preview(service):
    contents = data_url(filled_template(service, {CUSTODY: (9, None)}))
    preview = forms.preview_upload(service, ALICE, LZ, LZ_REGION, contents, "a.xlsx", today=TODAY)
    inputs, metas = shown(service, ctx())
    assert forms.save_form(service, BOB, ctx(), edit(inputs, CUSTODY, raw="10"), metas, today=TODAY).ok
    done = forms.commit_upload(service, ALICE, LZ, LZ_REGION, contents, "a.xlsx", preview.fingerprint, today=TODAY)
    assert not done.committed and value(service, CUSTODY) == 10.0


# ---------------------------------------------------------------- baselines and reference series

def test_reference_values_are_validated_versioned_and_admin_only(service):
    series = "sichuan_hv_invention_per_10k_growth"
    key = (series, "2025Q4")
    stored = {(r.series_id, str(r.period)): r for r in service.store.reference_rows(LZ, LZ_REGION)}
    meta = {key: {"version": stored[key].version, "value": stored[key].value}}
    out = forms.save_references(service, ALICE, LZ, LZ_REGION, {key: "12.5"}, meta, today=TODAY)
    assert not out.ok and "只有领导小组办公室管理员" in out.alert[1]
    out = forms.save_references(service, ADMIN, LZ, LZ_REGION, {key: "abc"}, meta, today=TODAY)
    assert not out.ok and out.rows[key] == [("error", "不是有效数字")]
    out = forms.save_references(service, ADMIN, LZ, LZ_REGION, {key: "12.555"}, meta, today=TODAY)
    assert out.rows[key] == [("error", "最多保留2位小数")]
    out = forms.save_references(service, ADMIN, LZ, LZ_REGION, {(series, "2027Q1"): "1"}, {}, today=TODAY)
    assert not out.ok and "不在本方案的可填报范围内" in out.alert[1]
    out = forms.save_references(service, ADMIN, LZ, LZ_REGION, {key: "-2.5"}, meta, today=TODAY)  # a growth rate
    assert out.ok and out.saved == 1
    assert service.store.references(LZ, LZ_REGION)[series][Q4] == -2.5
    again = forms.save_references(service, ADMIN, LZ, LZ_REGION, {key: "3"}, meta, today=TODAY)  # stale version
    assert not again.ok and "已被office修改为-2.5" in again.rows[key][0][1]
    assert service.store.history("ref:" + series, region=LZ_REGION)[-1].new_value == -2.5


def test_baselines_are_validated_and_saved_with_history(service):
    ind = next(i for i in forms.baseline_indicators(service, LZ) if i.unit == "家")
    out = forms.save_baselines(service, ADMIN, LZ, LZ_REGION, {ind.id: ("2.5", "2024-03-31", "")}, {}, today=TODAY)
    assert not out.ok and "最多保留0位小数(只能填写整数)" in out.rows[ind.id][0][1]
    out = forms.save_baselines(service, ADMIN, LZ, LZ_REGION, {ind.id: ("3", "2030-01-01", "")}, {}, today=TODAY)
    assert "基期日期不能晚于今天" in out.rows[ind.id][0][1]
    out = forms.save_baselines(service, ADMIN, LZ, LZ_REGION, {ind.id: ("3", "2024/3/31", "2024年统计公报")}, {},
                               today=TODAY)
    assert out.ok and out.saved == 1
    b = service.store.baseline_rows(LZ, LZ_REGION)[ind.id]
    assert (b.value, b.as_of, b.note, b.entered_by) == (3.0, date(2024, 3, 31), "2024年统计公报", "office")
    out = forms.save_baselines(service, ALICE, LZ, LZ_REGION, {ind.id: ("4", "2024-03-31", "")}, {}, today=TODAY)
    assert not out.ok and service.store.baseline_rows(LZ, LZ_REGION)[ind.id].value == 3.0


# ---------------------------------------------------------------- through Dash's HTTP endpoint

def callback_key(app, first: str, *parts) -> str:
    keys = [k for k in app.callback_map if k.startswith(".." + first) and all(p in k for p in parts)]
    assert len(keys) == 1, keys
    return keys[0]


def wild(type_, ids_, prop, values=None):
    return [{"id": {"indicator": i, "type": type_}, "property": prop, **({"value": values[n]} if values else {})}
            for n, i in enumerate(ids_)]


def post_save(app, c: FormContext, inputs, metas, button=ids.EN_SAVE):
    """Click 保存草稿 (or confirm 报送) as the browser would: the pattern-matching states of every row."""
    num = [i for i, x in inputs.items() if x.done is None and x.raw is not None]
    mil = [i for i in inputs if i not in num]
    rows = list(inputs)
    body = {
        "output": callback_key(app, ids.EN_RESULT + ".data", ids.EN_SUMMARY),
        "outputs": [{"id": ids.EN_RESULT, "property": "data"}, wild(ids.EN_META, rows, "data"),
                    wild(ids.EN_CURRENT, rows, "children"), {"id": ids.EN_SUMMARY, "property": "children"},
                    {"id": ids.EN_REFRESH, "property": "data"}],
        "inputs": [{"id": ids.EN_SAVE, "property": "n_clicks", "value": 1 if button == ids.EN_SAVE else None},
                   {"id": ids.EN_SUBMIT_GO, "property": "data", "value": 1 if button == ids.EN_SUBMIT else 0}],
        "state": [
            {"id": ids.EN_CTX, "property": "data", "value": c.to_dict()},
            wild(ids.EN_VALUE, num, "value", [inputs[i].raw for i in num]),
            wild(ids.EN_DONE, mil, "value", [inputs[i].done for i in mil]),
            wild(ids.EN_DATE, mil, "value", [inputs[i].done_date for i in mil]),
            wild(ids.EN_EVIDENCE, mil, "value", [inputs[i].evidence for i in mil]),
            wild(ids.EN_NOTE, rows, "value", [inputs[i].note for i in rows]),
            wild(ids.EN_CONFIRM, rows, "value", [inputs[i].confirm for i in rows]),
            wild(ids.EN_META, rows, "data", [metas[i].to_dict() for i in rows]),
            {"id": ids.EN_REASON, "property": "value", "value": ""},
            {"id": ids.EN_REFRESH, "property": "data", "value": 0},
        ],
        "changedPropIds": [f"{ids.EN_SAVE}.n_clicks" if button == ids.EN_SAVE else f"{ids.EN_SUBMIT_GO}.data"],
    }
    resp = app.server.test_client().post("/_dash-update-component", json=body)
    assert resp.status_code == 200, resp.data[:500]
    return resp.get_json()["response"]


def test_save_through_the_dash_endpoint(app, service, monkeypatch):
    c = ctx()
    inputs, metas = shown(service, c)
    before = service.store.data_version()
    resp = post_save(app, c, edit(inputs, CUSTODY, raw="abc"), metas)
    assert resp[ids.EN_RESULT]["data"]["rows"][CUSTODY]["msgs"] == [["error", "不是有效数字"]]
    assert "未保存" in json.dumps(resp[ids.EN_SUMMARY], ensure_ascii=False)
    assert service.store.data_version() == before

    monkeypatch.setattr(forms, "identity", lambda: ALICE)
    resp = post_save(app, c, edit(inputs, CUSTODY, raw="8"), metas)
    assert "已保存1项" in json.dumps(resp[ids.EN_SUMMARY], ensure_ascii=False)
    assert value(service, CUSTODY) == 8.0
    assert service.store.observation(CUSTODY, LZ_REGION, Q4).entered_by == "alice"

    monkeypatch.setattr(forms, "identity", lambda: reporter("carol", "市科技局"))
    resp = post_save(app, c, edit(inputs, CUSTODY, raw="9"), metas)
    assert "您没有填报“市市场监管局”指标的权限" in json.dumps(resp[ids.EN_SUMMARY], ensure_ascii=False)
    assert value(service, CUSTODY) == 8.0


def test_review_actions_through_the_dash_endpoint(app, service, monkeypatch):
    unit = MARKET
    service.store.submit(LZ, LZ_REGION, unit, Q4, "alice")
    version = service.store.submission(LZ, LZ_REGION, unit, Q4).version

    def click(kind, reason="", seen=None):
        pending = {"action": kind, "unit": unit, "reason": reason}
        body = {
            "output": callback_key(app, ids.RV_MODAL + ".is_open", ids.RV_REFRESH),
            "outputs": [{"id": ids.RV_MODAL, "property": "is_open"}, {"id": ids.RV_MSG, "property": "children"},
                        {"id": ids.RV_REFRESH, "property": "data"}],
            "inputs": [{"id": ids.RV_CONFIRM, "property": "n_clicks", "value": 1},
                       {"id": ids.RV_CANCEL, "property": "n_clicks", "value": None}],
            "state": [{"id": ids.RV_PENDING, "property": "data", "value": pending},
                      {"id": ids.RV_VERSION, "property": "data", "value": seen},
                      {"id": ids.RV_SCHEME, "property": "value", "value": LZ},
                      {"id": ids.RV_REGION, "property": "value", "value": LZ_REGION},
                      {"id": ids.RV_QUARTER, "property": "value", "value": str(Q4)},
                      {"id": ids.RV_REFRESH, "property": "data", "value": 0}],
            "changedPropIds": [f"{ids.RV_CONFIRM}.n_clicks"],
        }
        resp = app.server.test_client().post("/_dash-update-component", json=body)
        assert resp.status_code == 200, resp.data[:500]
        return json.dumps(resp.get_json()["response"], ensure_ascii=False)

    monkeypatch.setattr(forms, "identity", lambda: ALICE)
    assert "只有领导小组办公室管理员可以进行此操作" in click("approve", seen=version)
    assert forms.submission_state(service, ctx())[0] == "submitted"
    monkeypatch.setattr(forms, "identity", lambda: ADMIN)
    # Opened before a return and a resubmission: refused, with the new state.
    assert "在您打开后已有变化" in click("approve", seen=version - 1)
    assert forms.submission_state(service, ctx())[0] == "submitted"
    assert "已审核通过" in click("approve", seen=version)
    assert forms.submission_state(service, ctx())[0] == "approved"
    assert "退回须填写原因" in click("reopen", "")
    assert forms.submission_state(service, ctx())[0] == "approved"
    assert "已退回" in click("reopen", "数据需核实")
    assert forms.submission_state(service, ctx())[0] == "draft"


def _find(component, id_):
    """The component with ``id_`` in a Dash layout tree."""
    if getattr(component, "id", None) == id_:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            found = _find(child, id_)
            if found is not None:
                return found
    return None


def test_entry_page_offers_a_reporter_only_its_units(app, service, monkeypatch):
    from dashboard.entry import page as entry

    monkeypatch.setattr(forms, "identity", lambda: ALICE)
    with app.server.test_request_context("/entry"):
        page = entry.layout(service, f"?scheme={LZ}&unit=市财政局")
        unit = _find(page, ids.EN_UNIT)
        assert [o["value"] for o in unit.options] == [MARKET] and unit.value == MARKET
        quarters = [o["value"] for o in _find(page, ids.EN_QUARTER).options]
        assert quarters[-1] == "2024Q2" and "2027Q1" not in quarters
        page = entry.layout(service, f"?scheme={AN}")
        assert _find(page, ids.EN_UNIT).options == []
        form, _, _ = entry._form(service, ALICE, AN, AN_REGION, Quarter(2026, 3), None, "draft")
        assert "没有本方案的填报单位" in str(form.children)


def test_drafts_are_per_user_and_restored_only_into_an_editable_form(app, service):
    from dashboard.entry import page as entry

    c = ctx()
    key_alice, key_admin = entry.draft_key(ALICE, c.to_dict()), entry.draft_key(ADMIN, c.to_dict())
    assert key_alice != key_admin and entry.draft_key(None, c.to_dict()) is None
    draft = {CUSTODY: ["9", None, "", "", "口径已核实"], "not_an_indicator": ["1", None, "", "", ""]}
    with app.server.test_request_context("/entry"):
        form, original, restored = entry._form(service, ALICE, LZ, LZ_REGION, Q4, MARKET, "draft", draft)
        assert restored == [CUSTODY] and original[CUSTODY] == ["7", None, "", "", original[CUSTODY][4]]
        assert _find(form, {"type": ids.EN_VALUE, "indicator": CUSTODY}).value == "9"
        assert _find(form, {"type": ids.EN_NOTE, "indicator": CUSTODY}).value == "口径已核实"
        # A submitted (read-only) form shows what is stored, never the draft.
        _, _, restored = entry._form(service, ALICE, LZ, LZ_REGION, Q4, MARKET, "submitted", draft)
        assert restored == []
        # A draft equal to the stored inputs is nothing to restore.
        same = {CUSTODY: original[CUSTODY]}
        assert entry._form(service, ALICE, LZ, LZ_REGION, Q4, MARKET, "draft", same)[2] == []
