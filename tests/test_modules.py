"""The engine of modules: one Simulation for every model, declared states, streams and columns,
user modules, and random streams per citizen."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import scsim
from scsim.cli import main
from scsim.errors import ScenarioError, ScsimError


# ---------------------------------------------------------------------------------------------
# one engine


@pytest.mark.parametrize("name,model", [("article", "national"), ("xingqiao", "xingqiao"), ("reference", "reference")])
def test_one_simulation_class_runs_every_model(name, model):
    sc = scsim.load_scenario(name, population=2000, ticks=3)
    sim = scsim.Simulation(sc)
    assert isinstance(sim, scsim.Simulation) and type(sim) is scsim.Simulation
    assert sc.model == model and isinstance(sc, scsim.ScenarioBase)
    res = sim.run()
    assert res.manifest["model"] == model and list(res.ticks["tick"]) == [1, 2, 3]
    assert [m["name"] for m in res.manifest["modules"]] == list(sim.modules)
    timings = res.manifest["timings"]["modules"]
    assert set(timings) == set(sim.modules) and all(v["step_s"] >= 0 for v in timings.values())


def test_the_tick_order_is_one_list():
    sim = scsim.Simulation(scsim.load_scenario("article", population=2000, ticks=1))
    assert list(sim.modules) == ["people", "graph", "ostracism", "rebuke", "censorship", "gaming", "appeals", "groups",
                                 "surveillance", "sources", "scoring", "sanctions", "audit"]
    # ticks.parquet's columns are the modules' declarations, in the modules' order
    declared = ["tick"] + [c.name for m in sim.modules.values() for c in m.column_specs.values()]
    assert sim.run().ticks.columns.tolist() == declared


def test_modules_are_reached_by_name_and_own_their_states():
    sim = scsim.Simulation(scsim.load_scenario("article", population=2000, ticks=1))
    assert sim.sanctions is sim.modules["sanctions"]
    assert sim.sanctions.blacklisted.shape == (2000,) and sim.scoring.ledger_behaviour.shape[1] == 2000
    with pytest.raises(AttributeError, match="no attribute or module 'nosuch'"):
        sim.nosuch


# ---------------------------------------------------------------------------------------------
# user modules


class Rumour(scsim.Module):
    """A rumour lowers the dissent of citizens with a friend on the blacklist."""

    name = "rumour"

    class Config(scsim.Config):
        strength: float = 0.5

    def declare(self):
        self.state("heard", bool)
        self.column("rumour_hits", "citizens who heard the rumour this tick", "citizens")

    def step(self, sim, t):
        listed = sim.sanctions.blacklisted.astype(np.float32)
        hits = sim.exchange.friends_sum(listed) > 0
        sim.rebuke.dissent[hits] *= np.float32(1 - self.config.strength)
        self.heard |= hits
        self.hits = int(hits.sum())

    def measure(self, sim, t):
        return {"rumour_hits": self.hits}


def test_a_user_module_adds_its_column_and_changes_the_run(tmp_path):
    sc = scsim.load_scenario("article", population=5000, ticks=6, seed=3)
    plain = scsim.Simulation(sc).run()
    sim = scsim.Simulation(sc, modules=[Rumour(strength=0.9)])
    assert list(sim.modules)[-1] == "rumour"          # user modules run after the model's
    res = sim.run()
    assert "rumour_hits" in res.ticks and res.ticks["rumour_hits"].iloc[-1] > 0
    assert res.column_info()["rumour_hits"]["label"] == "citizens who heard the rumour this tick"
    res.save(tmp_path / "run")
    stored = pd.read_parquet(tmp_path / "run" / "ticks.parquet")
    assert stored["rumour_hits"].tolist() == res.ticks["rumour_hits"].tolist()
    # the rumour lowered dissent, so fewer critical posts than in the same world without it
    assert res.ticks["critical_posts"].iloc[-1] < plain.ticks["critical_posts"].iloc[-1]


def test_a_user_module_config_refuses_typos():
    with pytest.raises(ScenarioError, match=r"rumour: strenght: unknown key \(did you mean strength\?\)"):
        Rumour(strenght=0.3)
    with pytest.raises(ScenarioError, match="rumour: strength"):
        Rumour(strength="lots")


class Greedy(scsim.Module):
    name = "greedy"

    def declare(self):
        self.stream()           # "greedy"
        self.stream("people")   # "greedy.people": fine, named after its owner


def test_streams_are_named_after_their_module_and_never_shared():
    sim = scsim.Simulation(scsim.load_scenario("article", population=500, ticks=1), modules=[Greedy()])
    assert sim.greedy.rng.name == "greedy" and sim.greedy.rngs["people"].name == "greedy.people"
    assert sim.streams.owners["people"] == "people"

    class Thief(scsim.Module):
        name = "thief"

        def declare(self):
            self.stream_names.append("people")   # claims the people module's stream

    with pytest.raises(ScenarioError, match="random stream 'people' is claimed by module 'thief' and by module 'people'"):
        scsim.Simulation(scsim.load_scenario("article", population=500, ticks=1), modules=[Thief()])


def test_two_modules_of_one_name_are_refused():
    with pytest.raises(ScenarioError, match="two modules are named 'greedy'"):
        scsim.Simulation(scsim.load_scenario("article", population=500, ticks=1), modules=[Greedy(), Greedy()])
    assert scsim.Simulation(scsim.load_scenario("article", population=500, ticks=1),
                            modules=[Greedy(), Greedy(name="greedy2")]).greedy2.rng.name == "greedy2"


def test_a_module_must_measure_exactly_what_it_declared():
    class Sloppy(scsim.Module):
        name = "sloppy"

        def declare(self):
            self.column("a", "a thing")

        def measure(self, sim, t):
            return {"b": 1}

    sim = scsim.Simulation(scsim.load_scenario("article", population=500, ticks=1), modules=[Sloppy()])
    with pytest.raises(ScsimError, match=r"module 'sloppy' measured \['b'\] beyond its declared columns and left out \['a'\]"):
        sim.step()


# ---------------------------------------------------------------------------------------------
# typed scenarios: a typo is an error, with the nearest valid name


TYPOS = [
    ({"sources.commerce.rates.dipers": 0.3}, "sources.commerce.rates.dipers: unknown key (did you mean diapers?)"),
    ({"rules.traffic_violation.event": "courts.trafic_violation"},
     "rules.traffic_violation.event: unknown event 'courts.trafic_violation' (did you mean courts.traffic_violation?)"),
    ({"sources.courts.params.unpaid_shar": 0.5}, "sources.courts.params.unpaid_shar: unknown key (did you mean unpaid_share?)"),
    ({"sources.comerce.enabled": False}, "sources.comerce: unknown key (did you mean commerce?)"),
    ({"behaviour.ostracism.cut_maxx": 0.5}, "behaviour.ostracism.cut_maxx: unknown key (did you mean cut_max?)"),
    ({"behaviour.censorship.rule": "flaged_post"}, "unknown rule 'flaged_post' (did you mean flagged_post?)"),
    ({"rules.diapers.dimension": "behavior_preference"},
     "unknown dimension 'behavior_preference' (did you mean behaviour_preference?)"),
    ({"sources.finance.response.bill_late.trait": "prudense"}, "unknown trait 'prudense' (did you mean prudence?)"),
    ({"people.traits.dissident": {"a": 1, "b": 2}}, "unknown trait 'dissident' (did you mean dissent?)"),
    ({"sanctions.blacklist.duraton": 10}, "sanctions.blacklist.duraton: unknown key (did you mean duration?)"),
    ({"model": "natonal"}, "model: unknown model 'natonal' (did you mean national?)"),
]


@pytest.mark.parametrize("override,message", TYPOS)
def test_typos_are_refused_with_the_nearest_name(override, message):
    with pytest.raises(ScenarioError) as e:
        scsim.load_scenario("article", **override)
    assert message in str(e.value) and str(e.value).startswith("article.toml: ") and "\n" not in str(e.value)


def test_typos_in_a_file_exit_2_and_run_nothing(tmp_path, capsys):
    f = tmp_path / "typo.toml"
    f.write_text('extends = "article"\n[sources.commerce.rates]\ndipers = 0.3\n')
    out = tmp_path / "out"
    assert main(["run", str(f), "-n", "1000", "-t", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {f}: sources.commerce.rates.dipers: unknown key (did you mean diapers?)"
    assert not out.exists()
    f.write_text('extends = "article"\n[rules.traffic_violation]\nevent = "courts.trafic_violation"\n')
    assert main(["scenario", "check", str(f)]) == 2
    assert "did you mean courts.traffic_violation?" in capsys.readouterr().err


def test_files_carry_only_what_their_model_uses():
    from scsim.scenario import _builtin_dir

    x = (_builtin_dir() / "xingqiao.toml").read_text()
    r = (_builtin_dir() / "reference.toml").read_text()
    assert "[graph]" not in x and "[sources" not in x and "extends" not in x
    assert "extends" not in r and "[sources" not in r and "[rules" not in r
    # the reference model's section is typed too
    with pytest.raises(ScenarioError, match=r"reference.alfa: unknown key \(did you mean alpha\?\)"):
        scsim.load_scenario("reference", **{"reference.alfa": 0.2})
    with pytest.raises(ScenarioError, match=r"classroom.bonus: unknown key"):
        scsim.load_scenario("xingqiao", **{"classroom.bonus": 1})


def test_a_mechanism_that_is_on_needs_its_figures():
    with pytest.raises(ScenarioError, match=r"behaviour.ostracism: every: missing \(needed when enabled\)"):
        scsim.load_scenario("rongcheng", **{"behaviour.enabled": True, "behaviour.ostracism.enabled": True})


# ---------------------------------------------------------------------------------------------
# random streams per citizen


def test_the_reference_model_draws_dissent_from_its_own_stream():
    """Dissent is i.i.d. U(0, 1), independent of age (MODEL.md section 12): it used to be the
    number that drew each citizen's age band."""
    sim = scsim.Simulation(scsim.load_scenario("reference", population=60_000, ticks=1, seed=1))
    d = sim.reference.dissent
    old = sim.people.age >= 60
    assert stats.kstest(d[old], "uniform").pvalue > 1e-3
    assert stats.kstest(d[~old], "uniform").pvalue > 1e-3
    assert d[old].max() > 0.99
    assert abs(stats.spearmanr(d, sim.people.age).statistic) < 0.02


