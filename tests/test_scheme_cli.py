"""``python -m data scheme list|export|publish|adjust``: registry versions from the command line."""
from __future__ import annotations

import pytest

from data.__main__ import main
from indicators.registry import load_registry

IND = "anning_utility_model_grants_annual"
REASON = "安政办〔2024〕8号"


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def test_export_edit_publish_list(env, capsys):
    out = env / "anning.yaml"
    assert main(["scheme", "export", "--scheme", "anning", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == load_registry().file_text("anning")     # the shipped file = version 1
    out.write_text(out.read_text(encoding="utf-8").replace("target: {value: 500, text: 实用新型专利500件以上}",
                                                           "target: {value: 600, text: 实用新型专利600件以上}"),
                   encoding="utf-8")
    capsys.readouterr()
    assert main(["scheme", "publish", str(out), "--effective", "2024-06-30", "--reason", REASON, "--by", "张三"]) == 0
    assert "已发布方案 anning 第2版,2024-06-30起生效(发布人 张三" in capsys.readouterr().out
    assert main(["scheme", "list", "--scheme", "anning"]) == 0
    listed = capsys.readouterr().out
    assert "第1版\t2022-08-01起\t随系统发布\t系统" in listed
    assert f"第2版\t2024-06-30起\t发布\t张三" in listed and listed.rstrip().endswith("(当前)")
    v1 = env / "v1.yaml"
    assert main(["scheme", "export", "--scheme", "anning", "--version", "1", "--out", str(v1)]) == 0
    assert "value: 500" in v1.read_text(encoding="utf-8")
    assert main(["scheme", "export", "--scheme", "anning", "--version", "9", "--out", str(v1)]) == 1
    assert "方案 anning 没有第9版(现有:第1、2版)" in capsys.readouterr().err


def test_publish_refuses_an_invalid_file_naming_indicator_and_field(env, capsys):
    bad = env / "bad.yaml"
    bad.write_text(load_registry().file_text("anning").replace("unit: 件\n    kind: annual\n    target: {value: 500",
                                                               "unit: 件\n    kind: annual\n    target: {value: -1", 1),
                   encoding="utf-8")
    assert main(["scheme", "publish", str(bad), "--effective", "2024-06-30", "--reason", REASON]) == 1
    err = capsys.readouterr().err
    assert "未发布:bad.yaml未通过校验" in err and f"指标 {IND}、字段 target.value" in err
    assert main(["scheme", "list", "--scheme", "anning"]) == 0
    assert "第2版" not in capsys.readouterr().out


def test_adjust_and_an_effective_date_before_the_current_version(env, capsys):
    assert main(["scheme", "adjust", IND, "600", "--effective", "2024-06-30", "--reason", REASON]) == 0
    capsys.readouterr()
    assert main(["scheme", "adjust", IND, "700", "--effective", "2024-01-01", "--reason", REASON]) == 1
    assert "未发布:生效日期2024-01-01早于当前第2版的生效日期2024-06-30" in capsys.readouterr().err
    assert main(["scheme", "adjust", IND, "700", "--effective", "2024/9/30", "--reason", REASON]) == 1
    assert "生效日期“2024/9/30”无法识别" in capsys.readouterr().err


def test_the_status_command_judges_by_the_version_in_force(env, capsys):
    from indicators.periods import Quarter

    from data.db import make_engine, upgrade
    from data.store import Store

    engine = make_engine(f"sqlite:///{env / 'cli.db'}")
    upgrade(engine)
    ind = load_registry().indicators[IND]
    for q in (Quarter(2024, 1), Quarter(2024, 2)):
        Store(engine).save_value(ind, "安宁市", q, 130, "", "rep", None)
    engine.dispose()
    assert main(["scheme", "adjust", IND, "600", "--effective", "2024-06-30", "--reason", REASON]) == 0

    def status(as_of):
        import json

        capsys.readouterr()
        assert main(["status", "--scheme", "anning", "--as-of", as_of, "--format", "json"]) == 0
        return next(r for r in json.loads(capsys.readouterr().out) if r["indicator_id"] == IND)

    before, after = status("2024-04-15"), status("2024-07-15")
    assert (before["status"], before["target"]) == ("on_track", 500)
    assert (after["status"], after["target"]) == ("warning", 600)
