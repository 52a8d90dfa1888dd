// stance page: calls /v1/analyze and /v1/predict and renders the results. Plain JS, no build step, no CDN.
"use strict";

const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
  "#9a6324", "#469990", "#800000", "#808000", "#000075", "#fabed4", "#a9a9a9"];
const $ = (sel) => document.querySelector(sel);
const state = { techniques: [], colour: {}, quotes: [], article: "", statements: [], sort: { key: "i", dir: 1 } };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const fmt = (x) => Number(x).toFixed(2);
const pretty = (label) => label.replaceAll("_", " ");

async function api(path, body) {
  let res;
  try {
    res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  } catch (e) {
    throw new Error(`could not reach the server (${e.message})`);
  }
  const text = await res.text();
  let data;
  try { data = JSON.parse(text); } catch { data = null; }
  if (!res.ok) {
    const detail = data && data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : text.slice(0, 300);
    throw new Error(`${res.status} ${res.statusText}: ${detail}`);
  }
  return data;
}

function setStatus(which, message, isError = false) {
  const node = $(`#${which}-status`);
  node.textContent = message;
  node.classList.toggle("error", isError);
  node.setAttribute("role", isError ? "alert" : "status");
}

async function busy(which, target, button, work) {
  button.disabled = true;
  target.setAttribute("aria-busy", "true");
  const started = performance.now();
  try {
    await work();
  } catch (e) {
    setStatus(which, `Error: ${e.message}`, true);
    return;
  } finally {
    button.disabled = false;
    target.setAttribute("aria-busy", "false");
  }
  return performance.now() - started;
}

// ---------- article mode ----------

