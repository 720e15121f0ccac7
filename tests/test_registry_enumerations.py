"""Issue 18: the clause-coverage test counts *items*, not clauses. Every enumeration in the Anning and
Luzhou schemes that names dated deliverables or numbers ("一是…二是…三是…", lists joined by 、, two
mechanisms in one task title) is read here item by item: each item is either a registered indicator
(of that clause, whose quote contains the item's words) or set aside with the reason.

An enumeration whose siblings are registered cannot hide a missing item behind the clause any more."""
from __future__ import annotations

import pytest

from indicators.registry import load_registry

REGISTRY = load_registry()
SOURCES = {s: open(f"indicators/sources/{s}.txt", encoding="utf-8").read() for s in ("anning", "luzhou")}

# (scheme, clause, enumeration, [(item words as written, indicator id | "not registered: <reason>")])
ENUMERATIONS = [
    ("anning", "三(二)1", "知识产权创造能力:发明、实用新型、外观、软件著作、商标", [
        ("年新增长45件以上", "anning_invention_grants_annual"),
        ("实用新型专利500件以上", "anning_utility_model_grants_annual"),
        ("外观专利35件以上", "anning_design_grants_annual"),
        ("软件著作登记量累计达700件以上", "anning_software_copyright_registrations"),
        ("商标有效注册量累计达6500件以上", "anning_trademark_registrations_valid")]),
    ("anning", "三(二)2", "优势、试点、示范企业与转化率", [
        ("示范企业25家以上", "anning_ip_advantage_demo_enterprises"),
        ("转化率在30%以上", "anning_demo_enterprise_ip_conversion_rate")]),
    ("anning", "三(二)3", "贯标、人才、产业化企业", [
        ("力争5家企业通过贯标审核", "anning_ip_management_standard_enterprises"),
        ("培养和引进知识产权管理及实用人才30人以上", "anning_ip_talent_trained_introduced"),
        ("专利产业化项目企业2—3家", "anning_patent_industrialization_enterprises_10m"),
        ("产值超亿专利骨干企业1—2家", "anning_patent_backbone_enterprises_100m")]),
    ("anning", "三(二)4", "保护:常态化、结案率、认知度、满意度", [
        ("实现查处假冒专利工作常态化", "not registered: no number, date or deliverable (docs/registry.md)"),
        ("知识产权行政按期结案率达100%", "anning_admin_case_on_time_closure_rate"),
        ("全民知识产权认知度达85%以上", "anning_public_ip_awareness"),
        ("知识产权权利人满意度超过90%", "anning_rights_holder_satisfaction")]),
    ("anning", "三(二)5", "服务:平台与端口", [
        ("构建1个集知识产权创造、应用、保护和融资为一体的知识产权运营服务app平台", "anning_ip_operation_app_platform"),
        ("研发端和企业端2个端口", "anning_ip_service_ports")]),
    ("anning", "四(二)1", "协同运作机制 一是…二是…三是", [
        ("一是支持园区、企业与高校院所开展协同创新", "not registered: support, no deliverable; measured by 重大发明专利20项"),
        ("二是支持企业技术创新中心", "not registered: support, no deliverable; measured by 重大发明专利20项"),
        ("三是支持企业构建专利池", "not registered: support for enterprises' own pools, no number or date"),
        ("重大发明专利20项以上", "anning_major_invention_patents_iur")]),
    ("anning", "四(二)2", "运用激励机制 一是…二是…三是", [
        ("建立和完善科技进步奖、专利奖、质量奖等知识产权奖项的评选办法", "anning_ip_award_rules"),
        ("二是引导和支持企业和专利权人", "not registered: guidance, no deliverable"),
        ("三是鼓励祥丰实业集团、云天化等重点企业", "not registered: encourages enterprises' own rules, no deliverable of a unit")]),
    ("anning", "四(二)3", "质押融资 一是…二是…三是", [
        ("一是组建宣讲讲师团", "anning_pledge_lecturer_team"),
        ("二是建立示范点", "anning_pledge_financing_demo_project"),
        ("三是引入专业服务机构", "anning_pledge_professional_service_agency")]),
    ("anning", "四(三)1", "管理体系 一是…二是 与联络员", [
        ("一是加快构建各街道", "not registered: the work network is staffed by the 联络员队伍 (measured, 20人左右)"),
        ("二是每年安排一定额度的工作协调经费", "not registered: no amount; the budget is measured by 六(三) 0.12%"),
        ("建立一支20人左右的知识产权联络员工作队伍", "anning_ip_liaison_team")]),
    ("anning", "四(四)4", "信用:标准、纳入、惩戒、归集", [
        ("探索建立知识产权保护社会信用标准和监督机制", "not registered: 探索 (explore), not a commitment"),
        ("将知识产权行政处罚案件相关信息纳入社会信用评价体系", "anning_ip_penalty_info_in_credit_system"),
        ("推动建立知识产权失信主体联合惩戒机制", "anning_ip_dishonesty_joint_punishment"),
        ("推动知识产权领域信用信息数据归集共享", "not registered: the means of the two items above, no deliverable of its own")]),
    ("anning", "五 第一阶段3", "领导小组与办公室", [
        ("建立健全国家知识产权强县建设试点县工作领导小组", "anning_leading_group_established"),
        ("设立试点推进工作办公室", "anning_pilot_office_established")]),
    ("anning", "五 第三阶段", "总结与验收", [
        ("做好总结完善、查缺补漏工作", "anning_pilot_summary"),
        ("迎接国家、省知识产权局的检查验收", "anning_acceptance_inspection")]),
    ("anning", "六(二)", "目标考核 一是…二是", [
        ("将知识产权工作纳入政府年度考核体系中", "anning_ip_in_government_annual_assessment"),
        ("二是将知识产权工作作为企业项目申报、绩效考核的重要内容指标", "anning_ip_in_enterprise_project_assessment")]),
    ("anning", "六(三)", "政策、办法、制度、经费", [
        ("知识产权发展政策", "anning_ip_development_policy"),
        ("资助激励办法", "anning_ip_funding_incentive_measures"),
        ("建立知识产权经费保障制度", "anning_ip_fund_guarantee_system"),
        ("不低于0.12%", "anning_ip_fund_budget_share")]),
    ("anning", "六(四)", "联席会议制度、知识产权管理制度、考核监督制度", [
        ("联席会议制度", "anning_ip_joint_meeting_system"),
        ("知识产权管理制度", "anning_ip_management_system"),
        ("考核监督制度", "anning_assessment_supervision_system")]),
    ("luzhou", "一", "工作目标:增速、育成中心、强企(其余见任务)", [
        ("增速高于全省平均水平", "luzhou_hv_invention_per_10k_growth_vs_province"),
        ("建设省级高价值专利育成中心2家以上", "luzhou_hv_patent_incubation_centres"),
        ("培育知识产权强企5家以上", "luzhou_ip_strong_enterprises")]),
    ("luzhou", "二(二)4", "尽职免责和容错机制、收益分配机制", [
        ("健全专利转化的尽职免责和容错机制", "luzhou_due_diligence_exemption_mechanism"),
        ("建立单位、科研人员和技术转移机构等权利义务对等的知识产权收益分配机制", "luzhou_ip_revenue_sharing_mechanism")]),
    ("luzhou", "二(二)5", "任务标题:信息共享机制和声明制度,及转移转化100次", [
        ("建立专利转化运用信息共享机制", "luzhou_patent_info_sharing_mechanism"),
        ("启动实施财政资助科研项目形成专利的声明制度", "luzhou_funded_research_patent_declaration"),
        ("实现专利转移转化100次以上", "luzhou_patent_transfers")]),
    ("luzhou", "二(三)7", "培育规划、产业目录", [
        ("制定专利密集型产业培育规划", "luzhou_patent_intensive_industry_plan"),
        ("完善全市专利密集型产业目录", "luzhou_patent_intensive_industry_catalogue")]),
    ("luzhou", "二(四)9", "专业人才100人、累计培养400人", [
        ("从事知识产权服务的专业人才100人以上", "luzhou_ip_service_professionals"),
        ("累计培养知识产权管理人才、专业人才400人以上", "luzhou_ip_talent_trained")]),
    ("luzhou", "二(四)10", "质押融资2亿元、协同融资模式", [
        ("知识产权质押融资金额累计达到2亿元", "luzhou_ip_pledge_financing"),
        ("建立贷款、保险、财政补贴的“政银保企”多方协同融资模式", "luzhou_ip_financing_collaboration_model")]),
]

