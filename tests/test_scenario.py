"""Scenario files: loading, overrides, validation errors."""
import json

import pytest

import scsim
from scsim.errors import ScenarioError
from scsim.scenario import builtin_scenarios, schema_json

SHIPPED = ["article", "sesame", "rongcheng", "reference"]


def test_every_shipped_scenario_has_a_control_twin_with_the_system_off():
    names = builtin_scenarios()
    for name in SHIPPED:
        sc = scsim.load_scenario(name)
        assert sc.control in names, name
        ctl = scsim.load_scenario(sc.control)
        assert ctl.system is False
        assert sc.system is True
        assert ctl.seed == sc.seed and ctl.population == sc.population
        assert names[name], "every scenario has a one-line description"


def test_article_is_the_default_and_has_every_source_and_six_dimensions():
    sc = scsim.load_scenario()
    assert sc.name == "article" and sc.population == 100_000
    assert all(sc.source(s).enabled for s in scsim.scenario.SOURCES)
    assert "government_affairs" in sc.score.dimensions and len(sc.score.dimensions) == 6
    assert sc.network.alpha == 0.1 and sc.score.transparent is False and sc.sanctions.enabled


def test_sesame_has_no_government_data_and_no_sanctions():
    sc = scsim.load_scenario("sesame")
    assert not sc.sanctions.enabled and not sc.sanctions.blacklist.enabled
    for s in ("courts", "social_media", "clinics", "mobility"):
        assert not sc.source(s).enabled
    assert list(sc.score.dimensions.values()) == [0.35, 0.25, 0.20, 0.15, 0.05]


def test_rongcheng_is_a_points_ledger_with_published_deductions():
    sc = scsim.load_scenario("rongcheng")
    assert sc.score.kind == "points" and sc.score.base == 1000
    pts = {r.event: r.points for r in sc.rules.values()}
    assert pts["courts.contract_breach"] == -20 and pts["courts.court_judgement"] == -50
    assert pts["finance.bill_late"] == -10 and pts["courts.traffic_violation"] == -5
    assert pts["good_deeds.heroic_act"] == 30
    assert [t.name for t in sc.tiers] == ["D", "C", "B", "A", "AA", "AAA"]
    assert {t.name: t.min for t in sc.tiers}["AAA"] == 1050
    assert any(r.grade_cap for r in sc.rules.values())


def test_overrides_keywords_dotted_and_strings():
    sc = scsim.load_scenario("article", population=1234, ticks=7, seed=9, **{"network.alpha": "0.25"},
                             sources__courts__misattribution=0.01)
    assert (sc.population, sc.ticks, sc.seed, sc.network.alpha) == (1234, 7, 9, 0.25)
    assert sc.sources["courts"].misattribution == 0.01
    d = sc.resolved()
    assert d["network"]["alpha"] == 0.25 and d["people"]["male_share"] == 0.512
    json.dumps(d)  # the resolved scenario is JSON


@pytest.mark.parametrize("override, expect", [
    ({"network.alpha": 1.5}, "article.toml: network.alpha: Input should be less than 1"),
    ({"network.alpha": "high"}, "network.alpha: Input should be a valid number"),
    ({"network.beta": 1}, "network.beta: unknown key"),
    ({"population": 3}, "population: Input should be greater than or equal to 10"),
    ({"engine.chunk_size": 1000}, "engine.chunk_size: must be a multiple of 65536"),
    ({"rules.bill_late.dimension": "nope"}, "rules.bill_late.dimension 'nope' is not one of"),
])
def test_bad_values_give_one_line_naming_file_and_field(override, expect):
    with pytest.raises(ScenarioError) as e:
        scsim.load_scenario("article", **override)
    msg = str(e.value)
    assert expect in msg, msg
    assert "\n" not in msg


def test_bad_files(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        scsim.load_scenario(str(tmp_path / "missing.toml"))
    with pytest.raises(ScenarioError, match="no such built-in scenario"):
        scsim.load_scenario("atlantis")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x'\npopulation = [\n")
    with pytest.raises(ScenarioError, match=r"bad.toml: invalid TOML"):
        scsim.load_scenario(str(bad))
    typed = tmp_path / "typed.toml"
    typed.write_text('extends = "article"\n[graph]\nmean_degree = "twenty"\n')
    with pytest.raises(ScenarioError, match=r"typed.toml: graph.mean_degree: Input should be a valid number"):
        scsim.load_scenario(str(typed))
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('extends = "article"\n[score]\ncolour = "red"\n')
    with pytest.raises(ScenarioError, match=r"unknown.toml: score.colour: unknown key"):
        scsim.load_scenario(str(unknown))
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        scsim.load_scenario(str(binary))


def test_a_user_scenario_extends_a_builtin(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('extends = "article"\nname = "mine"\npopulation = 500\n[network]\nalpha = 0.3\n')
    sc = scsim.load_scenario(str(f))
    assert sc.name == "mine" and sc.population == 500 and sc.network.alpha == 0.3
    assert len(sc.rules) == len(scsim.load_scenario("article").rules)


def test_schema_is_json_schema_with_the_sections():
    s = json.loads(schema_json())
    assert s["type"] == "object"
    for key in ("population", "ticks", "seed", "network", "score", "rules", "sources", "sanctions", "people"):
        assert key in s["properties"], key
