// Flashpoint dashboard: render the Vega-Lite specs, list a picked week's events, load the
// forecast and levers, and run scenarios, all through this server's own API.
"use strict";
const fmtPct = (p) => (100 * p).toFixed(2) + "%";
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

async function getJSON(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

async function showWeek(pair, period) {
  const start = new Date(period + "T00:00:00Z");
  const end = new Date(start.getTime() + 6 * 86400000);
  const day = (d) => d.toISOString().slice(0, 10);
  const page = await getJSON(`/api/events?dyad=${pair}&since=${day(start)}&until=${day(end)}&limit=200`);
  const names = JSON.parse(document.querySelector("#events-table").dataset.cameo || "{}");
  const rows = page.items.map((e) => `<tr><td>${esc(e.event_date.slice(0, 10))}</td><td>${esc(e.actor1_iso3)} ${esc(e.actor1_name)} → ${esc(e.actor2_iso3)} ${esc(e.actor2_name)}</td>` +
    `<td>${esc(names[e.cameo_code] || "")} (${esc(e.cameo_code)})</td><td>${Number(e.goldstein).toFixed(1)}</td><td>${esc(e.num_sources)}</td>` +
    `<td>${e.cluster_size > 1 ? "one of " + esc(e.cluster_size) + " reports (deduplicated)" : "single report"}</td>` +
    `<td>${e.source_url ? `<a href="${esc(e.source_url)}" rel="noopener">${esc(e.source_url)}</a>` : esc(e.source) + " (no link in the source)"}</td></tr>`);
  document.querySelector("#period-label").textContent = `${day(start)} (${page.total} events)`;
  document.querySelector("#events-table tbody").innerHTML = rows.join("") || "<tr><td colspan=7>No events.</td></tr>";
  document.querySelector("#period-events").hidden = false;
}

async function embedAll() {
  for (const element of document.querySelectorAll(".chart[data-spec]")) {
    const result = await vegaEmbed(element, JSON.parse(element.dataset.spec), {renderer: "svg", actions: false});
    if (element.id === "timeline") {
      result.view.addSignalListener("week", (_, value) => {
        const picked = value && value.period && value.period[0];
        if (picked !== undefined) showWeek(element.dataset.pair, new Date(picked).toISOString().slice(0, 10));
      });
    }
  }
}

async function loadForecast(element) {
  try {
    const f = await getJSON(`/api/pairs/${element.dataset.pair}/forecast`);
    if (f.probability === null) { element.textContent = `No forecast: ${f.note}.`; return; }
    const drivers = f.drivers.map((d) => `<li>${esc(d.label)} ${d.value === null ? "" : Number(d.value).toPrecision(3)}: ${d.log_odds > 0 ? "+" : ""}${d.log_odds.toFixed(2)} log-odds</li>`).join("");
    element.innerHTML = `<p>P(${esc(f.description)}) = <b>${fmtPct(f.probability)}</b> (90% interval ${fmtPct(f.interval[0])}–${fmtPct(f.interval[1])}), as of ${esc(f.as_of)}; ` +
      `baselines: ${Object.entries(f.baselines).map(([k, v]) => `${esc(k)} ${fmtPct(v)}`).join(", ")}.</p><p class="muted">Drivers:</p><ul>${drivers}</ul>`;
  } catch (error) { element.textContent = "No forecast: " + error.message; }
}

async function loadLevers(element) {
  try {
    const r = await getJSON(`/api/pairs/${element.dataset.pair}/respond`);
    element.innerHTML = r.levers.slice(0, 5).map((l, i) => `<div class="lever"><b>${i + 1}. ${esc(l.title)}</b> (${l.points >= 0 ? "+" : ""}${l.points} points)<br>` +
      `<span>${esc(l.reasons.join("; "))}</span><br><span class="muted">Who: ${esc(l.actors.join("; "))}. Evidence: ${esc(l.evidence.join("; "))}. Risk: ${esc(l.risks[0] || "")}</span></div>`).join("");
  } catch (error) { element.textContent = "No recommendation: " + error.message; }
}

async function runScenario(form) {
  const data = new FormData(form);
  const params = new URLSearchParams({horizon: data.get("horizon"), runs: "2000", seed: "0"});
  if (data.get("lever")) params.append("intervention", `${data.get("lever")}@${data.get("week")}w${data.get("rr") ? ":" + data.get("rr") : ""}`);
  const note = document.querySelector("#scenario-note");
  note.textContent = "Running…";
  try {
    const s = await getJSON(`/api/pairs/${form.dataset.pair}/simulate?${params}`);
    const rows = [];
    for (const [label, summary] of [["as things are", s.baseline], ["with the lever", s.with_levers]]) {
      if (!summary) continue;
      summary.reach3.forEach((p, week) => rows.push({week, probability: p, series: `stage ≥ 3, ${label}`}));
      summary.reach4.forEach((p, week) => rows.push({week, probability: p, series: `stage 4, ${label}`}));
    }
    const spec = {$schema: "https://vega.github.io/schema/vega-lite/v6.json", width: "container", height: 220, data: {values: rows},
      mark: "line", encoding: {x: {field: "week", type: "quantitative"}, y: {field: "probability", type: "quantitative", axis: {format: "%"}},
        color: {field: "series", type: "nominal", title: null}}};
    await vegaEmbed("#scenario-chart", spec, {renderer: "svg", actions: false});
    note.textContent = `${s.runs} paths from stage ${s.start_stage} (week of ${s.week_of}). ` + s.interventions.map((i) => `${i.lever} from week ${i.week}: ${i.basis}`).join(" ");
  } catch (error) { note.textContent = "Scenario failed: " + error.message; }
}

embedAll();
document.querySelectorAll("#forecast[data-pair]").forEach(loadForecast);
document.querySelectorAll("#levers[data-pair]").forEach(loadLevers);
const scenario = document.querySelector("#scenario");
if (scenario) scenario.addEventListener("submit", (event) => { event.preventDefault(); runScenario(scenario); });

// Tables marked "sortable": a click on a heading sorts the rows by that column (again: reversed).
for (const table of document.querySelectorAll("table.sortable")) {
  table.querySelectorAll("th").forEach((th, column) => th.addEventListener("click", () => {
    const body = table.tBodies[0];
    const down = th.classList.contains("sorted") && !th.classList.contains("reversed");
    table.querySelectorAll("th").forEach((other) => other.classList.remove("sorted", "reversed"));
    th.classList.add("sorted");
    if (down) th.classList.add("reversed");
    const key = (row) => row.cells[column]?.innerText.trim() ?? "";
    const rows = [...body.rows].sort((a, b) => key(a).localeCompare(key(b), undefined, {numeric: true}));
    (down ? rows.reverse() : rows).forEach((row) => body.appendChild(row));
  }));
}
