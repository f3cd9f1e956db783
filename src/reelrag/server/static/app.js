// ReelRAG web UI: plain JavaScript over the JSON API (/docs has the OpenAPI document).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { selected: null, libraryOffset: 0, jobs: new Map(), backends: [] };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// -- API and errors (one JSON error shape: error, message, hint, retryable) -------------------

// State changes carry the page's CSRF token (the server refuses them without it).
const CSRF = (document.querySelector("meta[name=reelrag-csrf]") || {}).content || "";

async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(options.json);
  }
  if (!["GET", "HEAD"].includes((init.method || "GET").toUpperCase())) {
    init.headers = { ...(init.headers || {}), "X-Reelrag-CSRF": CSRF };
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({ message: response.statusText }));
  if (!response.ok) {
    const err = new Error(data.message || "request failed");
    err.hint = data.hint; err.kind = data.error;
    throw err;
  }
  return data;
}

function showError(err) {
  $("error-message").textContent = err.message;
  $("error-hint").textContent = err.hint ? `(${err.hint})` : "";
  $("error").classList.remove("hidden");
}
function clearError() { $("error").classList.add("hidden"); }
function notice(text) {
  $("notice").textContent = text;
  $("notice").classList.remove("hidden");
  setTimeout(() => $("notice").classList.add("hidden"), 4000);
}
const guarded = (fn) => async (...args) => {
  try { clearError(); await fn(...args); } catch (err) { showError(err); }
};

// -- tabs ---------------------------------------------------------------------------------------

function showTab(name) {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const section of document.querySelectorAll(".tab")) {
    section.classList.toggle("hidden", section.id !== `tab-${name}`);
  }
  if (name === "gallery") guarded(loadGallery)();
  if (name === "jobs") guarded(loadJobs)();
  if (name === "edit") loadEditImage();
}

// -- library and search -------------------------------------------------------------------------

function assetCard(asset, extra = null) {
  const card = el("div", { class: "card", "data-id": asset.id, title: asset.source },
    el("img", { src: asset.thumbnail_url, alt: asset.caption, loading: "lazy" }),
    el("div", { class: "body" }, extra, el("div", { class: "caption" }, asset.caption || "(no caption)"),
      el("div", { class: "meta" }, `${(asset.folder || "/").split("/").pop() || "/"} · ${asset.width}×${asset.height}`)));
  card.addEventListener("click", () => select(asset));
  if (state.selected && state.selected.id === asset.id) card.classList.add("selected");
  return card;
}

function select(asset) {
  state.selected = asset;
  for (const card of document.querySelectorAll(".card[data-id]")) {
    card.classList.toggle("selected", card.dataset.id === asset.id);
  }
  const preview = $("selected-preview");
  preview.replaceChildren(el("img", { src: asset.thumbnail_url, alt: "" }),
    el("div", {}, el("div", {}, asset.caption), el("div", { class: "muted" }, asset.id.slice(0, 12))));
  document.querySelector("input[name=source][value=selected]").checked = true;
  toggleSource();
  const name = asset.caption ? `“${asset.caption.replace(/[.\s]+$/, "")}”` : asset.id.slice(0, 12);
  notice(`Selected ${name}: use Generate or Edit`);
  scheduleEstimate();
}

async function loadLibrary(append = false) {
  state.libraryOffset = append ? state.libraryOffset : 0;
  const params = new URLSearchParams({ limit: "60", offset: String(state.libraryOffset) });
  for (const [key, id] of [["text", "filter-text"], ["folder", "filter-folder"], ["tag", "filter-tag"], ["orientation", "filter-orientation"]]) {
    if ($(id).value) params.set(key, $(id).value);
  }
  const data = await api(`/api/assets?${params}`);
  fillOptions($("filter-folder"), data.folders, "All folders");
  fillOptions($("filter-tag"), data.tags, "All tags");
  const cards = data.assets.map((a) => assetCard(a));
  if (append) $("library-grid").append(...cards); else $("library-grid").replaceChildren(...cards);
  state.libraryOffset += data.assets.length;
  $("library-count").textContent = `${data.total} image(s)` + (data.coverage ? ` · ${data.coverage.summary}` : "");
  const warning = data.coverage && data.coverage.warning;
  $("library-coverage").textContent = warning ? `Warning: ${warning}` : "";
  $("library-coverage").classList.toggle("hidden", !warning);
  $("library-more").classList.toggle("hidden", state.libraryOffset >= data.total);
}

