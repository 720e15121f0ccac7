"""Typed schema of the indicator registry (one YAML file per scheme).

The YAML layout is ``{scheme: Scheme, indicators: [Indicator, ...]}``; the
checks that need the scheme (stages, period, dimensions, reference series) are
made in :mod:`indicators.registry`, so that every message names file,
indicator and field.
"""
from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from .periods import Month

# Units the documents use, with the decimals a reported value may carry.
UNIT_DECIMALS: dict[str, int] = {
    "件": 0, "家": 0, "人": 0, "次": 0, "个": 0, "项": 0, "场次": 0, "人次": 0,
    "亿元": 2, "万元": 2, "%": 2, "件/万人": 2, "小时": 1, "学时": 1,
}
COUNT_UNITS = {u for u, d in UNIT_DECIMALS.items() if d == 0}


class Kind(str, Enum):
    annual = "annual"                          # 年新增45件以上: a yearly amount of quarterly flows
    cumulative = "cumulative"                  # 累计达700件以上: a stock (or running total) by the deadline
    rate = "rate"                              # 按期结案率达100%: must hold in every period
    share = "share"                            # 占属地企业数量的30%以上: a percentage level by the deadline
    range = "range"                            # 2—3家: a stock between min and max
    relative_reference = "relative_reference"  # 不低于同期本省平均水平的2倍 / 增速高于全省平均水平
    relative_baseline = "relative_baseline"    # 在2022年基础上翻一番
    milestone = "milestone"                    # 成立领导小组, 形成分析报告: done (1) or not (0)


KIND_LABELS = {
    "annual": "年度量", "cumulative": "累计量", "rate": "比率(每期)", "share": "占比",
    "range": "区间", "relative_reference": "相对参照值", "relative_baseline": "相对基期",
    "milestone": "里程碑",
}
REPORTING_LABELS = {"flow": "填报当季新增量", "stock": "填报季末累计(存量)值"}


class Direction(str, Enum):
    increase = "increase"
    decrease = "decrease"


class Reporting(str, Enum):
    flow = "flow"    # the quarter's own amount
    stock = "stock"  # the level at quarter end


def _month(v):
    if isinstance(v, Month):
        return v
    if isinstance(v, date):
        return Month(v.year, v.month)
    return Month.parse(str(v))


