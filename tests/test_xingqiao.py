"""The Stars of Xingqiao (MODEL.md section 8). Every pupil and teacher here is simulated."""
from __future__ import annotations

import pandas as pd
import pytest

import scsim


def run(name="xingqiao", **kw):
    return scsim.Simulation(scsim.load_scenario(name, **kw)).run()


@pytest.fixture(scope="module")
def pair():
    return run(), run("xingqiao-control")


def test_star_inflation_grows_over_the_semester(pair):
    t, c = pair[0].ticks, pair[1].ticks
    sem1 = t[t["semester"] == 1]["star_inflation"].to_numpy()
    ctl1 = c[c["semester"] == 1]["star_inflation"].to_numpy()
    # 1,200 pupils x 3 categories: the weekly mean of (given - deserved) has sd ~0.007; the teachers'
    # bias adds ~0.08 by the end of the semester (measured), so 0.04 is ~6 sd
    assert sem1[-5:].mean() > sem1[:5].mean() + 0.04
    assert sem1[-5:].mean() > ctl1[-5:].mean() + 0.04
    assert abs(ctl1.mean()) < 0.02                       # an honest chart: perception noise only
    assert (t["teacher_bias"].iloc[:20].diff().dropna() > 0).all()   # the bias ratchets up all semester
    # a new semester removes half of it, then it grows again
    assert t["teacher_bias"].iloc[20] < t["teacher_bias"].iloc[19]
    assert t["star_inflation"].iloc[-5:].mean() > t["star_inflation"].iloc[20:25].mean()


def test_parents_dispute(pair):
    t, c = pair[0].ticks, pair[1].ticks
    assert (t["disputes"] > 0).all()
    assert (c["disputes"] == 0).all()
    # disputes over "mass star inflation" grow as it does: ~55 a week at the start of the first
    # semester, ~90 at its end (measured); Poisson noise on a 5-week mean is ~4
    sem1 = t[t["semester"] == 1]["disputes"]
    assert sem1.iloc[-5:].mean() > sem1.iloc[:5].mean() + 15
    # the wrongly sent to janitorial duty are many: the chart ranks noise among equals
    assert t["janitorial_duty_wrongful"].sum() > 0.2 * t["janitorial_duty"].sum()
    cit = pair[0].citizens
    assert cit["disputes"].sum() == t["disputes"].sum()


def test_weekly_duty_brightest_star_and_semester_treats(pair):
    res = pair[0]
    t = res.ticks
    classes = res.manifest["population"] // 40
    assert (t["janitorial_duty"] == classes).all() and (t["sanctioned"] == classes).all()
    assert t.loc[t["treats"] == 1, "tick"].tolist() == [20, 40]
    assert t.loc[t["teacher_bonus"] > 0, "tick"].tolist() == [20, 40]
    cit = res.citizens
    assert cit["janitorial_duties"].sum() == classes * len(t)
    assert cit["brightest_star"].sum() == classes * len(t)
    assert int(res.tables["classes"]["treats"].sum()) == 2
    c = pair[1].ticks
    assert (c["janitorial_duty"] == 0).all() and (c["treats"] == 0).all()


def test_no_teacher_bonus_no_inflation():
    t = run(**{"classroom.teacher_bonus": 0.0}).ticks
    assert (t["teacher_bias"] == 0).all()
    assert abs(t["star_inflation"].mean()) < 0.02


def test_quantifiable_categories_inflate_less():
    sim = scsim.Simulation(scsim.load_scenario("xingqiao", ticks=20))
    sim.run()
    c = sim.classroom
    assert c.bias_share[0, 0] < c.bias_share[1, 0]  # punctuality takes a fifth of the bias
    assert c.cat_names[0] == "punctuality"


def test_saved_run_has_the_usual_and_classroom_columns(tmp_path):
    res = run(ticks=4, population=400)
    res.save(tmp_path / "run")
    t = pd.read_parquet(tmp_path / "run" / "ticks.parquet")
    for col in ("tick", "mean_score", "score_p50", "gini", "share_few_stars", "share_star_pupil", "sanctioned",
                "disputes", "janitorial_duty", "star_inflation"):
        assert col in t.columns, col
    assert len(t) == 4
    back = scsim.Result.load(tmp_path / "run")
    assert back.manifest["scenario_name"] == "xingqiao"
    assert "synthetic" in back.manifest["simulated"] and back.manifest["model"] == "xingqiao"
    info = back.column_info()
    assert info["sanctioned"]["label"] == "pupils on Friday janitorial duty"


def test_same_seed_same_classroom():
    a, b = run(ticks=6, population=400), run(ticks=6, population=400)
    pd.testing.assert_frame_equal(a.ticks, b.ticks, check_exact=True)
    c = run(ticks=6, population=400, seed=7)
    assert not a.ticks["disputes"].equals(c.ticks["disputes"])


def test_scsim_run_xingqiao_with_no_other_option(tmp_path, monkeypatch):
    """`scsim run xingqiao` runs the classroom model: the scenario says model = "xingqiao"."""
    from scsim.cli import main

    sim = scsim.Simulation(scsim.load_scenario("xingqiao"))
    assert type(sim) is scsim.Simulation and list(sim.modules) == ["classroom"]
    monkeypatch.chdir(tmp_path)
    assert main(["run", "xingqiao", "--quiet"]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    t = pd.read_parquet(run_dir / "ticks.parquet")
    assert len(t) == 40 and {"disputes", "janitorial_duty", "star_inflation"} <= set(t.columns)