class EventLog(scsim.Module):
    """Every recorded event's behaviour count, per citizen, summed over the run."""

    name = "event_log"

    def init(self, sim):
        self.counts = {k: np.zeros(sim.n, np.int64) for k in sim.sources.recorded}

    def step(self, sim, t):
        for k, rec in sim.sources.records.items():
            self.counts[k][rec.beh_ids] += rec.beh


def _events_and_listed(trip_cut: float):
    sc = scsim.load_scenario("article", population=50_000, ticks=52, seed=42,
                             **{"network.alpha": 0.0, "sanctions.trip_cut": trip_cut, "behaviour.enabled": False,
                                "groups.enabled": False, "surveillance.enabled": False})
    log = EventLog()
    sim = scsim.Simulation(sc, modules=[log])
    ever = np.zeros(sim.n, bool)
    for _ in range(sc.ticks):
        sim.step()
        ever |= sim.sanctions.blacklisted
    return log.counts, ever


def test_common_random_numbers_hold_per_citizen():
    """A policy that acts only on the blacklisted changes the event draws of nobody else: in
    article at 50,000 citizens, no friends' term and no behaviours, changing sanctions.trip_cut
    (travel bans) leaves every event count of every citizen never blacklisted unchanged."""
    base, listed = _events_and_listed(0.70)
    assert 100 < listed.sum() < 2000
    for cut in (0.69, 0.0):
        other, listed_other = _events_and_listed(cut)
        ever = listed | listed_other
        changed = np.zeros(50_000, bool)
        for k in base:
            changed |= base[k] != other[k]
        assert not (changed & ~ever).any(), f"trip_cut {cut}: {int((changed & ~ever).sum())} never-listed citizens drew other events"
        if cut == 0.0:  # lifting the travel ban does change the listed citizens' draws (visits to flagged places)
            assert (changed & ever).sum() > 10


