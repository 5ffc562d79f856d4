"""Scenario files: loading, overrides, validation errors."""
import json

import pytest

import scsim
from scsim.errors import ScenarioError
from scsim.scenario import builtin_scenarios, schema_json

SHIPPED = ["article", "sesame", "rongcheng", "reference", "xingqiao"]


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
    from scsim.mechanisms.sources import SOURCES

    assert sc.model == "national"
    assert all(getattr(sc.sources, s).enabled for s in SOURCES)
    assert "government_affairs" in sc.score.dimensions and len(sc.score.dimensions) == 6
    assert sc.network.alpha == 0.1 and sc.score.transparent is False and sc.sanctions.enabled


def test_sesame_has_no_government_data_and_no_sanctions():
    sc = scsim.load_scenario("sesame")
    assert not sc.sanctions.enabled and not sc.sanctions.blacklist.enabled
    for s in ("courts", "social_media", "clinics", "mobility", "good_deeds", "metadata", "ratings", "gaming"):
        assert not getattr(sc.sources, s).enabled
    assert sc.sources.commerce.enabled and sc.sources.finance.enabled
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
    assert sc.sources.courts.misattribution == 0.01
    d = sc.resolved()
    assert d["network"]["alpha"] == 0.25 and d["people"]["male_share"] == 0.512
    json.dumps(d)  # the resolved scenario is JSON


@pytest.mark.parametrize("override, expect", [
    ({"network.alpha": 1.5}, "article.toml: network.alpha: Input should be less than 1"),
    ({"network.alpha": "high"}, "network.alpha: Input should be a valid number"),
    ({"network.beta": 1}, "network.beta: unknown key"),
    ({"population": 3}, "population: Input should be greater than or equal to 10"),
    ({"engine.chunk_size": 0}, "engine.chunk_size: Input should be greater than 0"),
    ({"rules.bill_late.dimension": "nope"}, "rules.bill_late.dimension: unknown dimension 'nope'"),
    ({"network.alpha": float("nan")}, "network.alpha: Input should be a finite number"),
    ({"sources.courts.rates.traffic_violation": -1}, "sources.courts.rates.traffic_violation: Input should be greater than or equal to 0"),
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
    assert s["discriminator"]["propertyName"] == "model"
    # one schema per model, chosen by the model key
    models = {d["properties"]["model"]["const"]: d for d in s["$defs"].values() if "model" in d.get("properties", {})}
    assert set(models) == {"national", "xingqiao", "reference"}
    for key in ("population", "ticks", "seed", "network", "score", "rules", "sources", "sanctions", "people"):
        assert key in models["national"]["properties"], key
    assert "classroom" in models["xingqiao"]["properties"] and "reference" in models["reference"]["properties"]


def test_extends_resolves_relative_to_the_file(tmp_path, monkeypatch):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "base.toml").write_text('extends = "article"\nname = "base"\n[network]\nalpha = 0.2\n')
    (sub / "child.toml").write_text('extends = "base.toml"\nname = "child"\n')
    monkeypatch.chdir(tmp_path)
    sc = scsim.load_scenario(str(sub / "child.toml"))
    assert sc.name == "child" and sc.network.alpha == 0.2
    (sub / "loop.toml").write_text('extends = "loop.toml"\n')
    with pytest.raises(ScenarioError, match="extends itself"):
        scsim.load_scenario(str(sub / "loop.toml"))


def test_every_number_in_a_shipped_scenario_names_its_source_or_says_unverified():
    """MODEL.md section 15: a figure without a source is marked, so a reader knows which results
    rest on guesses. Every line of a shipped scenario that holds a number has a comment."""
    import re

    from scsim.scenario import _builtin_dir

    for f in sorted(_builtin_dir().iterdir()):
        if not f.name.endswith(".toml"):
            continue
        for i, line in enumerate(f.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"(?<![A-Za-z_])[-+]?\d+(\.\d+)?(?![A-Za-z_])", code.split("=", 1)[-1]) and "=" in code:
                if code.strip().startswith(("name", "description", "control", "extends")):
                    continue
                assert "#" in line, f"{f.name} line {i}: a number without its source or 'unverified': {line.strip()}"