function fillOptions(selectEl, values, label) {
  const current = selectEl.value;
  selectEl.replaceChildren(el("option", { value: "" }, label), ...values.map((v) => el("option", { value: v }, v)));
  selectEl.value = values.includes(current) ? current : "";
}

async function search(event) {
  if (event) event.preventDefault();
  const body = { query: $("search-query").value, mode: $("search-mode").value, limit: 12 };
  $("search-summary").textContent = `Searching for “${body.query}”…`;
  let data;
  try {
    data = await api("/api/search", { json: body });
  } catch (error) {
    $("search-summary").textContent = "";
    throw error;
  }
  $("search-summary").textContent = data.no_match
    ? `No good match for “${data.query}”: no candidate reached the min score ${data.min_score.toFixed(2)}` +
      (data.nearest ? ` (best ${data.nearest.score.toFixed(2)}: ${data.nearest.why})` : "") +
      (data.coverage_warning ? `. ${data.coverage_warning}` : ". Nearest candidates, not accepted:")
    : `${data.hits.length} hit(s) for “${data.query}”`;
  const marked = Object.values(data.verdicts || {});
  if (marked.length) $("search-summary").append(verdictsNote(data.query, marked));
  const shown = data.no_match ? data.rejected || [] : data.hits;
  $("search-results").replaceChildren(...shown.map((hit) => {
    const card = assetCard(hit.asset, el("div", { title: hit.why, class: data.no_match ? "rejected" : "" },
      el("span", { class: "score" }, (data.no_match ? "rejected " : "") + hit.score.toFixed(3)),
      el("div", { class: "muted why" }, hit.why)));
    card.querySelector(".body").append(verdictButton(data.query, hit, data.no_match ? "right" : "wrong"));
    return card;
  }));
}

function verdictsNote(query, marked) {
  const count = (v) => marked.filter((m) => m === v).length;
  const forget = el("button", { type: "button", class: "verdict forget" }, "Forget them");
  forget.addEventListener("click", guarded(async () => {
    await api(`/api/verdicts?${new URLSearchParams({ query })}`, { method: "DELETE" });
    notice(`Forgot your verdicts on “${query}”`);
    await search();
  }));
  return el("span", { class: "verdicts-note" },
    `Your verdicts on this query: ${count("right")} marked right, ${count("wrong")} marked wrong and left out. `, forget);
}

// A verdict settles one photo for one query for good: search, batch plans and reels obey it.
function verdictButton(query, hit, verdict, again = () => search()) {
  const right = verdict === "right";
  const button = el("button", { type: "button", class: `verdict ${verdict}`,
    title: right ? `Always accept this photo for “${query}”` : `Never show this photo for “${query}” again` },
    right ? "Right photo" : "Wrong photo");
  button.addEventListener("click", guarded(async (event) => {
    event.stopPropagation();
    await api("/api/verdicts", { json: { query, asset_id: hit.asset.id, verdict } });
    notice(`Marked ${verdict} for “${query}” (reelrag verdict list)`);
    await again();
  }));
  return button;
}
const fmt = (value) => (value === null || value === undefined ? "–" : Number(value).toFixed(2));

async function upload(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  form.append("ingest", "true");
  const data = await api("/api/uploads", { method: "POST", body: form });
  notice(`Added ${file.name} (${data.width}×${data.height})`);
  await loadLibrary();
}

// -- generate -----------------------------------------------------------------------------------

async function loadBackends() {
  const data = await api("/api/backends");
  state.backends = data.backends;
  for (const id of ["gen-backend", "batch-backend"]) {
    $(id).replaceChildren(...data.backends.map((b) => el("option",
      { value: b.name, disabled: b.available ? null : "", title: b.error || b.model }, b.name)));
    $(id).value = data.default;
  }
}

