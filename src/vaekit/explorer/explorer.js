/*
 * vaekit explorer, part 2: the page, a latent scatter beside the decoder of decoder.js
 * (loaded before this script, in the same <script> element).
 *
 * Public, for scripts and tests (and window.vaekitDecode, vaekitDecodeDetails,
 * vaekitQuantize of decoder.js):
 *
 *   window.vaekitExplorer
 *       The page's state: ready (true once the points are drawn and the images
 *       unpacked), readyMs (milliseconds from navigation to ready), pointsDrawn,
 *       hovered (the row under the mouse, -1 for none; rows[hovered] is its index in
 *       the data, names[hovered] its name as latents.csv and vaekit score give it), z (the latent vector being decoded), screenOf(i) (point i's
 *       [x, y] in CSS pixels inside the scatter canvas), lastDecodeMs.
 */
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("vaekit-data").textContent);
  const MODEL = DATA.model;
  const D = MODEL.latent_dim;
  const CLASSES = MODEL.classes;
  const state = {
    ready: false, readyMs: null, pointsDrawn: 0, hovered: -1, z: null, lastDecodeMs: null,
    pinned: false, cls: 0, snap: !!MODEL.codebook, screenX: null, screenY: null,
  };
  window.vaekitExplorer = state;

  const bytes = vaekitBytes, float32 = vaekitFloat32; // decoder.js
  async function inflate(text) {
    const stream = new Blob([bytes(text)]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  const { decodeDetails, quantize, codebook: CODEBOOK } = vaekitDecoder(MODEL); // decoder.js

  // ------------------------------------------------------------------ points
  const P = DATA.points;
  const N = P.n;
  const LAT = float32(P.latents); // (N, D)
  const LO = DATA.images ? DATA.images.lo : 0, HI = DATA.images ? DATA.images.hi : 1;
  let THUMBS = null; // (N, H, W, C) uint8, once inflated
  const COLUMNS = DATA.columns.map((c) => ({ ...c, data: c.kind === "number" ? float32(c.values) : c.values }));
  // a category's colours come with it (vaekit.plots.colours: the latent figure's); this is their fallback
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"];
  const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

  // latent range per dim, and the mean: where the sliders start and end
  const lo = new Float64Array(D).fill(Infinity), hi = new Float64Array(D).fill(-Infinity), mean = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) {
    const v = LAT[i * D + d]; if (v < lo[d]) lo[d] = v; if (v > hi[d]) hi[d] = v; mean[d] += v / N;
  }
  for (let d = 0; d < D; d++) {
    const span = hi[d] - lo[d] || 2; lo[d] -= 0.15 * span; hi[d] += 0.15 * span;
  }
  state.z = Array.from(mean);

  // ------------------------------------------------------------------ page
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  };
  const fmt = (v) => {
    if (typeof v !== "number") return String(v);
    if (Number.isNaN(v)) return "missing";
    return Number.isInteger(v) ? String(v) : String(+v.toPrecision(5));
  };
  const root = document.getElementById("vaekit-explorer");
  const colourSelect = el("select", { id: "colour-by" });
  const projectionSelect = el("select", { id: "projection" });
  const axisX = el("select", { id: "axis-x" }), axisY = el("select", { id: "axis-y" });
  const SIZE = 620;
  const scatter = el("canvas", { id: "scatter", width: SIZE, height: SIZE });
  const overlay = el("canvas", { id: "overlay", width: SIZE, height: SIZE });
  const legend = el("div", { id: "legend" });
  const projectionText = el("p", { id: "projection-text" });
  const hoverInfo = el("p", { id: "hover-info", text: "Hover a point to see its row and its reconstruction." });
  const hoverBody = el("div", { id: "hover-body" });
  const decodedInfo = el("p", { id: "decoded-info" });
  const decodedBody = el("div", { id: "decoded-body" });
  const sliders = el("div", { id: "sliders" });
  const extra = el("div", { id: "decode-options" });
  root.append(
    el("section", { id: "plot-panel" },
      el("div", { class: "controls" }, el("label", {}, "colour by ", colourSelect), el("label", {}, " plane ", projectionSelect),
        el("span", { id: "axes" }, el("label", {}, " x ", axisX), el("label", {}, " y ", axisY))),
      el("div", { id: "canvas-wrap" }, scatter, overlay), legend, projectionText),
    el("section", { id: "side-panel" },
      el("h2", { text: "Point under the mouse" }), hoverInfo, hoverBody,
      el("h2", { text: "Decoded in this page" }), decodedInfo, extra, decodedBody,
      el("h3", { text: "Latent dimensions" }), sliders));

  // colour options
  colourSelect.append(el("option", { value: "none", text: "nothing" }));
  COLUMNS.forEach((c, i) => colourSelect.append(el("option", { value: String(i), text: c.name })));
  colourSelect.value = COLUMNS.length && DATA.label_first ? "0" : "none";

  // planes: PCA of the latents, or a pair of dimensions
  if (D > 2) projectionSelect.append(el("option", { value: "pca", text: "first two principal components" }));
  projectionSelect.append(el("option", { value: "pair", text: D === 1 ? "z0" : "two latent dimensions" }));
  for (let d = 0; d < D; d++) { axisX.append(el("option", { value: d, text: "z" + d })); axisY.append(el("option", { value: d, text: "z" + d })); }
  axisX.value = "0"; axisY.value = D > 1 ? "1" : "0";
  const PCA = DATA.projection;

  const view = { mode: D > 2 ? "pca" : "pair", i: 0, j: D > 1 ? 1 : -1, x0: 0, x1: 1, y0: 0, y1: 1 };
  const PX = new Float32Array(N), PY = new Float32Array(N); // screen positions

  function project(z, off) { // one latent vector (z[off..off+D)) -> plane coordinates
    if (view.mode === "pca") {
      let a = 0, b = 0;
      for (let d = 0; d < D; d++) { const c = z[off + d] - PCA.mean[d]; a += c * PCA.components[0][d]; b += c * PCA.components[1][d]; }
      return [a, b];
    }
    return [z[off + view.i], view.j < 0 ? 0 : z[off + view.j]];
  }
  function unproject(a, b) { // plane coordinates -> the latent vector decoded there
    if (view.mode === "pca") return PCA.mean.map((m, d) => m + a * PCA.components[0][d] + b * PCA.components[1][d]);
    const z = state.z.slice(); z[view.i] = a; if (view.j >= 0) z[view.j] = b; return z;
  }
  const toScreen = (a, b) => [(a - view.x0) / (view.x1 - view.x0) * SIZE, SIZE - (b - view.y0) / (view.y1 - view.y0) * SIZE];
  const fromScreen = (x, y) => [view.x0 + x / SIZE * (view.x1 - view.x0), view.y0 + (SIZE - y) / SIZE * (view.y1 - view.y0)];

  function layout() {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const A = new Float64Array(N), B = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const [a, b] = project(LAT, i * D); A[i] = a; B[i] = b;
      if (a < x0) x0 = a; if (a > x1) x1 = a; if (b < y0) y0 = b; if (b > y1) y1 = b;
    }
    const mx = (x1 - x0) * 0.08 || 1, my = (y1 - y0) * 0.08 || 1;
    Object.assign(view, { x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my });
    for (let i = 0; i < N; i++) { const [x, y] = toScreen(A[i], B[i]); PX[i] = x; PY[i] = y; }
    if (view.mode === "pca") {
      const [e1, e2] = PCA.explained;
      projectionText.textContent = `Projection: the first two principal components of the ${D} latent means (PC1 ${(100 * e1).toFixed(1)}%, ` +
        `PC2 ${(100 * e2).toFixed(1)}% of their variance). A position on this plane decodes z = mean + a·PC1 + b·PC2.`;
    } else {
      projectionText.textContent = D === 1 ? "Projection: z0 across (the model has one latent dimension)." :
        `Projection: z${view.i} across, z${view.j} up; the other dimensions are held at their slider values.`;
    }
  }

  function colours() { // (N, 3) bytes, and the legend
    const out = new Uint8Array(N * 3);
    legend.replaceChildren();
    const c = colourSelect.value === "none" ? null : COLUMNS[+colourSelect.value];
    if (!c) { for (let i = 0; i < N; i++) out.set([78, 121, 167], i * 3); return out; }
    const hex = (h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));
    if (c.kind === "category") {
      const pal = c.colours && c.colours.length ? c.colours : PALETTE;
      for (let i = 0; i < N; i++) out.set(c.data[i] < 0 ? [200, 200, 200] : hex(pal[c.data[i] % pal.length]), i * 3);
      c.categories.slice(0, 40).forEach((name, k) =>
        legend.append(el("span", { class: "swatch", style: `background:${pal[k % pal.length]}` }), el("span", { text: String(name) + "  " })));
      return out;
    }
    let a = Infinity, b = -Infinity;
    for (let i = 0; i < N; i++) { const v = c.data[i]; if (v < a) a = v; if (v > b) b = v; }
    for (let i = 0; i < N; i++) {
      const v = c.data[i];
      if (Number.isNaN(v)) { out.set([200, 200, 200], i * 3); continue; }
      const t = b > a ? (v - a) / (b - a) * (VIRIDIS.length - 1) : 0, k = Math.min(Math.floor(t), VIRIDIS.length - 2), f = t - k;
      for (let ch = 0; ch < 3; ch++) out[i * 3 + ch] = Math.round(VIRIDIS[k][ch] * (1 - f) + VIRIDIS[k + 1][ch] * f);
    }
    legend.append(el("span", { text: `${c.name}: ${fmt(a)} ` }), el("span", { class: "ramp" }), el("span", { text: ` ${fmt(b)} (grey: missing)` }));
    return out;
  }

  function draw() {
    const ctx = scatter.getContext("2d");
    const img = ctx.createImageData(SIZE, SIZE);
    const px = img.data;
    for (let i = 0; i < px.length; i += 4) { px[i] = px[i + 1] = px[i + 2] = 255; px[i + 3] = 255; }
    const rgb = colours(), r = N > 20000 ? 1 : 2;
    let drawn = 0;
    for (let i = 0; i < N; i++) {
      const cx = Math.round(PX[i]), cy = Math.round(PY[i]);
      if (!(cx >= 0 && cx < SIZE && cy >= 0 && cy < SIZE)) continue;
      drawn++;
      for (let y = Math.max(0, cy - r + 1); y <= Math.min(SIZE - 1, cy + r - 1); y++)
        for (let x = Math.max(0, cx - r + 1); x <= Math.min(SIZE - 1, cx + r - 1); x++) {
          const o = (y * SIZE + x) * 4; px[o] = rgb[i * 3]; px[o + 1] = rgb[i * 3 + 1]; px[o + 2] = rgb[i * 3 + 2];
        }
    }
    ctx.putImageData(img, 0, 0);
    state.pointsDrawn = drawn;
    drawMarker();
  }
  function drawMarker() {
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, SIZE, SIZE);
    const [x, y] = toScreen(...project(state.z, 0));
    ctx.strokeStyle = state.pinned ? "#d62728" : "#222"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x - 8, y); ctx.lineTo(x + 8, y); ctx.moveTo(x, y - 8); ctx.lineTo(x, y + 8); ctx.stroke();
    if (state.hovered >= 0) { ctx.beginPath(); ctx.arc(PX[state.hovered], PY[state.hovered], 6, 0, 2 * Math.PI); ctx.stroke(); }
  }

  // ------------------------------------------------------------------ outputs
  const SHAPE = MODEL.sample_shape;
  const IMAGE = SHAPE.length >= 2 ? { h: SHAPE[SHAPE.length - 2], w: SHAPE[SHAPE.length - 1], c: SHAPE.length === 3 ? SHAPE[0] : 1 } : null;
  function imageCanvas(id, pixelAt) { // pixelAt(y, x) -> [r, g, b]
    const cv = el("canvas", { id, width: IMAGE.w, height: IMAGE.h, class: "thumb" });
    const ctx = cv.getContext("2d"), img = ctx.createImageData(IMAGE.w, IMAGE.h);
    for (let y = 0; y < IMAGE.h; y++) for (let x = 0; x < IMAGE.w; x++) {
      const o = (y * IMAGE.w + x) * 4; img.data.set(pixelAt(y, x), o); img.data[o + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    return cv;
  }
  function decodedImage(id, values) { // values flat (C, H, W) in the data's units
    const byte = (v) => Math.max(0, Math.min(255, Math.round((v - LO) / (HI - LO) * 255)));
    const plane = IMAGE.h * IMAGE.w;
    return imageCanvas(id, (y, x) => {
      const at = y * IMAGE.w + x;
      if (IMAGE.c >= 3) return [0, 1, 2].map((k) => byte(values[k * plane + at]));
      const g = byte(values[at]); return [g, g, g];
    });
  }
  function inputImage(id, i) {
    const t = DATA.images, c = t.shape[2], o = i * t.shape[0] * t.shape[1] * c;
    return imageCanvas(id, (y, x) => {
      const p = o + (y * t.shape[1] + x) * c;
      return c === 3 ? [THUMBS[p], THUMBS[p + 1], THUMBS[p + 2]] : [THUMBS[p], THUMBS[p], THUMBS[p]];
    });
  }
  function shownValue(details, j) {
    const v = details.values[j], p = details.probabilities && details.probabilities[j];
    if (!p) return fmt(v);
    const col = MODEL.columns[j];
    const order = p.map((q, k) => [q, k]).sort((a, b) => b[0] - a[0]).slice(0, 3);
    return `${fmt(v)} (` + order.map(([q, k]) => `${col.categories[k]} ${(100 * q).toFixed(0)}%`).join(", ") + ")";
  }
  function columnNames() { return MODEL.columns ? MODEL.columns.map((c) => c.name) : COLUMNS.filter((c) => !c.label).map((c) => c.name); }

  function showHover(i) {
    state.hovered = i;
    drawMarker();
    if (i < 0) return;
    const row = P.rows[i];
    const k = P.class_index ? P.class_index[i] : undefined;
    const z = Array.from(LAT.subarray(i * D, (i + 1) * D));
    const details = decodeDetails(z, k === undefined ? undefined : CLASSES[k]);
    const label = COLUMNS.find((c) => c.label);
    hoverInfo.textContent = (P.names ? P.names[i] : `row ${row}`) + (label ? `, ${label.name} ${fmt(label.kind === "category" ? (label.data[i] < 0 ? "missing" : label.categories[label.data[i]]) : label.data[i])}` : "") +
      ` — z = [${z.map((v) => v.toFixed(2)).join(", ")}]`;
    if (IMAGE) {
      hoverBody.replaceChildren(el("figure", {}, THUMBS ? inputImage("hover-input", i) : el("span", { text: "…" }), el("figcaption", { text: "input" })),
        el("figure", {}, decodedImage("hover-recon", details.values), el("figcaption", { text: "reconstruction" })));
      return;
    }
    const table = el("table", { id: "hover-table" }, el("tr", {}, el("th", { text: "column" }), el("th", { text: "input" }), el("th", { text: "reconstruction" })));
    const names = columnNames();
    names.forEach((name, j) => {
      const c = COLUMNS.find((col) => !col.label && col.name === name);
      const v = !c ? "" : c.kind === "category" ? (c.data[i] < 0 ? "missing" : String(c.categories[c.data[i]])) : fmt(c.data[i]);
      table.append(el("tr", { "data-column": name }, el("td", { text: name }), el("td", { class: "input", text: v }),
        el("td", { class: "recon", text: shownValue(details, j) })));
    });
    hoverBody.replaceChildren(table);
  }

  function showDecoded() {
    const z = state.snap ? quantize(state.z) : state.z;
    const started = performance.now();
    const details = decodeDetails(z, CLASSES ? CLASSES[state.cls] : undefined);
    state.lastDecodeMs = performance.now() - started;
    decodedInfo.textContent = `z = [${z.map((v) => v.toFixed(2)).join(", ")}]` + (state.snap ? " (snapped to the nearest codes)" : "") +
      (CLASSES ? `, class ${CLASSES[state.cls]}` : "") + ` — decoded in ${state.lastDecodeMs.toFixed(1)} ms` +
      (state.pinned ? " — pinned (click again to follow the mouse)" : " — click to pin");
    if (IMAGE) { decodedBody.replaceChildren(decodedImage("decoded-image", details.values)); return; }
    const table = el("table", { id: "decoded-table" });
    columnNames().forEach((name, j) => table.append(el("tr", { "data-column": name }, el("td", { text: name }), el("td", { class: "value", text: shownValue(details, j) }))));
    decodedBody.replaceChildren(table);
  }

  // sliders, one per latent dimension (traversals)
  const sliderInputs = [];
  for (let d = 0; d < D; d++) {
    const input = el("input", { type: "range", min: lo[d], max: hi[d], step: (hi[d] - lo[d]) / 400, value: state.z[d], id: "z" + d });
    const out = el("output", { text: state.z[d].toFixed(2) });
    input.addEventListener("input", () => { state.z[d] = +input.value; out.textContent = (+input.value).toFixed(2); showDecoded(); drawMarker(); });
    sliderInputs.push([input, out]);
    sliders.append(el("div", { class: "slider" }, el("label", { for: "z" + d, text: "z" + d + " " }), input, out));
  }
  function syncSliders() { sliderInputs.forEach(([input, out], d) => { input.value = state.z[d]; out.textContent = state.z[d].toFixed(2); }); }

  if (CLASSES) {
    const select = el("select", { id: "class-select" });
    CLASSES.forEach((c, k) => select.append(el("option", { value: k, text: String(c) })));
    select.addEventListener("change", () => { state.cls = +select.value; showDecoded(); });
    extra.append(el("label", {}, "class ", select));
  }
  if (CODEBOOK) {
    const box = el("input", { type: "checkbox", id: "snap" });
    box.checked = state.snap;
    box.addEventListener("change", () => { state.snap = box.checked; showDecoded(); });
    extra.append(el("label", {}, box, " snap to the nearest code"));
  }

  // ------------------------------------------------------------------ mouse
  function nearest(x, y, radius) {
    let best = -1, bestD = radius * radius;
    for (let i = 0; i < N; i++) { const dx = PX[i] - x, dy = PY[i] - y, d = dx * dx + dy * dy; if (d < bestD) { bestD = d; best = i; } }
    return best;
  }
  let pending = null;
  overlay.addEventListener("mousemove", (ev) => {
    const r = overlay.getBoundingClientRect();
    pending = [(ev.clientX - r.left) * SIZE / r.width, (ev.clientY - r.top) * SIZE / r.height];
    requestAnimationFrame(() => {
      if (!pending) return;
      const [x, y] = pending; pending = null;
      const i = nearest(x, y, 8);
      if (i !== state.hovered) showHover(i);
      if (!state.pinned) { state.z = unproject(...fromScreen(x, y)); syncSliders(); showDecoded(); drawMarker(); }
    });
  });
  overlay.addEventListener("click", (ev) => {
    const r = overlay.getBoundingClientRect();
    const x = (ev.clientX - r.left) * SIZE / r.width, y = (ev.clientY - r.top) * SIZE / r.height;
    state.pinned = !state.pinned;
    state.z = unproject(...fromScreen(x, y)); syncSliders(); showDecoded(); drawMarker();
  });
  state.screenOf = (i) => [PX[i] * scatter.getBoundingClientRect().width / SIZE, PY[i] * scatter.getBoundingClientRect().height / SIZE];

  function replot() {
    view.mode = projectionSelect.value;
    view.i = +axisX.value; view.j = D > 1 ? +axisY.value : -1;
    document.getElementById("axes").style.display = view.mode === "pair" && D > 2 ? "" : "none";
    layout(); draw();
  }
  projectionSelect.addEventListener("change", replot);
  axisX.addEventListener("change", replot); axisY.addEventListener("change", replot);
  colourSelect.addEventListener("change", draw);

  replot();
  showDecoded();
  const unpacked = DATA.images ? inflate(DATA.images.pixels).then((b) => { THUMBS = b; }) : Promise.resolve();
  unpacked.then(() => {
    state.ready = true;
    state.readyMs = performance.now();
    document.body.setAttribute("data-ready", "true");
  });
})();