MonthField = Annotated[Month, BeforeValidator(_month), PlainSerializer(str, return_type=str)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(Strict):
    title: str = Field(min_length=1)
    number: Optional[str] = None  # 文号, e.g. 泸市府办发〔2024〕23号
    issuer: str = Field(min_length=1)
    date: date
    url: Optional[str] = None


class Period(Strict):
    start: MonthField
    end: MonthField

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError("期限的结束早于开始")
        return self


class Stage(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    start: MonthField
    end: Optional[MonthField] = None  # open-ended (巩固提高: 2025年8月及以后)
    work: str = ""                     # 工作内容, verbatim where the document gives it
    clause: str = ""

    @model_validator(mode="after")
    def _ordered(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(f"阶段 {self.id}:结束早于开始")
        return self

    def contains(self, d: date) -> bool:
        return self.start.first_day <= d and (self.end is None or d <= self.end.last_day)


class LeadingGroup(Strict):
    name: str
    office: str
    clause: str = ""


class Thresholds(Strict):
    """p >= on_track gives on_track; warning <= p < on_track gives warning; below, behind."""

    on_track: float = 1.0
    warning: float = Field(0.8, gt=0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.warning > self.on_track:
            raise ValueError("预警阈值高于正常推进阈值")
        return self


class ReferenceSeries(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    unit: str
    interpretation: str = ""


class Scheme(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    short_name: str
    region: str                    # the region the document governs (default region)
    region_level: str = "county"   # county | city | province
    document: Document
    period: Period
    stages: list[Stage] = Field(min_length=1)
    leading_group: Optional[LeadingGroup] = None
    thresholds: Thresholds = Thresholds()
    dimensions: list[str] = Field(min_length=1)
    reference_series: list[ReferenceSeries] = []
    note: str = ""                 # how the file was read from the document

    def stage(self, stage_id: str) -> Stage:
        return next(s for s in self.stages if s.id == stage_id)

    def stage_at(self, d: date) -> Optional[Stage]:
        """The stage in force on ``d``; where two overlap (a shared month) the later one."""
        found = [s for s in self.stages if s.contains(d)]
        return found[-1] if found else None


class Baseline(Strict):
    value: float
    as_of: date
    source: str = ""


class Target(Strict):
    value: Optional[float] = None      # annual, cumulative, rate, share
    min: Optional[float] = None        # range
    max: Optional[float] = None        # range
    factor: Optional[float] = None     # relative_* (2 = 两倍 / 翻一番)
    reference: Optional[str] = None    # relative_reference: id of a scheme reference series
    strict: bool = False               # 高于 (>) rather than 不低于 (>=)
    text: str = ""                     # the target as the document words it, e.g. "45件以上"


class LedgerColumn(Strict):
    """One column of a ledger (台账). ``type``: name (the row's name, required), date (the
    date the entry became valid, e.g. 认定日期, required: counts at quarter end use it),
    credit_code (统一社会信用代码, checked by its check digit), text."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=20)
    type: Literal["name", "date", "credit_code", "text"] = "text"
    required: bool = False


# The columns of an enterprise ledger (the default): the list.
ENTERPRISE_COLUMNS: tuple[LedgerColumn, ...] = (
    LedgerColumn(key="name", label="企业名称", type="name", required=True),
    LedgerColumn(key="credit_code", label="统一社会信用代码", type="credit_code", required=True),
    LedgerColumn(key="certificate", label="认定文件/证书编号"),
    LedgerColumn(key="date", label="认定日期", type="date", required=True),
    LedgerColumn(key="source", label="来源"),
)
LEDGER_COLUMNS_MAX = 12


class Ledger(Strict):
    """A count target whose proof is a list of named things: its rows are kept as a ledger."""

    item: str = Field("企业", min_length=1, max_length=10)   # what one row is: 企业, 平台, 项目, 协议…
    columns: list[LedgerColumn] = Field(default_factory=lambda: list(ENTERPRISE_COLUMNS))

    @model_validator(mode="after")
    def _columns(self):
        cols = self.columns
        if not cols or len(cols) > LEDGER_COLUMNS_MAX:
            raise ValueError(f"台账应有 1 到 {LEDGER_COLUMNS_MAX} 列,现有 {len(cols)} 列")
        for what, values in (("key", [c.key for c in cols]), ("label", [c.label for c in cols])):
            dup = sorted({v for v in values if values.count(v) > 1})
            if dup:
                raise ValueError(f"台账列的 {what} 重复:{', '.join(dup)}")
        for typ, at_most_one in (("name", False), ("date", False), ("credit_code", True)):
            n = sum(c.type == typ for c in cols)
            if n > 1 or (n == 0 and not at_most_one):
                raise ValueError(f"台账须有{'至多' if at_most_one else '恰好'}一列类型为 {typ} 的列,现有 {n} 列")
        return self

    def column_of(self, typ: str) -> Optional[LedgerColumn]:
        return next((c for c in self.columns if c.type == typ), None)


class Indicator(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    scheme: str = ""                   # filled from the file's scheme when omitted
    name: str = Field(min_length=1)
    dimension: str
    unit: str
    kind: Kind
    direction: Direction = Direction.increase
    baseline: Optional[Baseline] = None
    target: Target = Target()
    start: Optional[MonthField] = None  # first month counted; default: scheme period start
    deadline: date
    stage: str
    reporting: Reporting
    lead_units: list[str] = []
    responsible_units: list[str] = Field(min_length=1)
    section: str = ""                  # 工作目标 / 工作任务 / 工作步骤 / 保障措施 ...
    clause: str = Field(min_length=1)  # e.g. 三(二)1
    quote: str = Field(min_length=1)   # the verbatim sentence
    interpretation: str = ""           # 口径说明
    ledger: Optional[Ledger] = None    # 台账: the named things the count is made of

    @property
    def decimals(self) -> int:
        return UNIT_DECIMALS.get(self.unit, 2)

    @property
    def reporting_unit(self) -> str:
        """The one department that enters this indicator's quarterly value:
        the first lead unit, else the first responsible unit."""
        return (self.lead_units or self.responsible_units)[0]

    @property
    def all_units(self) -> list[str]:
        seen: dict[str, None] = {}
        for u in [*self.lead_units, *self.responsible_units]:
            seen.setdefault(u, None)
        return list(seen)


class SchemeFile(Strict):
    scheme: Scheme
    indicators: list[Indicator] = Field(min_length=1)