function toggleSource() {
  const byObject = document.querySelector("input[name=source]:checked").value === "object";
  $("gen-object").classList.toggle("hidden", !byObject);
  $("selected-preview").classList.toggle("hidden", byObject);
}

function generateBody() {
  const body = { prompt: $("gen-prompt").value, backend: $("gen-backend").value || null };
  const byObject = document.querySelector("input[name=source]:checked").value === "object";
  if (byObject && $("gen-object").value.trim()) body.object = $("gen-object").value.trim();
  if (byObject && $("gen-min-score").value) body.min_score = Number($("gen-min-score").value);
  if (!byObject && state.selected) {
    if (state.selected.image) body.image = state.selected.image; else body.asset_id = state.selected.id;
  }
  if ($("gen-duration").value) body.duration_s = Number($("gen-duration").value);
  if ($("gen-fps").value) body.fps = Number($("gen-fps").value);
  if ($("gen-seed").value) body.seed = Number($("gen-seed").value);
  if ($("gen-size").value) [body.width, body.height] = $("gen-size").value.split("x").map(Number);
  return body;
}

let estimateTimer = null;
function scheduleEstimate() {
  clearTimeout(estimateTimer);
  estimateTimer = setTimeout(updateEstimate, 250);
}
async function updateEstimate() {
  if (!$("gen-prompt").value.trim()) return;
  try {
    const e = await api("/api/estimate", { json: generateBody() });
    $("estimate").textContent = `Estimate: $${e.cost_usd.toFixed(2)}, ~${e.time_s.toFixed(1)} s · ` +
      `${e.width}×${e.height}, ${e.duration_s} s @ ${e.fps} fps (${e.frames} frames) on ${e.backend}` +
      (e.adjustments.length ? ` · adjusted: ${e.adjustments.join("; ")}` : "");
  } catch (err) {
    $("estimate").textContent = `Cannot run this: ${err.message}`;
  }
}

async function startJob(event) {
  event.preventDefault();
  const body = generateBody();
  if (!body.prompt.trim()) {
    throw Object.assign(new Error("the prompt is empty"), { hint: "describe the action or camera move" });
  }
  if (!body.object && !body.asset_id && !body.image) {
    throw Object.assign(new Error("no image chosen"), { hint: "select an image or type an object" });
  }
  const data = await api("/api/generate", { json: body });
  notice(`Queued ${data.job_id}` + (data.hit ? ` with ${data.hit.asset.source} (score ${data.hit.score.toFixed(2)}: ${data.hit.why})` : ""));
  showTab("jobs");
}

// -- jobs (live through server-sent events) -----------------------------------------------------

// The job list and counts are re-read from the server after job events (debounced), so a
// finished job never keeps a stale state, and a late reply never overwrites a newer one.
let jobsRequest = 0;
async function loadJobs() {
  const ticket = ++jobsRequest;
  const data = await api("/api/jobs?limit=200");
  if (ticket !== jobsRequest) return;
  state.jobs = new Map(data.jobs.map((job) => [job.id, job]));
  renderJobs(data.counts);
}
let jobsTimer = null;
function scheduleJobsReload() {
  clearTimeout(jobsTimer);
  jobsTimer = setTimeout(() => loadJobs().catch(() => {}), 200);
}

