/* scsim dashboard. Every citizen shown is simulated. No external resources: Plotly.js is served by
   the dashboard itself. All data comes from the read-only JSON API under /api. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("config").textContent);
  const PLOT = { displaylogo: false, responsive: true };
  const TIER_COLOURS = ["#c0392b", "#e67e22", "#f1c40f", "#7dbb42", "#1e8449", "#117a65", "#1f618d", "#6c3483"];
  const SERIES = ["#2b59c3", "#c0392b", "#1e8449", "#e67e22", "#8e44ad", "#16a085", "#7f8c8d", "#d35400"];
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  async function api(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" } });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) throw new Error((body && body.detail) || (r.status + " " + r.statusText));
    return body;
  }
  function status(msg, isError) {
    const s = $("status");
    if (!s) return;
    s.textContent = msg || "";
    s.classList.toggle("error", !!isError);
  }
  function fail(e) { status(String(e.message || e), true); }
  function layout(title, extra) {
    return Object.assign({
      title: { text: title, font: { size: 14 }, x: 0.02 }, height: 340,
      margin: { l: 60, r: 20, t: 40, b: 95 }, font: { family: "system-ui, sans-serif", size: 12 },
      paper_bgcolor: "#fff", plot_bgcolor: "#fff", legend: { orientation: "h", x: 0, y: -0.3, yanchor: "top" },
      xaxis: { gridcolor: "#eee", zeroline: false }, yaxis: { gridcolor: "#eee", zeroline: false },
    }, extra || {});
  }
  function plot(id, traces, lay) { const el = $(id); el.style.minHeight = ""; if (!el.data) el.innerHTML = ""; return Plotly.react(el, traces, lay, PLOT); }
  function empty(id, msg) {
    const el = $(id);
    if (el && el.data) Plotly.purge(el);
    el.innerHTML = '<div class="empty"></div>';
    el.firstChild.textContent = msg;
    el.style.minHeight = "0";
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number") {
      if (Number.isInteger(v)) return v.toLocaleString("en");
      return v.toLocaleString("en", { maximumFractionDigits: digits === undefined ? 3 : digits });
    }
    return String(v);
  }
  function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(2) + "%"; }
  function nice(name) { return name.replace(/^share_/, "").replace(/^events_/, "events: ").replace(/_/g, " "); }
  function cards(el, items) {
    el.innerHTML = "";
    for (const [k, v] of items) {
      const d = document.createElement("div"); d.className = "card";
      const a = document.createElement("div"); a.className = "v"; a.textContent = v;
      const b = document.createElement("div"); b.className = "k"; b.textContent = k;
      d.append(a, b); el.append(d);
    }
  }
  function table(el, columns, rows, opts) {
    opts = opts || {};
    el.innerHTML = "";
    const thead = document.createElement("thead"), tr = document.createElement("tr");
    for (const c of columns) { const th = document.createElement("th"); th.textContent = opts.headers ? opts.headers[c] || c : c; tr.append(th); }
    thead.append(tr); el.append(thead);
    const tb = document.createElement("tbody");
    for (const r of rows) {
      const row = document.createElement("tr");
      if (opts.flag && opts.flag(r)) row.className = "flag";
      for (const c of columns) {
        const td = document.createElement("td");
        const cell = opts.cell ? opts.cell(c, r) : null;
        if (cell instanceof Node) td.append(cell); else td.textContent = cell !== null && cell !== undefined ? cell : fmt(r[c]);
        row.append(td);
      }
      tb.append(row);
    }
    el.append(tb);
  }
  function fillRuns(sel, current, withNone) {
    sel.innerHTML = withNone ? '<option value="">(none)</option>' : "";
    for (const r of cfg.runs) {
      const o = document.createElement("option"); o.value = r.id; o.textContent = r.label;
      if (r.id === current) o.selected = true;
      sel.append(o);
    }
  }
  function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }

  // ============================================================== analyst view
  function analyst() {
    const state = { run: cfg.run, compare: cfg.compare || "", meta: null, ticks: null, pop: 1, tick: 1, disparity: null };
    fillRuns($("run"), state.run, false);
    fillRuns($("compare"), state.compare, true);
    $("nav-citizen").href = "/citizen?run=" + enc(state.run);

    function syncUrl() {
      const q = new URLSearchParams({ run: state.run });
      if (state.compare) q.set("compare", state.compare);
      history.replaceState(null, "", "/?" + q.toString());
      $("nav-citizen").href = "/citizen?run=" + enc(state.run);
    }
    $("run").addEventListener("change", (e) => { state.run = e.target.value; syncUrl(); loadRun().catch(fail); if (state.compare) loadCompare().catch(fail); });
    $("compare").addEventListener("change", (e) => { state.compare = e.target.value; syncUrl(); loadCompare().catch(fail); });
    const onTick = debounce(() => loadTick().catch(fail), 60);
    $("tick").addEventListener("input", (e) => { state.tick = +e.target.value; $("tick-label").textContent = state.tick; onTick(); });
    $("attribute").addEventListener("change", () => drawDisparity());
    $("other").addEventListener("change", () => drawOther());

    async function loadRun() {
      status("loading " + state.run + " …");
      const run = state.run, base = "/api/runs/" + enc(run);
      const info = cfg.runs.find((r) => r.id === run) || {};
      const last = info.last_tick || 1;
      const sl = $("tick"); sl.max = last; sl.value = last; state.tick = last; $("tick-label").textContent = last;
      // every request of the first screen at once; draw each part as its data arrives
      const pMeta = api(base), pTicks = api(base + "/ticks");
      const pTick = fetchTick(last), pDisp = api(base + "/disparity"), pNet = api(base + "/network");
      const [meta, ticks] = await Promise.all([pMeta, pTicks]);
      if (run !== state.run) return;
      state.meta = meta; state.ticks = ticks.data; state.pop = meta.population || 1;
      drawSummary(); drawQuantiles(); drawShares(); drawSanctions();
      showTick(last, await pTick);
      showDisparity(await pDisp);
      // below the first screen: after the browser has painted it
      await new Promise((ok) => setTimeout(ok, 0));
      drawNetworkTicks(); drawExtra(); fillOther();
      await showNetwork(run, await pNet);
      status("");
    }

    function drawSummary() {
      const m = state.meta, s = m.summary || {};
      const items = [["scenario", m.scenario + (m.system === false ? " (control twin)" : "")], ["simulated citizens", fmt(m.population)],
        ["ties", fmt(m.edges)], ["ticks (weeks)", fmt(m.ticks)], ["seed", fmt(m.seed)], ["mean score", fmt(s.mean_score, 1)],
        ["Gini", fmt(s.gini, 4)]];
      for (const k of ["sanctioned", "blacklisted", "wrongful_sanctions", "guilt_by_association"]) {
        if (s[k] !== undefined && s[k] !== null) items.push([nice(k), fmt(s[k]) + " (" + pct(s[k] / state.pop) + ")"]);
      }
      if (s.persistence_at_bottom !== undefined && s.persistence_at_bottom !== null) items.push(["bottom-tier citizens still there (poverty trap)", pct(s.persistence_at_bottom)]);
      cards($("summary"), items);
    }

    function drawQuantiles() {
      const t = state.ticks, x = t.tick;
      if (!t.score_p05) { empty("fig-quantiles", "No score quantiles in ticks.parquet"); return; }
      const band = (lo, hi, name, colour) => [
        { x, y: t[lo], mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
        { x, y: t[hi], mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: colour, name }];
      const traces = [...band("score_p05", "score_p95", "5th–95th percentile", "rgba(43,89,195,0.15)"),
        ...band("score_p25", "score_p75", "25th–75th percentile", "rgba(43,89,195,0.3)"),
        { x, y: t.score_p50, mode: "lines", name: "median", line: { color: "#2b59c3", width: 2 } },
        { x, y: t.mean_score, mode: "lines", name: "mean", line: { color: "#c0392b", dash: "dot" } }];
      plot("fig-quantiles", traces, layout("Score quantiles per tick (whole population)", {
        xaxis: { title: { text: "tick" }, gridcolor: "#eee" }, yaxis: { title: { text: "score" }, gridcolor: "#eee" },
        shapes: [tickLine(state.tick)] }));
    }
    function tickLine(tick) { return { type: "line", x0: tick, x1: tick, yref: "paper", y0: 0, y1: 1, line: { color: "#888", dash: "dash", width: 1 } }; }

    function fetchTick(tick) {
      const base = "/api/runs/" + enc(state.run);
      return Promise.all([api(base + "/histogram?tick=" + tick), api(base + "/transitions?tick=" + tick)]);
    }
    function showTick(tick, [h, tr]) {
      if (tick !== state.tick) return;
      drawHistogram(h); drawFlows(tr);
      const fq = $("fig-quantiles"); if (fq.data) Plotly.relayout(fq, { shapes: [tickLine(tick)] });
    }
    async function loadTick() {
      const tick = state.tick;
      showTick(tick, await fetchTick(tick));
    }

    function drawHistogram(h) {
      const mids = h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2);
      const share = h.counts.map((c) => (h.n ? c / h.n : 0));
      const q = h.quantiles || {}, shapes = [], ann = [];
      for (const [k, label] of [["score_p05", "p5"], ["score_p50", "median"], ["score_p95", "p95"]]) {
        if (q[k] === null || q[k] === undefined) continue;
        shapes.push({ type: "line", x0: q[k], x1: q[k], yref: "paper", y0: 0, y1: 1, line: { color: "#c0392b", width: 1, dash: k === "score_p50" ? "solid" : "dot" } });
        ann.push({ x: q[k], yref: "paper", y: 1.02, text: label, showarrow: false, font: { size: 10, color: "#c0392b" } });
      }
      plot("fig-hist", [{ type: "bar", x: mids, y: share, width: (h.hi - h.lo) / h.bins, marker: { color: h.source === "citizens" ? "#2b59c3" : "#7f8fb8" },
        customdata: h.counts, hovertemplate: "score %{x:.1f}: %{customdata:,} citizens (%{y:.2%})<extra></extra>", name: h.source }],
        layout(`Scores at tick ${h.tick}: ${h.source === "citizens" ? "all " + fmt(h.n) + " citizens" : "tracked sample of " + fmt(h.n)}`, {
          bargap: 0, shapes, annotations: ann, showlegend: false,
          xaxis: { title: { text: "score" }, range: [h.lo, h.hi], gridcolor: "#eee" }, yaxis: { title: { text: "share of citizens" }, tickformat: ".0%", gridcolor: "#eee" } }));
      let src = "Histogram: " + h.describes + ". Red lines: whole-population percentiles at this tick (ticks.parquet).";
      if (h.below || h.above) src += ` Outside the shown range: ${fmt(h.below)} below ${fmt(h.lo)}, ${fmt(h.above)} above ${fmt(h.hi)}.`;
      if (h.source !== "citizens") src += " Move the slider to the last tick for the whole population.";
      $("hist-src").textContent = src;
    }

    function drawShares() {
      const t = state.ticks, tiers = state.meta.tiers || [];
      const traces = tiers.filter((n) => t["share_" + n]).map((n, i) => ({ x: t.tick, y: t["share_" + n], name: nice(n), stackgroup: "one",
        mode: "lines", line: { width: 0.5, color: TIER_COLOURS[i % TIER_COLOURS.length] }, hovertemplate: "%{y:.2%}" }));
      if (!traces.length) { empty("fig-shares", "No tier shares in ticks.parquet"); return; }
      plot("fig-shares", traces, layout("Tier shares per tick", { yaxis: { tickformat: ".0%", range: [0, 1], gridcolor: "#eee" }, xaxis: { title: { text: "tick" } } }));
    }

    function drawFlows(tr) {
      if (!tr.available) { empty("fig-flows", "This run has no transitions table"); $("flows-src").textContent = ""; return; }
      const names = tr.tiers.map(nice), z = tr.matrix;
      const total = z.flat().reduce((a, b) => a + b, 0);
      const stay = z.reduce((a, row, i) => a + row[i], 0);
      plot("fig-flows", [{ type: "heatmap", x: names, y: names, z: z.map((r) => r.map((v) => Math.log10(1 + v))), text: z.map((r) => r.map((v) => v.toLocaleString("en"))),
        texttemplate: "%{text}", colorscale: [[0, "#f4f7fc"], [1, "#6f95d8"]], showscale: false, hovertemplate: "%{y} → %{x}: %{text}<extra></extra>" }],
        layout(`Tier flows into tick ${tr.tick}`, { xaxis: { title: { text: "tier after this tick" }, type: "category" },
          yaxis: { title: { text: "tier before" }, type: "category", autorange: "reversed" }, margin: { l: 90, r: 20, t: 40, b: 55 } }));
      $("flows-src").textContent = `Rows: tier after tick ${tr.tick - 1}; columns: tier after tick ${tr.tick}. ` +
        `${fmt(total - stay)} citizens changed tier, ${fmt(stay)} stayed. Colour is on a log scale.`;
    }

    // the columns a module declared (label, unit, description), as the server lists them
    function groupsOf(mods, unit) {
      return (state.meta.measure_groups || []).filter((g) => mods.includes(g.module) && (unit === undefined || g.unit === unit));
    }
    function label(c) { const i = (state.meta.columns || []).find((x) => x.name === c); return i ? i.label : nice(c); }

    function drawSanctions() {
      const t = state.ticks, pop = state.pop;
      const kinds = groupsOf(["sanctions"], "citizens").flatMap((g) => g.columns).filter((k) => t[k]);
      const mk = (k, i) => ({ x: t.tick, y: t[k].map((v) => v / pop), customdata: t[k], name: label(k), mode: "lines",
        line: { color: SERIES[i % SERIES.length] }, hovertemplate: "%{customdata:,} (%{y:.2%})" });
      if (kinds.length) plot("fig-sanctions", kinds.map(mk), layout("Sanctions in force, by kind", { yaxis: { tickformat: ".2%", rangemode: "tozero", title: { text: "share of citizens" }, gridcolor: "#eee" }, xaxis: { title: { text: "tick" } } }));
      else empty("fig-sanctions", "No sanction counts in ticks.parquet");
      const hk = groupsOf(["audit"], "citizens").flatMap((g) => g.columns).filter((k) => t[k]);
      const hmax = Math.max(0, ...hk.flatMap((k) => t[k].map((v) => v / pop)));
      if (hk.length) plot("fig-harm", hk.map((k, i) => mk(k, i + 1)), layout("Wrongful sanctions and guilt by association", { yaxis: { tickformat: ".2%", range: [0, Math.max(hmax * 1.15, 0.001)], title: { text: "share of citizens" }, gridcolor: "#eee" }, xaxis: { title: { text: "tick" } } }));
      else empty("fig-harm", "This run does not measure wrongful sanctions or guilt by association");
    }

    function showDisparity(d) {
      state.disparity = d;
      const sel = $("attribute"), keep = sel.value;
      sel.innerHTML = "";
      for (const a of d.attributes) { const o = document.createElement("option"); o.value = a; o.textContent = nice(a); sel.append(o); }
      if (d.attributes.includes(keep)) sel.value = keep;
      $("disp-src").textContent = "Source: " + d.describes + ".";
      drawDisparity();
    }
    function drawDisparity() {
      const d = state.disparity;
      if (!d || !d.rows.length) { empty("fig-disparity", "No disparity data"); $("tbl-disparity").innerHTML = ""; return; }
      const a = $("attribute").value, rows = d.rows.filter((r) => r.attribute === a);
      const groups = rows.map((r) => r.group);
      const traces = [];
      if (rows.some((r) => r.sanction_rate !== null && r.sanction_rate !== undefined)) traces.push({ type: "bar", x: groups, y: rows.map((r) => r.sanction_rate), name: "sanction rate", marker: { color: "#c0392b" } });
      if (rows.some((r) => r.blacklist_rate !== null && r.blacklist_rate !== undefined)) traces.push({ type: "bar", x: groups, y: rows.map((r) => r.blacklist_rate), name: "blacklist rate", marker: { color: "#34495e" } });
      const hasImpact = rows.some((r) => r.impact_ratio !== null && r.impact_ratio !== undefined);
      if (hasImpact) traces.push({ type: "scatter", mode: "markers+lines", x: groups, y: rows.map((r) => r.impact_ratio), name: "impact ratio", yaxis: "y2", marker: { color: "#2b59c3", size: 8 } });
      const lay = layout("By " + nice(a), { barmode: "group", xaxis: { type: "category", automargin: true }, yaxis: { tickformat: ".2%", title: { text: "rate" }, gridcolor: "#eee" } });
      if (hasImpact) {
        lay.yaxis2 = { overlaying: "y", side: "right", title: { text: "impact ratio" }, rangemode: "tozero", showgrid: false, tickformat: ".2f" };
        // ratios to the least-sanctioned group are >= 1 and breach the four-fifths rule above 1/0.8;
        // ratios to the most-favoured group are <= 1 and breach it below 0.8
        const ratios = rows.map((r) => r.impact_ratio).filter((v) => v !== null && v !== undefined);
        const th = ratios.every((v) => v >= 0.999) ? 1.25 : 0.8;
        lay.yaxis2.range = [0, Math.max(th * 1.15, ...ratios.map((v) => v * 1.1))];
        lay.shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y2", y0: th, y1: th, line: { color: "#2b59c3", dash: "dot" } }];
        lay.margin = { l: 60, r: 60, t: 40, b: 95 };
        lay.annotations = [{ xref: "paper", x: 0, yref: "y2", y: th, text: "four-fifths rule (" + th + ")", showarrow: false, xanchor: "left", yanchor: "bottom", font: { size: 10, color: "#2b59c3" } }];
      }
      plot("fig-disparity", traces, lay);
      const cols = d.columns.filter((c) => c !== "attribute");
      const rate = (c) => /rate$/.test(c);
      table($("tbl-disparity"), cols, rows, {
        flag: (r) => r.four_fifths_violation === true,
        cell: (c, r) => (rate(c) ? pct(r[c]) : c === "mean_score" ? fmt(r[c], 1) : null),
        headers: Object.fromEntries(cols.map((c) => [c, nice(c)])) });
    }

    async function showNetwork(run, nw) {
      if (run !== state.run) return;
      const base = "/api/runs/" + enc(run);
      const items = [["ties", fmt(nw.edges)], ["mean degree", fmt(nw.mean_degree, 2)], ["max degree", fmt(nw.max_degree)],
        ["isolated", fmt(nw.isolated)], ["components", "…"], ["largest component", "…"],
        ["score assortativity", fmt(nw.score_assortativity, 3)]];
      cards($("net-cards"), items);
      // components take a few seconds on a million citizens: fill them in when they come
      api(base + "/components").then((cc) => {
        if (run !== state.run) return;
        items[4][1] = fmt(cc.components); items[5][1] = pct(cc.largest_component_share);
        cards($("net-cards"), items);
      }).catch(fail);
      if (nw.degree_counts && nw.degree_counts.length) {
        const x = nw.degree_counts.map((_, i) => i);
        plot("fig-degree", [{ type: "bar", x, y: nw.degree_counts, marker: { color: "#2b59c3" }, hovertemplate: "degree %{x}: %{y:,}<extra></extra>" }],
          layout("Degree distribution (final graph)" + (nw.degree_above_cap ? ` — ${fmt(nw.degree_above_cap)} above 199 not shown` : ""),
            { bargap: 0, yaxis: { type: "log", title: { text: "citizens" }, gridcolor: "#eee" }, xaxis: { title: { text: "contacts" } } }));
      } else empty("fig-degree", "No graph in this run");
      if (nw.score_by_degree) {
        const sb = nw.score_by_degree;
        plot("fig-net", [{ type: "scatter", mode: "lines+markers", x: sb.degree_from.map((d) => "≥" + d), y: sb.mean_score, customdata: sb.citizens, marker: { color: "#16a085", size: 8 }, line: { color: "#16a085" },
          hovertemplate: "degree %{x}: mean score %{y:.1f} (%{customdata:,} citizens)<extra></extra>" }],
          layout("Mean score by degree decile (final graph)", { xaxis: { type: "category", title: { text: "contacts" } }, yaxis: { title: { text: "mean score" }, gridcolor: "#eee" } }));
      } else empty("fig-net", "No graph in this run");
    }

    // small multiples of per-tick measures: one figure per module and unit, as the modules declared them
    function multiples(boxId, srcId, groups, none) {
      const t = state.ticks, box = $(boxId);
      for (const el of box.querySelectorAll(".fig")) Plotly.purge(el);
      box.innerHTML = "";
      const present = groups.map((g) => Object.assign({}, g, { cols: g.columns.filter((c) => t[c]) })).filter((g) => g.cols.length);
      $(srcId).textContent = present.length ? "Per-tick measures from ticks.parquet, by the module that took them: " +
        present.map((g) => g.label + " (" + g.cols.join(", ") + ")").join("; ") + "." : none;
      // create every cell first, so that each figure is sized in its final grid cell
      present.forEach((g, k) => { const d = document.createElement("div"); d.className = "fig"; d.id = boxId + "-" + k; box.append(d); });
      present.forEach((g, k) => {
        const d = $(boxId + "-" + k);
        const unitShare = /^share of /.test(g.unit);
        plot(d.id, g.cols.map((c, i) => ({ x: t.tick, y: t[c], mode: "lines", name: label(c),
          line: { color: SERIES[(k + i) % SERIES.length] }, hovertemplate: "%{y:,.4g}" })),
          layout(g.label + (g.unit ? " (" + g.unit + ")" : ""), { height: 270, showlegend: g.cols.length > 1, margin: { l: 55, r: 15, t: 36, b: g.cols.length > 1 ? 80 : 40 },
            legend: { orientation: "h", x: 0, y: -0.25, yanchor: "top" },
            yaxis: Object.assign({ gridcolor: "#eee", rangemode: "tozero" }, unitShare ? { tickformat: ".0%", range: [0, 1.02] } : {}),
            xaxis: { title: { text: g.cols.length > 1 ? "" : "tick" } } }));
      });
      return present.flatMap((g) => g.cols);
    }
    const NETWORK_MODULES = ["graph", "ostracism"];
    const SHOWN_ABOVE = ["sanctions", "audit"].concat(NETWORK_MODULES);
    function drawNetworkTicks() {
      multiples("net-figs", "net-src", groupsOf(NETWORK_MODULES), "This run has no per-tick network measures.");
    }
    function drawExtra() {
      const rest = (state.meta.measure_groups || []).filter((g) => !SHOWN_ABOVE.includes(g.module));
      multiples("extra-figs", "extra-src", rest, "This run has no further measures.");
    }

    function fillOther() {
      const sel = $("other"), keep = sel.value;
      sel.innerHTML = "";
      for (const c of Object.keys(state.ticks)) {
        if (c === "tick" || !state.ticks[c].some((v) => typeof v === "number")) continue;
        const o = document.createElement("option"); o.value = c; o.textContent = c; sel.append(o);
      }
      if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
      else if ([...sel.options].some((o) => o.value === "events_social_media")) sel.value = "events_social_media";
      drawOther();
    }
    function drawOther() {
      const c = $("other").value;
      if (!c) { empty("fig-other", "No numeric columns"); return; }
      plot("fig-other", [{ x: state.ticks.tick, y: state.ticks[c], mode: "lines+markers", name: c, line: { color: "#2b59c3" } }],
        layout(c, { height: 280, xaxis: { title: { text: "tick" } } }));
    }

    async function loadCompare() {
      const body = $("cmp-body");
      if (!state.compare) { body.hidden = true; $("cmp-src").textContent = 'Choose a second run under "Compare with".'; return; }
      status("loading comparison …");
      const a = state.run, b = state.compare;
      const get = (r) => Promise.all([api("/api/runs/" + enc(r)), api("/api/runs/" + enc(r) + "/ticks"), api("/api/runs/" + enc(r) + "/histogram?bins=80")]);
      const [[ma, ta, ha], [mb, tb, hb]] = await Promise.all([get(a), get(b)]);
      body.hidden = false;
      $("cmp-src").textContent = `Left: ${a}. Right: ${b}. Histograms cover all citizens at each run's last tick.`;
      const sa = ma.summary || {}, sb = mb.summary || {};
      const keys = ["mean_score", "score_p50", "gini", "sanctioned", "blacklisted", "wrongful_sanctions", "guilt_by_association", "persistence_at_bottom"]
        .concat((ma.tiers || []).map((t) => "share_" + t));
      const rows = [{ measure: "scenario", a: ma.scenario, b: mb.scenario }, { measure: "simulated citizens", a: ma.population, b: mb.population },
        { measure: "ticks", a: ma.ticks, b: mb.ticks }, { measure: "seed", a: ma.seed, b: mb.seed }]
        .concat(keys.filter((k) => k in sa || k in sb).map((k) => ({ measure: nice(k), a: sa[k], b: sb[k], share: /^share_|persistence/.test(k) })));
      table($("tbl-compare"), ["measure", "a", "b"], rows, { headers: { a, b }, cell: (c, r) => (c !== "measure" && r.share ? pct(r[c]) : c !== "measure" ? fmt(r[c], 3) : null) });
      const A = ta.data, B = tb.data, col = ["#2b59c3", "#c0392b"];
      plot("fig-cmp-mean", [{ x: A.tick, y: A.mean_score, name: a, mode: "lines", line: { color: col[0] } }, { x: B.tick, y: B.mean_score, name: b, mode: "lines", line: { color: col[1] } }],
        layout("Mean score per tick", { xaxis: { title: { text: "tick" } } }));
      const dens = (h) => ({ x: h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2), y: h.counts.map((c) => (h.n ? c / h.n : 0)) });
      plot("fig-cmp-hist", [Object.assign({ type: "scatter", mode: "lines", line: { shape: "hvh", color: col[0] }, name: a }, dens(ha)),
        Object.assign({ type: "scatter", mode: "lines", line: { shape: "hvh", color: col[1] }, name: b }, dens(hb))],
        layout("Score distribution at the last tick", { yaxis: { tickformat: ".1%", title: { text: "share of citizens" }, gridcolor: "#eee" }, xaxis: { title: { text: "score" } } }));
      const tiers = Array.from(new Set([...(ma.tiers || []), ...(mb.tiers || [])]));
      const lastShare = (T, t) => (T["share_" + t] ? T["share_" + t][T["share_" + t].length - 1] : null);
      plot("fig-cmp-tiers", [{ type: "bar", x: tiers.map(nice), y: tiers.map((t) => lastShare(A, t)), name: a, marker: { color: col[0] } },
        { type: "bar", x: tiers.map(nice), y: tiers.map((t) => lastShare(B, t)), name: b, marker: { color: col[1] } }],
        layout("Tier shares at the last tick", { barmode: "group", yaxis: { tickformat: ".0%", gridcolor: "#eee" }, xaxis: { type: "category" } }));
      const tr = [];
      for (const [T, name, c, m] of [[A, a, col[0], ma], [B, b, col[1], mb]]) {
        if (T.sanctioned) tr.push({ x: T.tick, y: T.sanctioned.map((v) => v / (m.population || 1)), name: name + ": sanctioned", mode: "lines", line: { color: c } });
        if (T.wrongful_sanctions) tr.push({ x: T.tick, y: T.wrongful_sanctions.map((v) => v / (m.population || 1)), name: name + ": wrongful", mode: "lines", line: { color: c, dash: "dot" } });
      }
      if (tr.length) plot("fig-cmp-sanctions", tr, layout("Sanctioned and wrongfully sanctioned", { yaxis: { tickformat: ".2%", gridcolor: "#eee" }, xaxis: { title: { text: "tick" } } }));
      else empty("fig-cmp-sanctions", "No sanction counts");
      status("");
    }

    loadRun().then(() => (state.compare ? loadCompare() : null)).catch(fail);
  }

  // ============================================================== citizen's-eye view
  function citizen() {
    const state = { run: cfg.run, id: cfg.id };
    fillRuns($("run"), state.run, false);
    $("cid").value = state.id;
    $("cid").max = cfg.population - 1;
    $("nav-analyst").href = "/?run=" + enc(state.run);
    const go = (run, id) => { window.location.href = "/citizen/" + enc(id) + "?run=" + enc(run); };
    $("search").addEventListener("submit", (e) => {
      e.preventDefault();
      const v = $("cid").value.trim();
      if (!/^\d+$/.test(v)) { status("enter a citizen id: a whole number", true); return; }
      go(state.run, v);
    });
    $("random").addEventListener("click", () => api("/api/runs/" + enc(state.run) + "/random-citizen").then((r) => go(state.run, r.id)).catch(fail));
    $("run").addEventListener("change", (e) => {
      const r = cfg.runs.find((x) => x.id === e.target.value);
      api("/api/runs/" + enc(e.target.value) + "/citizens/" + state.id).then(() => go(e.target.value, state.id))
        .catch(() => api("/api/runs/" + enc(e.target.value) + "/random-citizen").then((x) => go(e.target.value, x.id))).catch(fail);
      return r;
    });

    function tierColour(c) {
      const i = (c.tiers || []).findIndex((t) => t.name === c.tier);
      return TIER_COLOURS[Math.max(i, 0) % TIER_COLOURS.length];
    }
    function reasons(el, items, none) {
      el.innerHTML = "";
      if (!items.length) { const li = document.createElement("li"); li.className = "none"; li.textContent = none; el.append(li); return; }
      for (const it of items) {
        const li = document.createElement("li"), b = document.createElement("b");
        b.textContent = nice(String(it.name || "")); li.append(b, document.createTextNode(": " + (it.reason || "")));
        el.append(li);
      }
    }
    function scoreScale(c) {
      // the colour range spans the scores drawn (at least 10 points either side of the citizen's)
      const s = c.graph.nodes.map((n) => n.score).filter((v) => v !== null);
      return { cmin: Math.min(c.score - 10, ...s), cmax: Math.max(c.score + 10, ...s) };
    }

    async function load() {
      status("loading …");
      const c = await api("/api/runs/" + enc(state.run) + "/citizens/" + state.id);
      document.title = "Simulated citizen " + c.id + " — scsim";
      $("score").textContent = fmt(c.score, 1);
      const tier = $("tier"); tier.textContent = "tier: " + nice(String(c.tier)); tier.style.background = tierColour(c);
      $("own").textContent = c.own_score !== null && c.own_score !== undefined ? `own score ${fmt(c.own_score, 1)} · ${fmt(c.n_contacts)} contacts · simulated citizen #${c.id} of run ${c.run}` : "";
      const dl = $("attrs"); dl.innerHTML = "";
      for (const [k, v] of Object.entries(c.attributes)) {
        const d = document.createElement("div"), dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = nice(k); dd.textContent = typeof v === "boolean" ? (v ? "yes" : "no") : fmt(v, 2); d.append(dt, dd); dl.append(d);
      }
      reasons($("perks"), c.perks, "No perks: the score is below every perk's threshold.");
      reasons($("sanctions"), c.sanctions, "No sanctions in force.");
      drawExplanation(c); drawContacts(c); drawGraph(c); drawHistory(c);
      status("");
    }

    function drawExplanation(c) {
      const e = c.explanation, terms = (e.terms || []).filter((t) => t.value !== null && t.value !== undefined);
      $("expl-src").textContent = (e.source === "scsim.explain" ? "Exact explanation (scsim.explain): the terms add up to the score." :
        "Explanation computed by the dashboard from the citizen's row. ") + (e.note ? " " + e.note : "") + (e.problem ? " (scsim.explain failed: " + e.problem + ")" : "");
      if (!terms.length) { empty("fig-explain", "No explanation available for this run"); return; }
      // large sets of rule terms: keep the 14 largest by size, fold the rest
      let shown = terms;
      if (terms.length > 16) {
        const rank = terms.map((t, i) => [Math.abs(t.value), i]).sort((a, b) => b[0] - a[0]).slice(0, 14).map((x) => x[1]);
        const keep = new Set(rank);
        const rest = terms.filter((_, i) => !keep.has(i));
        shown = terms.filter((_, i) => keep.has(i)).concat([{ kind: "rule", name: rest.length + " other terms", value: rest.reduce((a, t) => a + t.value, 0) }]);
      }
      const total = shown.reduce((a, t) => a + t.value, 0);
      let run = 0; const cum = shown.map((t) => (run += t.value));
      const lo = Math.min(...cum, total), hi = Math.max(...cum, total), pad = Math.max(5, 0.25 * (hi - lo));
      const hover = shown.map((t) => {
        let h = t.description ? t.description : t.kind;
        if (typeof t.error === "number" && Math.abs(t.error) >= 0.005) h += `<br>of which ${t.error.toFixed(2)} from errors in the records`;
        if (t.event) h += "<br>event: " + t.event;
        return h;
      }).concat(["the score"]);
      plot("fig-explain", [{ type: "waterfall", orientation: "v", x: shown.map((t) => t.name).concat(["score"]),
        y: shown.map((t) => t.value).concat([total]), measure: shown.map(() => "relative").concat(["total"]),
        text: shown.map((t) => (t.value >= 0 ? "+" : "") + t.value.toFixed(1)).concat([total.toFixed(1)]), textposition: "outside",
        customdata: hover, hovertemplate: "<b>%{x}</b>: %{y:.2f}<br>%{customdata}<extra></extra>",
        connector: { line: { color: "#bbb" } }, increasing: { marker: { color: "#1e8449" } }, decreasing: { marker: { color: "#c0392b" } }, totals: { marker: { color: "#2b59c3" } } }],
        layout("Terms that make up the score " + fmt(c.score, 1), { height: 380, xaxis: { type: "category", automargin: true, tickangle: -30 },
          yaxis: { title: { text: "points" }, gridcolor: "#eee", range: [lo - pad, hi + pad] }, margin: { l: 60, r: 20, t: 40, b: 120 } }));
    }

    function drawContacts(c) {
      const cs = c.contacts;
      $("drag-src").textContent = `${fmt(c.n_contacts)} contacts; ${c.drag_formula}. Negative drag pulls this citizen's next score down.` +
        (c.n_contacts > cs.length ? ` The ${cs.length} with the most negative drag first.` : "");
      if (!cs.length) { empty("fig-drag", "This citizen has no contacts"); $("tbl-contacts").innerHTML = ""; return; }
      const top = cs.slice(0, 15);
      plot("fig-drag", [{ type: "bar", orientation: "h", y: top.map((x) => "#" + x.id), x: top.map((x) => x.drag),
        marker: { color: top.map((x) => (x.drag < 0 ? "#c0392b" : "#1e8449")) }, customdata: top.map((x) => x.score),
        hovertemplate: "citizen %{y}: score %{customdata:.1f}, drag %{x:.3f}<extra></extra>" }],
        layout("Drag of each contact on the score (points)", { height: 340, yaxis: { type: "category", autorange: "reversed" }, xaxis: { title: { text: "drag (points)" }, zeroline: true, gridcolor: "#eee" }, margin: { l: 80, r: 20, t: 40, b: 45 } }));
      table($("tbl-contacts"), ["id", "score", "tier", "drag"], cs, {
        cell: (col, r) => {
          if (col === "id") { const a = document.createElement("a"); a.href = "/citizen/" + r.id + "?run=" + enc(c.run); a.textContent = "#" + r.id; return a; }
          if (col === "score") return fmt(r.score, 1);
          if (col === "drag") return r.drag.toFixed(3);
          if (col === "tier") return nice(String(r.tier));
          return null;
        } });
    }

    function drawGraph(c) {
      const g = c.graph;
      $("graph-src").textContent = `The citizen (centre) and ${g.shown} of ${fmt(g.contacts)} contacts` +
        (g.contacts > g.shown ? " (those dragging most and those lifting most)" : "") + ", coloured by score; lines are ties among them. Click a contact to visit.";
      const pos = new Map(g.nodes.map((n) => [n.id, n]));
      const ex = [], ey = [];
      for (const [a, b] of g.edges) { const p = pos.get(a), q = pos.get(b); if (p && q) { ex.push(p.x, q.x, null); ey.push(p.y, q.y, null); } }
      const sc = scoreScale(c);
      plot("fig-graph", [{ x: ex, y: ey, mode: "lines", line: { color: "#c9ced8", width: 1 }, hoverinfo: "skip", showlegend: false },
        { x: g.nodes.map((n) => n.x), y: g.nodes.map((n) => n.y), mode: "markers+text", text: g.nodes.map((n) => (n.self ? "this citizen" : "")), textposition: "bottom center",
          customdata: g.nodes.map((n) => n.id), hovertemplate: "citizen #%{customdata}: score %{marker.color:.1f}<extra></extra>", showlegend: false,
          marker: { size: g.nodes.map((n) => (n.self ? 30 : 16)), color: g.nodes.map((n) => n.score), colorscale: [[0, "#c0392b"], [0.5, "#f4d03f"], [1, "#1e8449"]], cmin: sc.cmin, cmax: sc.cmax,
            line: { color: g.nodes.map((n) => (n.self ? "#1d2330" : "#fff")), width: g.nodes.map((n) => (n.self ? 3 : 1)) }, colorbar: { title: { text: "score" }, thickness: 12 } } }],
        layout("", { height: 420, xaxis: { visible: false, range: [-1.3, 1.3] }, yaxis: { visible: false, range: [-1.3, 1.3], scaleanchor: "x" }, margin: { l: 10, r: 10, t: 10, b: 10 } }));
      const el = $("fig-graph");
      el.removeAllListeners && el.removeAllListeners("plotly_click");
      el.on("plotly_click", (ev) => { const p = ev.points && ev.points[0]; if (p && p.customdata !== undefined && p.customdata !== c.id) go(c.run, p.customdata); });
    }

    function drawHistory(c) {
      const h = c.history;
      if (!h.length) {
        $("history-src").textContent = "This citizen is not in the tracked panel, so only the final score is stored.";
        empty("fig-history", "Not tracked: the run keeps full trajectories for a sample of citizens only");
        return;
      }
      $("history-src").textContent = "This citizen is in the tracked panel (panel.parquet).";
      const shapes = (c.tiers || []).slice(1).map((t) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: t.min, y1: t.min, line: { color: "#ddd", dash: "dot" } }));
      plot("fig-history", [{ x: h.map((r) => r.tick), y: h.map((r) => r.score), mode: "lines+markers", line: { color: "#2b59c3" }, name: "score" }],
        layout("Score per tick", { height: 260, shapes, xaxis: { title: { text: "tick" } }, yaxis: { title: { text: "score" }, gridcolor: "#eee" } }));
    }

    load().catch(fail);
  }

  if (cfg.view === "analyst") analyst(); else if (cfg.view === "citizen") citizen();
})();
