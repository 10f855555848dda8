/*
 * vaekit explorer, part 1: the model's own decoder, running in the page (explorer.js is the page).
 *
 * Everything this page needs is inside it (no network request, works from file://):
 * the JSON in <script id="vaekit-data"> holds the model's decoder as a list of layers
 * with float32 weights in base64 (vaekit/explorer/weights.py), the rows' latent means,
 * and their images (8-bit, deflated) or table values.
 *
 * Public functions, for scripts and tests:
 *
 *   window.vaekitDecode(z, cls) -> Array
 *       Decodes one latent vector z (an array of latent_dim numbers) exactly as
 *       estimator.inverse_transform([z]) does in Python, and returns its values flat,
 *       in the order of inverse_transform(...).ravel(): numbers in the data's units
 *       for images and numeric tables; for a mixed table, one entry per column in
 *       column order, a number for a numeric or count column and the category label
 *       (as the model was fitted on it: a string, number or boolean) for a yes/no or
 *       categorical one. cls is the class (a label of classes_, or its text) for a
 *       conditional model, and must be left out for any other. z is decoded as given;
 *       for a VQ-VAE, snap it first with vaekitQuantize.
 *   window.vaekitDecodeDetails(z, cls) -> {values, probabilities}
 *       The same, with each mixed-table column's probabilities (null for numbers):
 *       [p(no), p(yes)] for a yes/no column, one per level for a categorical one.
 *   window.vaekitQuantize(z) -> Array
 *       A VQ-VAE's z with each slot replaced by its nearest codebook vector
 *       (estimator.quantize); z itself for other models.
 */
"use strict";

/** base64 text -> its bytes. */
function vaekitBytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
/** base64 text of float32 values -> a Float32Array. */
function vaekitFloat32(text) { return new Float32Array(vaekitBytes(text).buffer); }

/**
 * The decoder of MODEL (the JSON of vaekit/explorer/weights.py's decoder_spec): sets
 * window.vaekitDecode, vaekitDecodeDetails and vaekitQuantize, and returns
 * {decodeDetails, quantize, codebook}.
 */