function renderJobs(counts) {
  const rows = [...state.jobs.values()].map((job) => {
    const error = job.error ? `${job.error.message}${job.error.hint ? ` (${job.error.hint})` : ""}` : "";
    const actions = el("td", {});
    if (job.state === "queued" || job.state === "running") {
      actions.append(el("button", { class: "small", onclick: guarded(() => jobAction(job.id, "cancel")) }, "Cancel"));
    } else if (["failed", "cancelled", "skipped"].includes(job.state)) {
      actions.append(el("button", { class: "small", onclick: guarded(() => jobAction(job.id, "retry")) }, "Retry"));
    } else if (job.links && job.links.video) {
      actions.append(el("a", { href: job.links.video, target: "_blank" }, "video"));
    }
    return el("tr", { "data-job": job.id, "data-state": job.state },
      el("td", {}, job.id), el("td", { class: `state-${job.state}` }, job.state),
      el("td", {}, el("div", { class: "bar" }, el("div", { style: `width:${Math.round(job.progress * 100)}%` }))),
      el("td", {}, error || job.message, qaBadge(job)), actions);
  });
  $("jobs-body").replaceChildren(...rows);
  if (counts) state.counts = counts;
  const active = state.counts
    ? (state.counts.queued || 0) + (state.counts.running || 0)
    : [...state.jobs.values()].filter((j) => j.state === "queued" || j.state === "running").length;
  $("active-count").textContent = String(active);
  $("active-count").classList.toggle("hidden", active === 0);
  if (state.counts) {
    $("jobs-counts").textContent = Object.entries(state.counts).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).join(", ") || "No jobs yet.";
  }
}

function qaBadge(job) {
  // the output check's verdict (reelrag check), recorded by the pipeline for every output
  const qa = job.result && job.result.qa;
  if (!qa) return "";
  const pass = qa.startsWith("PASS");
  return el("div", { class: pass ? "qa-pass" : "qa-fail", title: qa }, `QA ${qa}`);
}

async function jobAction(id, action) {
  const job = await api(`/api/jobs/${encodeURIComponent(id)}/${action}`, { method: "POST" });
  state.jobs.set(job.id, job);
  renderJobs();
  scheduleJobsReload();
}

function followEvents() {
  const source = new EventSource("/api/events");
  source.addEventListener("job", async (message) => {
    const event = JSON.parse(message.data);
    state.cursor = event.seq;
    const known = state.jobs.get(event.job_id);
    if (known && event.state === "running" && known.state === "running") {
      known.progress = event.progress; known.message = event.message;
      renderJobs();
    }
    if (!known || event.state !== known.state) scheduleJobsReload();
  });
}

// -- gallery ------------------------------------------------------------------------------------

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso || "" : date.toLocaleString();
}

async function loadGallery() {
  const data = await api("/api/outputs");
  const items = data.items.map((item) => el("div", { class: "item" },
    el("video", { src: item.video_url, poster: item.poster_url, controls: "", loop: "", muted: "", playsinline: "", preload: "metadata" }),
    el("div", { class: "body" },
      el("strong", {}, item.prompt),
      el("div", { class: "source" }, item.source_image_url ? el("img", { src: item.source_image_url, alt: "source" }) : null,
        el("span", { title: item.source || "" }, `${item.source || "text only"}${item.score !== null && item.score !== undefined ? ` · score ${Number(item.score).toFixed(3)}` : ""}`)),
      el("div", { class: "muted", title: item.created_at }, `${item.backend} · seed ${item.seed} · ${when(item.created_at)}`),
      el("details", {}, el("summary", {}, "Manifest"), el("pre", { class: "manifest" }, JSON.stringify(item.manifest, null, 2))))));
  $("gallery-grid").replaceChildren(...(items.length ? items : [el("p", { class: "muted" }, "No videos yet: start a job in Generate.")]));
}

// -- batch --------------------------------------------------------------------------------------