def test_a_citizens_draws_do_not_depend_on_who_else_is_drawn():
    s = scsim.engine.Stream("sources.courts", seed=7)
    lam = np.random.default_rng(1).random(10_000) * 3
    full = s.poisson(lam, 5, "traffic_violation")
    ids = np.arange(10_000)
    pick = np.sort(np.random.default_rng(2).choice(10_000, 700, replace=False))
    assert np.array_equal(s.poisson(lam[pick], 5, "traffic_violation", ids=ids[pick]), full[pick])
    assert np.array_equal(s.poisson(lam[100:900], 5, "traffic_violation", ids=range(100, 900)), full[100:900])
    other = s.poisson(lam, 6, "traffic_violation")
    assert not np.array_equal(other, full)


# ---------------------------------------------------------------------------------------------
# every shipped scenario runs; the time of each module


@pytest.mark.parametrize("name", sorted(scsim.builtin_scenarios()))
def test_every_shipped_scenario_runs(name):
    sc = scsim.load_scenario(name, population=1200, ticks=3, seed=2)
    res = scsim.Simulation(sc).run()
    assert len(res.ticks) == 3 and len(res.citizens) == 1200
    assert res.ticks.notna().all().all() or name.startswith(("article", "sesame", "rongcheng"))  # NaN: unmeasured precision


def test_run_profile_prints_the_time_of_each_module(tmp_path, capsys):
    assert main(["run", "-n", "2000", "-t", "3", "--profile", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "time per module over 3 ticks" in out
    for m in ("sources", "scoring", "sanctions", "ostracism", "audit"):
        assert f"│ {m} " in out, m
    import json

    timings = json.loads((tmp_path / "r" / "manifest.json").read_text())["timings"]["modules"]
    assert set(timings) >= {"sources", "scoring"} and timings["sources"]["step_s"] > 0