function vaekitDecoder(MODEL) {
  const D = MODEL.latent_dim;
  const CLASSES = MODEL.classes;
  for (const layer of MODEL.layers) {
    if (layer.weight) layer.w = vaekitFloat32(layer.weight);
    if (layer.bias) layer.b = vaekitFloat32(layer.bias);
  }
  const SCALE_MEAN = MODEL.scaling ? vaekitFloat32(MODEL.scaling.mean) : null;
  const SCALE = MODEL.scaling ? vaekitFloat32(MODEL.scaling.scale) : null;
  const ASINH = Boolean(MODEL.scaling && MODEL.scaling.asinh); // robust-asinh: undo the asinh first
  const CODEBOOK = MODEL.codebook ? vaekitFloat32(MODEL.codebook.vectors) : null;

  function erf(x) { // Abramowitz & Stegun 7.1.26, |error| < 1.5e-7
    const s = x < 0 ? -1 : 1; x = Math.abs(x);
    const t = 1 / (1 + 0.3275911 * x);
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return s * y;
  }
  function sigmoid(x) { if (x >= 0) return 1 / (1 + Math.exp(-x)); const e = Math.exp(x); return e / (1 + e); }
  const ACT = {
    relu: () => (x) => (x > 0 ? x : 0),
    leaky_relu: (l) => (x) => (x > 0 ? x : l.slope * x),
    elu: (l) => (x) => (x > 0 ? x : l.alpha * (Math.exp(x) - 1)),
    gelu: (l) => l.approximate === "tanh"
      ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
      : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
    silu: () => (x) => x * sigmoid(x),
    tanh: () => Math.tanh,
    sigmoid: () => sigmoid,
  };

  function linear(l, x) { // weight (out, in)
    const nIn = l.in_shape[0], nOut = l.out_shape[0], w = l.w, b = l.b;
    const y = new Float64Array(nOut);
    for (let o = 0; o < nOut; o++) {
      let s = b[o]; const row = o * nIn;
      for (let i = 0; i < nIn; i++) s += w[row + i] * x[i];
      y[o] = s;
    }
    return y;
  }
  function convTranspose2d(l, x) { // weight (C_in, C_out, kh, kw); out[co, iy*s - p + ky, ix*s - p + kx] += ...
    const [ci_n, H, W] = l.in_shape, [co_n, OH, OW] = l.out_shape;
    const [kh, kw] = l.kernel, [sh, sw] = l.stride, [ph, pw] = l.padding, w = l.w;
    const y = new Float64Array(co_n * OH * OW);
    for (let co = 0; co < co_n; co++) y.fill(l.b[co], co * OH * OW, (co + 1) * OH * OW);
    for (let ci = 0; ci < ci_n; ci++) {
      for (let iy = 0; iy < H; iy++) {
        for (let ix = 0; ix < W; ix++) {
          const v = x[(ci * H + iy) * W + ix];
          if (v === 0) continue;
          for (let co = 0; co < co_n; co++) {
            const wBase = (ci * co_n + co) * kh * kw, yBase = co * OH * OW;
            for (let ky = 0; ky < kh; ky++) {
              const oy = iy * sh - ph + ky;
              if (oy < 0 || oy >= OH) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ox = ix * sw - pw + kx;
                if (ox < 0 || ox >= OW) continue;
                y[yBase + oy * OW + ox] += v * w[wBase + ky * kw + kx];
              }
            }
          }
        }
      }
    }
    return y;
  }
  function conv2d(l, x) { // weight (C_out, C_in, kh, kw), zero padding
    const [ci_n, H, W] = l.in_shape, [co_n, OH, OW] = l.out_shape;
    const [kh, kw] = l.kernel, [sh, sw] = l.stride, [ph, pw] = l.padding, w = l.w;
    const y = new Float64Array(co_n * OH * OW);
    for (let co = 0; co < co_n; co++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let s = l.b[co];
          for (let ci = 0; ci < ci_n; ci++) {
            const wBase = (co * ci_n + ci) * kh * kw, xBase = ci * H * W;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - ph + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pw + kx;
                if (ix < 0 || ix >= W) continue;
                s += x[xBase + iy * W + ix] * w[wBase + ky * kw + kx];
              }
            }
          }
          y[(co * OH + oy) * OW + ox] = s;
        }
      }
    }
    return y;
  }
  for (const layer of MODEL.layers) {
    if (layer.op === "activation") {
      const f = ACT[layer.name](layer);
      layer.run = (x) => { const y = new Float64Array(x.length); for (let i = 0; i < x.length; i++) y[i] = f(x[i]); return y; };
    } else if (layer.op === "linear") layer.run = (x) => linear(layer, x);
    else if (layer.op === "conv_transpose2d") layer.run = (x) => convTranspose2d(layer, x);
    else if (layer.op === "conv2d") layer.run = (x) => conv2d(layer, x);
    else if (layer.op === "reshape") layer.run = (x) => x;
    else throw new Error("vaekit explorer: unknown layer " + layer.op);
  }

  function classIndex(cls) {
    if (!CLASSES) {
      if (cls !== undefined && cls !== null) throw new Error("this model is not conditional: decode z alone");
      return -1;
    }
    if (cls === undefined || cls === null) throw new Error("this model is conditional: give the class, one of " + CLASSES.join(", "));
    const i = CLASSES.findIndex((c) => c === cls || String(c) === String(cls));
    if (i < 0) throw new Error("unknown class " + cls + "; the classes: " + CLASSES.join(", "));
    return i;
  }
  /** The decoder network's raw output (logits, means or a table's parameters) for z and class index k. */
  function network(z, k) {
    if (z.length !== D) throw new Error("z must hold " + D + " numbers, got " + z.length);
    let x = new Float64Array(D + (CLASSES ? CLASSES.length : 0));
    for (let i = 0; i < D; i++) x[i] = +z[i];
    if (CLASSES) x[D + k] = 1;
    for (const layer of MODEL.layers) x = layer.run(x);
    return x;
  }
  function roundHalfEven(v) {
    const r = Math.round(v);
    return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }
  function cbMean(eta) { // the continuous Bernoulli's mean, with its Taylor series near 0
    if (Math.abs(eta) < 0.1) return 0.5 + eta / 12 - (eta * eta * eta) / 720;
    return 0.5 + 0.5 / Math.tanh(0.5 * eta) - 1 / eta;
  }
  /** A value made plausible as vaekit/data/table/bounds.py's ColumnBounds.apply does: off a count's
   *  gaps to the nearer end (the lower on a tie), rounded to its decimals, clipped to its range. */
  function plausible(b, v) {
    if (!b) return v;
    for (const [a, e] of b.gaps) if (v > a && v < e) { v = v - a <= e - v ? a : e; break; }
    if (b.decimals !== null) { const f = 10 ** b.decimals; v = roundHalfEven(v * f) / f; }
    if (b.low !== null) v = Math.min(Math.max(v, b.low), b.high);
    return v;
  }
  function meanOf(params) { // images and numeric tables: the likelihood's mean, then the scaling undone
    const lik = MODEL.likelihood, out = new Array(params.length);
    for (let i = 0; i < params.length; i++) {
      let v = params[i];
      if (lik === "bernoulli") v = sigmoid(v);
      else if (lik === "continuous-bernoulli") v = cbMean(v);
      if (SCALE) v = (ASINH ? Math.sinh(v) : v) * SCALE[i] + SCALE_MEAN[i];
      out[i] = MODEL.bounds ? plausible(MODEL.bounds[i], v) : v;
    }
    return { values: out, probabilities: null };
  }
  function tableOf(params) { // a mixed table: each column's most probable value, in the user's labels
    const values = [], probabilities = [];
    for (const c of MODEL.columns) {
      const p = params[c.param_offset];
      if (c.kind === "continuous") {
        const v = p * c.scale + c.center;
        values.push(plausible(c.bounds, c.integer ? roundHalfEven(v) : v)); probabilities.push(null);
      } else if (c.kind === "count") {
        values.push(plausible(c.bounds, Math.max(roundHalfEven(Math.exp(p * c.scale + c.center)), 0))); probabilities.push(null);
      } else if (c.kind === "binary") {
        const yes = sigmoid(p);
        values.push(c.categories[p >= 0 ? 1 : 0]); probabilities.push([1 - yes, yes]);
      } else {
        let best = 0, max = -Infinity;
        for (let j = 0; j < c.n_params; j++) if (params[c.param_offset + j] > max) { max = params[c.param_offset + j]; best = j; }
        const e = []; let sum = 0;
        for (let j = 0; j < c.n_params; j++) { const v = Math.exp(params[c.param_offset + j] - max); e.push(v); sum += v; }
        values.push(c.categories[best]); probabilities.push(e.map((v) => v / sum));
      }
    }
    return { values, probabilities };
  }
  function decodeDetails(z, cls) {
    const k = classIndex(cls);
    const params = network(z, k);
    return MODEL.columns ? tableOf(params) : meanOf(params);
  }
  function quantize(z) {
    if (!CODEBOOK) return Array.from(z, Number);
    const K = MODEL.codebook.size, C = MODEL.codebook.code_dim, out = new Array(D);
    for (let s = 0; s < D / C; s++) {
      let best = 0, bestD = Infinity;
      for (let k = 0; k < K; k++) {
        let d = 0;
        for (let j = 0; j < C; j++) { const t = z[s * C + j] - CODEBOOK[k * C + j]; d += t * t; }
        if (d < bestD) { bestD = d; best = k; }
      }
      for (let j = 0; j < C; j++) out[s * C + j] = CODEBOOK[best * C + j];
    }
    return out;
  }
  window.vaekitDecode = (z, cls) => decodeDetails(z, cls).values;
  window.vaekitDecodeDetails = decodeDetails;
  window.vaekitQuantize = quantize;
  return { decodeDetails, quantize, codebook: CODEBOOK };
}