async function startBatch(event) {
  if (event) event.preventDefault();
  const form = new FormData();
  form.append("file", $("batch-file").files[0]);
  for (const [key, id] of [["object", "batch-object"], ["action", "batch-action"], ["backend", "batch-backend"], ["min_score", "batch-min-score"]]) {
    if ($(id).value) form.append(key, $(id).value);
  }
  form.append("dry_run", $("batch-dry").checked ? "true" : "false");
  const data = await api("/api/batch", { method: "POST", body: form });
  const plan = data.plan;
  const rows = plan.rows.map((row) => el("tr", {}, el("td", {}, row.job_id), el("td", {}, row.request.prompt),
    el("td", { title: row.hit ? row.hit.why : "" }, row.hit ? [el("img", { class: "plan-thumb", src: row.hit.asset.thumbnail_url, alt: row.hit.asset.caption, loading: "lazy" }), `${row.hit.asset.source} (${row.hit.score.toFixed(2)})`,
      data.dry_run && row.query ? verdictButton(row.query, row.hit, "wrong", () => startBatch()) : null] : row.request.asset_id || row.request.image || ""),
    el("td", {}, row.reason ? `${row.state}: ${row.reason}` : row.state === "planned" ? "would queue" : row.state),
    el("td", {}, `$${row.cost_usd.toFixed(2)}`)));
  const queued = data.dry_run ? "plan only, nothing queued" : `${data.jobs_added} job(s) queued`;
  $("batch-plan").replaceChildren(
    el("p", {}, `Batch ${data.batch_id}: ${plan.rows.length} row(s), ${queued}, estimated $${plan.cost_usd.toFixed(2)} and ~${Math.round(plan.time_s)} s`),
    el("table", { class: "plan" }, el("thead", {}, el("tr", {}, ["job", "prompt", "image", "state", "cost"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
}

// -- reel -----------------------------------------------------------------------------------------

async function startReel(event) {
  event.preventDefault();
  const ratios = [...document.querySelectorAll("input[name=reel-ratio]:checked")].map((box) => box.value);
  $("reel-status").replaceChildren(el("p", { class: "muted" }, "Planning the shots…"));
  const body = { storyboard: $("reel-storyboard").value, distinct: $("reel-distinct").checked,
    skip_missing: $("reel-skip").checked, aspect_ratios: ratios.length ? ratios : null };
  const data = await api("/api/reels", { json: body }).catch((err) => { $("reel-status").replaceChildren(); throw err; });
  const rows = data.shots.map((shot) => el("tr", {}, el("td", {}, shot.shot), el("td", {}, shot.caption || ""),
    el("td", {}, shot.reason ? `${shot.state}: ${shot.reason}` : shot.state)));
  $("reel-status").replaceChildren(
    el("p", {}, `Reel ${data.reel_id}: rendering ${data.videos.join(", ")}. Follow it in Jobs; it appears in Gallery when done.`),
    el("table", { class: "plan" }, el("thead", {}, el("tr", {}, ["shot", "photo", "state"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
}

// -- edit (rectangle or brush mask, white = edit) ------------------------------------------------

const edit = { drawing: false, start: null, boxes: [], painted: false };

function loadEditImage() {
  const image = $("edit-image");
  if (!state.selected) { $("edit-help").textContent = "Select an image in Library or Search first."; return; }
  $("edit-help").textContent = "Drag a rectangle or paint over what to change.";
  const url = state.selected.image_url;
  if (image.getAttribute("src") !== url) {
    image.onload = clearMask;
    image.src = url;
  }
}

function clearMask() {
  const image = $("edit-image"), canvas = $("edit-canvas");
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  edit.boxes = []; edit.painted = false;
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
}

function canvasPoint(event) {
  const canvas = $("edit-canvas"), rect = canvas.getBoundingClientRect();
  return { x: (event.clientX - rect.left) * canvas.width / rect.width, y: (event.clientY - rect.top) * canvas.height / rect.height };
}

function drawStart(event) {
  edit.drawing = true; edit.start = canvasPoint(event);
  if (tool() === "brush") paint(event);
}
function drawMove(event) { if (edit.drawing && tool() === "brush") paint(event); }
function drawEnd(event) {
  if (!edit.drawing) return;
  edit.drawing = false;
  if (tool() !== "rect") return;
  const end = canvasPoint(event), s = edit.start;
  const box = [Math.min(s.x, end.x), Math.min(s.y, end.y), Math.abs(end.x - s.x), Math.abs(end.y - s.y)].map(Math.round);
  if (box[2] < 2 || box[3] < 2) return;
  edit.boxes.push(box);
  const ctx = $("edit-canvas").getContext("2d");
  ctx.fillStyle = "rgba(47,111,237,0.45)"; ctx.fillRect(...box);
}
function paint(event) {
  const p = canvasPoint(event), ctx = $("edit-canvas").getContext("2d");
  const scale = $("edit-canvas").width / $("edit-canvas").getBoundingClientRect().width;
  ctx.fillStyle = "rgba(47,111,237,0.45)";
  ctx.beginPath(); ctx.arc(p.x, p.y, Number($("brush-size").value) * scale / 2, 0, 2 * Math.PI); ctx.fill();
  edit.painted = true;
}
const tool = () => document.querySelector("input[name=tool]:checked").value;

function maskPng() {
  // Both tools paint the overlay; the mask is its alpha: painted = white = edit.
  const overlay = $("edit-canvas"), mask = document.createElement("canvas");
  mask.width = overlay.width; mask.height = overlay.height;
  const src = overlay.getContext("2d").getImageData(0, 0, overlay.width, overlay.height);
  const ctx = mask.getContext("2d"), out = ctx.createImageData(mask.width, mask.height);
  for (let i = 0; i < src.data.length; i += 4) {
    const v = src.data[i + 3] > 0 ? 255 : 0;
    out.data[i] = out.data[i + 1] = out.data[i + 2] = v; out.data[i + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
  return mask.toDataURL("image/png");
}

async function runEdit() {
  if (!state.selected) throw Object.assign(new Error("no image selected"), { hint: "pick one in Library" });
  const body = state.selected.image ? { image: state.selected.image } : { asset_id: state.selected.id };
  if (edit.painted) body.mask_png = maskPng();
  else if (edit.boxes.length) body.boxes = edit.boxes.map((b) => b.join(","));
  else throw Object.assign(new Error("no region drawn"), { hint: "drag a rectangle or paint over the image" });
  if ($("edit-prompt").value.trim()) body.prompt = $("edit-prompt").value.trim();
  const button = $("edit-run");
  button.disabled = true;
  $("edit-results").replaceChildren(el("p", { class: "muted" }, "In-painting…"));
  let result;
  try {
    result = await api("/api/inpaint", { json: body });
  } catch (error) {
    $("edit-results").replaceChildren();
    throw error;
  } finally {
    button.disabled = false;
  }
  $("edit-results").replaceChildren(...result.variant_urls.map((url, i) => el("div", { class: "card" },
    el("a", { href: url, target: "_blank", title: "open at full size" }, el("img", { src: url, alt: `variant ${i + 1}` })),
    el("div", { class: "body" }, `Variant ${i + 1}${result.best === i + 1 ? " (best)" : ""} `,
      el("button", { class: "small", onclick: () => animateEdited(result.variant_images[i], url) }, "Animate this")))));
}

function animateEdited(imagePath, url) {
  select({ id: "edited", image: imagePath, thumbnail_url: url, image_url: url, caption: "edited image" });
  showTab("generate");
}

// -- start ----------------------------------------------------------------------------------------

function init() {
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  $("error-close").addEventListener("click", clearError);
  $("library-filters").addEventListener("submit", (e) => e.preventDefault());
  for (const id of ["filter-folder", "filter-tag", "filter-orientation"]) $(id).addEventListener("change", guarded(() => loadLibrary()));
  $("filter-text").addEventListener("input", guarded(() => loadLibrary()));
  $("library-more").addEventListener("click", guarded(() => loadLibrary(true)));
  $("upload-input").addEventListener("change", guarded(upload));
  $("search-form").addEventListener("submit", guarded(search));
  $("generate-form").addEventListener("submit", guarded(startJob));
  $("generate-form").addEventListener("input", scheduleEstimate);
  for (const radio of document.querySelectorAll("input[name=source]")) radio.addEventListener("change", () => { toggleSource(); scheduleEstimate(); });
  $("batch-form").addEventListener("submit", guarded(startBatch));
  $("reel-form").addEventListener("submit", guarded(startReel));
  const canvas = $("edit-canvas");
  canvas.addEventListener("pointerdown", drawStart);
  canvas.addEventListener("pointermove", drawMove);
  window.addEventListener("pointerup", drawEnd);
  $("edit-clear").addEventListener("click", clearMask);
  $("edit-run").addEventListener("click", guarded(runEdit));
  guarded(async () => { await loadBackends(); await loadLibrary(); await loadJobs(); scheduleEstimate(); })();
  followEvents();
}

document.addEventListener("DOMContentLoaded", init);
