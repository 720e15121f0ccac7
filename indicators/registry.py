"""Load and validate the registry: every ``*.yaml`` under ``indicators/schemes``.

Loading is all or nothing: any error in any file raises :class:`RegistryInvalid`
carrying every message found, each naming file, indicator and field.
A new scheme is added by adding a file; no code changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import yaml
from pydantic import ValidationError

from .model import COUNT_UNITS, UNIT_DECIMALS, Indicator, Kind, Reporting, Scheme, SchemeFile

SCHEMES_DIR = Path(__file__).resolve().parent / "schemes"


@dataclass(frozen=True)
class RegistryError:
    file: str
    indicator: str
    field: str
    message: str    # Chinese: office staff read it in 方案工作台 and 方案管理

    def __str__(self) -> str:
        return f"{self.file}:{error_text(self)}"


_FIELD_WORDS = {"(file)": "文件"}


def error_text(e: RegistryError) -> str:
    """One loader error in Chinese, naming the indicator (candidate) and the field."""
    where = []
    if e.indicator:
        where.append(f"指标 {e.indicator}")
    if e.field:
        where.append(f"字段 {_FIELD_WORDS.get(e.field, e.field)}")
    return ("、".join(where) + ":" if where else "") + e.message


class RegistryInvalid(Exception):
    def __init__(self, errors: list[RegistryError]):
        self.errors = errors
        super().__init__("指标库有误:\n" + "\n".join(f"  {e}" for e in errors))


@dataclass
class Registry:
    schemes: dict[str, Scheme] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # scheme id -> file name
    directory: Optional[Path] = None                     # where the files were read from

    def file_text(self, scheme_id: str) -> str:
        """The YAML text a scheme was loaded from ("" when not loaded from a file)."""
        if self.directory is None or scheme_id not in self.files:
            return ""
        return (self.directory / self.files[scheme_id]).read_text(encoding="utf-8")

    def scheme_indicators(self, scheme_id: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.scheme == scheme_id]

    def units(self, scheme_id: Optional[str] = None) -> list[str]:
        seen: dict[str, None] = {}
        for ind in self.indicators.values():
            if scheme_id is None or ind.scheme == scheme_id:
                for u in ind.responsible_units:
                    seen.setdefault(u, None)
        return list(seen)


def _indicator_label(raw, index: int) -> str:
    if isinstance(raw, dict) and raw.get("id"):
        return str(raw["id"])
    return f"#{index + 1}"


# pydantic's error types in Chinese ({…}: the error's context); any other type keeps pydantic's text.
_DATE = "应为日期,如 2025-06-30"
_PYDANTIC_ZH = {
    "missing": "缺少此项", "extra_forbidden": "不认识的字段(拼写有误,或不属于这里)",
    "string_type": "应为文字", "string_too_short": "不能为空", "string_too_long": "过长(最多 {max_length} 个字符)",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字", "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "enum": "应为以下之一:{expected}", "literal_error": "应为以下之一:{expected}",
    # Every pattern in indicators/model.py is that of an id: ^[a-z][a-z0-9_]*$.
    "string_pattern_mismatch": "格式不符(只能用小写英文字母、数字和下划线,以字母开头)",
    "list_type": "应为列表", "dict_type": "应为键值表", "model_type": "应为键值表",
    "model_attributes_type": "应为键值表", "too_short": "至少需要 {min_length} 项", "too_long": "最多 {max_length} 项",
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}", "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
}


def pydantic_message(err: dict) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in Chinese."""
    ctx = err.get("ctx") or {}
    if err.get("type") in ("value_error", "assertion_error") and ctx.get("error") is not None:
        return str(ctx["error"])          # our validators' own (Chinese) message
    template = _PYDANTIC_ZH.get(err.get("type", ""))
    if template is None:
        return f"取值无效({err.get('msg', '')})"
    values = {k: str(v).replace(" or ", "、").replace(", ", "、") for k, v in ctx.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


def _pydantic_errors(fname: str, data: dict, exc: ValidationError) -> list[RegistryError]:
    out = []
    raw_inds = data.get("indicators") if isinstance(data, dict) else None
    for err in exc.errors():
        loc = list(err["loc"])
        indicator = ""
        if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
            raw = raw_inds[loc[1]] if isinstance(raw_inds, list) and loc[1] < len(raw_inds) else None
            indicator = _indicator_label(raw, loc[1])
            loc = loc[2:]
        fld = ".".join(str(p) for p in loc) or "(file)"
        out.append(RegistryError(fname, indicator, fld, pydantic_message(err)))
    return out


def _check_target(ind: Indicator, scheme: Scheme) -> Iterable[tuple[str, str]]:
    """Yield (field, message) for a target that does not fit its kind."""
    t = ind.target
    k = ind.kind
    if k in (Kind.annual, Kind.cumulative, Kind.rate, Kind.share) and t.value is None:
        yield "target.value", f"类型 {k.value} 须有目标值 target.value"
    if k in (Kind.rate, Kind.share):
        if ind.unit != "%":
            yield "unit", f"类型 {k.value} 是百分比:单位应为 %,不是 {ind.unit}"
        if t.value is not None and not 0 <= t.value <= 100:
            yield "target.value", f"百分比目标应在 0 到 100 之间,现为 {t.value}"
    if k is Kind.annual and ind.reporting is not Reporting.flow:
        yield "reporting", "年度数量按季度发生额填报(reporting 应为 flow)"
    if k is Kind.range:
        if t.min is None or t.max is None:
            yield "target", "类型 range 须有 target.min 和 target.max"
        elif t.min > t.max:
            yield "target", f"区间下限 {t.min:g} 大于上限 {t.max:g}"
    if k in (Kind.relative_reference, Kind.relative_baseline) and not t.factor:
        yield "target.factor", f"类型 {k.value} 须有正数倍数 target.factor"
    if k is Kind.relative_reference:
        known = {r.id for r in scheme.reference_series}
        if not t.reference:
            yield "target.reference", "类型 relative_reference 须有参照指标 target.reference"
        elif t.reference not in known:
            yield "target.reference", f"未知的参照指标 {t.reference!r}(方案中有:{', '.join(sorted(known)) or '无'})"
    if k is Kind.milestone and ind.reporting is not Reporting.stock:
        yield "reporting", "节点类指标按季末状态填报(reporting 应为 stock)"
    if t.value is not None and t.value < 0:
        yield "target.value", "目标值不能为负数"


def _check_indicator(ind: Indicator, scheme: Scheme) -> Iterable[tuple[str, str]]:
    if ind.scheme != scheme.id:
        yield "scheme", f"指标写的是方案 {ind.scheme!r},但文件是方案 {scheme.id!r}"
    if not ind.id.startswith(scheme.id + "_"):
        yield "id", f"指标编号应以方案编号开头:{scheme.id}_…"
    if ind.unit not in UNIT_DECIMALS:
        yield "unit", f"未知单位 {ind.unit!r}(可用:{' '.join(UNIT_DECIMALS)})"
    if ind.dimension not in scheme.dimensions:
        yield "dimension", f"未知维度 {ind.dimension!r}(方案中有:{'、'.join(scheme.dimensions)})"
    if ind.stage not in {s.id for s in scheme.stages}:
        yield "stage", f"未知阶段 {ind.stage!r}(方案中有:{', '.join(s.id for s in scheme.stages)})"
    lo, hi = scheme.period.start.first_day, scheme.period.end.last_day
    if not lo <= ind.deadline <= hi:
        yield "deadline", f"截止日期 {ind.deadline} 不在方案期限 {scheme.period.start}—{scheme.period.end} 内"
    if ind.start is not None and ind.start.first_day > ind.deadline:
        yield "start", f"起始期 {ind.start} 晚于截止日期 {ind.deadline}"
    if ind.baseline is not None and ind.baseline.as_of > ind.deadline:
        yield "baseline.as_of", "基期日期晚于截止日期"
    if not ind.quote.strip():
        yield "quote", "缺少出处:原文引句为空"
    if not ind.clause.strip():
        yield "clause", "缺少出处:条款为空"
    if ind.ledger is not None and (ind.unit not in COUNT_UNITS or ind.kind is Kind.milestone):
        yield "ledger", f"台账证明的是数量:单位 {ind.unit!r} / 类型 {ind.kind.value} 不是数量"
    yield from _check_target(ind, scheme)


def load_file(path: Path) -> tuple[Optional[SchemeFile], list[RegistryError]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [RegistryError(path.name, "", "(file)", f"不是有效的 YAML:{exc}")]
    return load_text(text, path.name)


def load_text(text: str, fname: str = "(text)") -> tuple[Optional[SchemeFile], list[RegistryError]]:
    """One scheme file from its YAML text (a file, or a version stored in the database)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [RegistryError(fname, "", "(file)", f"不是有效的 YAML:{exc}")]
    if not isinstance(data, dict):
        return None, [RegistryError(fname, "", "(file)", "应为含 scheme 和 indicators 两项的键值表")]
    # The scheme id is implied by the file; fill it in before validation.
    scheme_id = (data.get("scheme") or {}).get("id") if isinstance(data.get("scheme"), dict) else None
    if isinstance(data.get("indicators"), list) and scheme_id:
        for raw in data["indicators"]:
            if isinstance(raw, dict):
                raw.setdefault("scheme", scheme_id)
    try:
        sf = SchemeFile.model_validate(data)
    except ValidationError as exc:
        return None, _pydantic_errors(fname, data, exc)
    errors = [RegistryError(fname, ind.id, f, m) for ind in sf.indicators for f, m in _check_indicator(ind, sf.scheme)]
    return sf, errors


def load_registry(directory: Path | str = SCHEMES_DIR) -> Registry:
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml"))
    errors: list[RegistryError] = []
    if not files:
        raise RegistryInvalid([RegistryError(str(directory), "", "", "没有找到方案文件(*.yaml)")])
    reg = Registry(directory=directory)
    seen_ind: dict[str, str] = {}
    for path in files:
        sf, errs = load_file(path)
        errors.extend(errs)
        if sf is None:
            continue
        if sf.scheme.id in reg.schemes:
            errors.append(RegistryError(path.name, "", "scheme.id",
                                        f"方案编号 {sf.scheme.id!r} 重复(也在 {reg.files[sf.scheme.id]} 中)"))
            continue
        reg.schemes[sf.scheme.id] = sf.scheme
        reg.files[sf.scheme.id] = path.name
        for ind in sf.indicators:
            if ind.id in seen_ind:
                errors.append(RegistryError(path.name, ind.id, "id", f"指标编号重复(也在 {seen_ind[ind.id]} 中)"))
                continue
            seen_ind[ind.id] = path.name
            reg.indicators[ind.id] = ind
    if errors:
        raise RegistryInvalid(errors)
    return reg