CASES = [(scheme, clause, name, words, target) for scheme, clause, name, items in ENUMERATIONS
         for words, target in items]


@pytest.mark.parametrize("scheme,clause,name,words,target", CASES,
                         ids=[f"{c[0]} {c[1]} {c[2]}: {c[3][:14]}" for c in CASES])
def test_every_item_of_every_enumeration_is_registered_or_set_aside(scheme, clause, name, words, target):
    assert words in SOURCES[scheme], f"{words!r} is not in the {scheme} document"
    if target.startswith("not registered: "):
        assert len(target) > len("not registered: ") + 10   # a reason, not a shrug
        return
    ind = REGISTRY.indicators.get(target)
    assert ind is not None, f"{name}: item {words!r} has no indicator {target}"
    assert ind.scheme == scheme and ind.clause == clause, (target, ind.clause)
    # The item's own words are in its quote (or, for a target stated in 一 and repeated in a task, its text).
    assert words in ind.quote or any(part in ind.quote for part in words.split("、")), (target, ind.quote)


def test_items_are_counted_not_clauses():
    registered = [t for *_, t in CASES if not t.startswith("not registered")]
    assert len(registered) == len(set(registered)), "one indicator answers for two items"
    # Two items of the same clause are two indicators.
    assert sum(1 for c in CASES if c[1] == "六(四)" and not c[4].startswith("not")) == 3