function segments(article, quotes) {
  // Cut the article at every quote, speaker and span boundary; each piece knows what covers it.
  const cuts = new Set([0, article.length]);
  const marks = [];
  quotes.forEach((q, i) => {
    marks.push({ kind: "q", i, start: q.start, end: q.end });
    if (q.speaker_start != null && q.speaker_end != null) marks.push({ kind: "spk", i, start: q.speaker_start, end: q.speaker_end });
    for (const s of q.article_spans) marks.push({ kind: "t", i, start: s.start, end: s.end, span: s });
  });
  for (const m of marks) { cuts.add(m.start); cuts.add(m.end); }
  quotes.forEach((q) => { const c = /^[,.;:!?]?["”’'»]/.exec(article.slice(q.end, q.end + 2)); if (c) cuts.add(q.end + c[0].length); });
  const points = [...cuts].filter((x) => x >= 0 && x <= article.length).sort((a, b) => a - b);
  const pieces = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const [a, b] = [points[k], points[k + 1]];
    const over = marks.filter((m) => m.start <= a && b <= m.end);
    pieces.push({ a, b, over });
  }
  return pieces;
}

function renderArticle() {
  const { article, quotes } = state;
  const doc = $("#doc");
  doc.replaceChildren();
  // each chip goes after its quote's closing mark ("…failed,” → after the ”), or at its end if none follows
  const ends = new Map(quotes.map((q, i) => {
    const close = /^[,.;:!?]?["”’'»]/.exec(article.slice(q.end, q.end + 2));
    return [q.end + (close ? close[0].length : 0), i];
  }));
  for (const { a, b, over } of segments(article, quotes)) {
    const q = over.find((m) => m.kind === "q");
    const spk = over.find((m) => m.kind === "spk");
    const techs = over.filter((m) => m.kind === "t").sort((x, y) => y.span.score - x.span.score);
    let node = document.createTextNode(article.slice(a, b));
    if (q || spk || techs.length) {
      const cls = [q ? "q" : "", spk ? "spk" : ""].filter(Boolean).join(" ");
      const attrs = { class: cls };
      if (q) attrs["data-q"] = q.i;
      if (spk && !q) attrs["data-speaker-of"] = spk.i;
      if (techs.length) {
        attrs["data-techniques"] = techs.map((t) => t.span.technique).join(" ");
        attrs.style = "box-shadow:" + techs.slice(0, 3).map((t, k) => `inset 0 -${3 * (k + 1)}px 0 ${state.colour[t.span.technique]}`).join(",");
        attrs.title = techs.map((t) => `${pretty(t.span.technique)} ${fmt(t.span.score)}`).join("\n");
      } else if (q) {
        attrs.title = `${quotes[q.i].speaker || "unknown speaker"}: ${quotes[q.i].prediction.stance} ${fmt(quotes[q.i].prediction.stance_scores[quotes[q.i].prediction.stance])}`;
      }
      if (q) attrs.onclick = () => select(q.i);
      node = el("span", attrs, article.slice(a, b));
    }
    doc.append(node);
    if (ends.has(b)) doc.append(chip(ends.get(b)));
  }
}

function chip(i) {
  const q = state.quotes[i];
  const p = q.prediction;
  return el("button", {
    type: "button", class: `chip st-${p.stance}`, "data-q": i, "data-stance": p.stance,
    "aria-label": `quote ${i + 1}: ${q.speaker || "unknown speaker"}, ${p.stance} ${fmt(p.stance_scores[p.stance])}; show scores`,
    onclick: () => select(i),
  }, el("span", { class: "who" }, short(q.speaker || "?")), `${p.stance} ${fmt(p.stance_scores[p.stance])}`);
}

const short = (s) => (s.length > 28 ? s.slice(0, 27) + "…" : s);

function bars(scores, limit) {
  const rows = Object.entries(scores).sort((a, b) => b[1] - a[1]).slice(0, limit);
  return el("div", { class: "bars" }, ...rows.flatMap(([k, v]) => [
    el("span", {}, pretty(k)), el("span", {}, el("div", { class: "bar", style: `width:${Math.round(v * 100)}%` })),
    el("span", { class: "num" }, fmt(v)),
  ]));
}

function select(i) {
  document.querySelectorAll(".q.on").forEach((n) => n.classList.remove("on"));
  document.querySelectorAll(`.q[data-q="${i}"]`).forEach((n) => n.classList.add("on"));
  const q = state.quotes[i];
  const p = q.prediction;
  const spans = q.article_spans.map((s) => el("li", {}, `${pretty(s.technique)} ${fmt(s.score)}: “${state.article.slice(s.start, s.end)}”`));
  $("#details").classList.remove("muted");
  $("#details").replaceChildren(
    el("p", {}, el("strong", {}, q.speaker || "unknown speaker"), ` (${q.kind}${q.cue ? `, “${q.cue}”` : ""}): “${q.text}”`),
    el("h3", {}, "Stance"), bars(p.stance_scores, 9),
    el("h3", {}, "Techniques (top 5)"), bars(p.rhetoric_scores, 5),
    el("p", {}, p.rhetoric.length ? `Above threshold: ${p.rhetoric.map(pretty).join(", ")}` : "No technique above its threshold."),
    spans.length ? el("ul", {}, ...spans) : el("p", { class: "muted" }, "No technique spans."),
  );
}

function renderSpeakers() {
  const counts = new Map();
  for (const q of state.quotes) {
    const who = q.speaker || "unknown speaker";
    if (!counts.has(who)) counts.set(who, {});
    const c = counts.get(who);
    c[q.prediction.stance] = (c[q.prediction.stance] || 0) + 1;
  }
  const rows = [...counts].sort((a, b) => total(b[1]) - total(a[1]));
  const box = $("#speakers");
  box.classList.toggle("muted", rows.length === 0);
  if (!rows.length) { box.textContent = "No quotes found."; return; }
  box.replaceChildren(el("table", { class: "counts" }, ...rows.map(([who, c]) => el("tr", {},
    el("th", { scope: "row" }, who),
    el("td", {}, ...Object.entries(c).sort((a, b) => b[1] - a[1]).map(([s, n]) => el("span", { class: `chip st-${s}` }, `${s} ×${n}`)))))));
}
const total = (c) => Object.values(c).reduce((a, b) => a + b, 0);

function renderLegend() {
  const n = {};
  for (const q of state.quotes) for (const s of q.article_spans) n[s.technique] = (n[s.technique] || 0) + 1;
  const present = state.techniques.filter((t) => n[t]);
  $("#legend").replaceChildren(...(present.length ? present.map((t) => el("li", { "data-technique": t },
    el("span", { class: "swatch", style: `background:${state.colour[t]}` }), `${pretty(t)} (${n[t]})`))
    : [el("li", { class: "muted" }, "No technique spans in this article.")]));
}

async function analyzeArticle(event) {
  event.preventDefault();
  const article = $("#article").value;
  setStatus("article", "Analyzing…");
  const ms = await busy("article", $("#doc"), $("#analyze"), async () => {
    state.quotes = await api("/v1/analyze", { article });
    state.article = article;
  });
  if (ms === undefined) return;
  renderArticle(); renderSpeakers(); renderLegend();
  $("#details").textContent = "Select a quote."; $("#details").classList.add("muted");
  $("#article-json").disabled = $("#article-csv").disabled = false;
  setStatus("article", `${state.quotes.length} quotes, ${new Set(state.quotes.map((q) => q.speaker)).size} speakers (${(ms / 1000).toFixed(1)} s).`);
}

// ---------- statements mode ----------

async function labelStatements(event) {
  event.preventDefault();
  const texts = $("#lines").value.split("\n").filter((l) => l.trim());
  setStatus("statements", "Labelling…");
  let preds;
  const ms = await busy("statements", $("#table"), $("#label"), async () => { preds = await api("/v1/predict", { texts }); });
  if (ms === undefined) return;
  state.statements = preds.map((p, i) => ({
    i: i + 1, text: p.text, stance: p.stance, score: p.stance_scores[p.stance], techniques: p.rhetoric.join(", "),
    top: Math.max(0, ...Object.values(p.rhetoric_scores)), prediction: p,
  }));
  renderTable();
  $("#statements-json").disabled = $("#statements-csv").disabled = false;
  setStatus("statements", `${preds.length} statements labelled (${(ms / 1000).toFixed(1)} s).`);
}

function renderTable() {
  const { key, dir } = state.sort;
  const rows = [...state.statements].sort((a, b) => (a[key] < b[key] ? -dir : a[key] > b[key] ? dir : 0));
  document.querySelectorAll("#table th").forEach((th) => {
    if (th.dataset.key === key) th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  });
  $("#table tbody").replaceChildren(...rows.map((r) => el("tr", {},
    el("td", { class: "num" }, r.i), el("td", {}, r.text),
    el("td", {}, el("span", { class: `chip st-${r.stance}` }, r.stance)), el("td", { class: "num" }, fmt(r.score)),
    el("td", {}, r.techniques.replaceAll("_", " ") || "—"), el("td", { class: "num" }, fmt(r.top)))));
}

// ---------- downloads ----------

function csvCell(v) {
  let s = v == null ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s; // a spreadsheet must not run a cell as a formula
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function download(name, type, text) {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a); a.click(); a.remove();
}

function scoreColumns(p) { return Object.keys(p.stance_scores).map((s) => fmt4(p.stance_scores[s])); }
const fmt4 = (x) => Number(x).toFixed(4);

function quotesCsv() {
  const stances = Object.keys(state.quotes[0]?.prediction.stance_scores || {});
  const head = ["quote", "speaker", "kind", "cue", "start", "end", "stance", "score", "techniques", ...stances.map((s) => `score_${s}`)];
  const rows = state.quotes.map((q) => [q.text, q.speaker, q.kind, q.cue, q.start, q.end, q.prediction.stance,
    fmt4(q.prediction.stance_scores[q.prediction.stance]), q.prediction.rhetoric.join(";"), ...scoreColumns(q.prediction)]);
  return [head, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

function statementsCsv() {
  const stances = Object.keys(state.statements[0]?.prediction.stance_scores || {});
  const head = ["text", "stance", "score", "techniques", ...stances.map((s) => `score_${s}`)];
  const rows = state.statements.map((r) => [r.text, r.stance, fmt4(r.score), r.prediction.rhetoric.join(";"), ...scoreColumns(r.prediction)]);
  return [head, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

// ---------- wiring ----------

function selectTab(tab) {
  document.querySelectorAll('[role="tab"]').forEach((t) => {
    const on = t === tab;
    t.setAttribute("aria-selected", on); t.tabIndex = on ? 0 : -1;
    $("#" + t.getAttribute("aria-controls")).hidden = !on;
  });
  tab.focus();
}

function ctrlEnter(form) {
  return (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); } };
}

async function init() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((t, k) => {
    t.addEventListener("click", () => selectTab(t));
    t.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") selectTab(tabs[(k + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length]);
    });
  });
  $("#article-form").addEventListener("submit", analyzeArticle);
  $("#statements-form").addEventListener("submit", labelStatements);
  $("#article").addEventListener("keydown", ctrlEnter($("#article-form")));
  $("#lines").addEventListener("keydown", ctrlEnter($("#statements-form")));
  $("#upload").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) { $("#article").value = await file.text(); setStatus("article", `Loaded ${file.name}; press Analyze.`); }
  });
  document.querySelectorAll("#table th button").forEach((b) => b.addEventListener("click", () => {
    const key = b.parentElement.dataset.key;
    state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
    renderTable();
  }));
  $("#article-json").addEventListener("click", () => download("quotes.json", "application/json", JSON.stringify(state.quotes, null, 2)));
  $("#article-csv").addEventListener("click", () => download("quotes.csv", "text/csv", quotesCsv()));
  $("#statements-json").addEventListener("click", () => download("statements.json", "application/json", JSON.stringify(state.statements.map((r) => r.prediction), null, 2)));
  $("#statements-csv").addEventListener("click", () => download("statements.csv", "text/csv", statementsCsv()));
  try {
    const [health, labels] = await Promise.all([fetch("/healthz").then((r) => r.json()), fetch("/v1/labels").then((r) => r.json())]);
    state.techniques = labels.techniques;
    labels.techniques.forEach((t, k) => { state.colour[t] = PALETTE[k % PALETTE.length]; });
    $("#model").textContent = `model ${health.model} · taxonomy ${health.taxonomy_version} · ${health.ready ? "ready" : "loading"}`;
  } catch (e) {
    $("#model").textContent = `could not reach the server: ${e.message}`;
  }
}

document.addEventListener("DOMContentLoaded", init);
