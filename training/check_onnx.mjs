// Proof that ONNX Runtime reproduces the Python (torch / numpy) outputs of the artifact.
// usage: node training/check_onnx.mjs [artifactDir] [goldenFile] [checkInputs] [outJson]
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.dirname(here);
const dir = process.argv[2] ?? path.join(repo, 'artifacts/spectrum-astranet/0.2.0');
const goldenFile = process.argv[3] ?? path.join(repo, 'test/golden/spectrum-astranet-0.2.0.json');
const checkFile = process.argv[4] ?? path.join(here, 'work/check_inputs.json');
const outFile = process.argv[5] ?? path.join(here, 'work/ort_check.json');

const opts = { intraOpNumThreads: 2, interOpNumThreads: 1, executionProviders: ['cpu'] };
const cls = await ort.InferenceSession.create(path.join(dir, 'classifier.onnx'), opts);
const sen = await ort.InferenceSession.create(path.join(dir, 'sentinel.onnx'), opts);
const cardPath = path.join(dir, 'card.json');
const card = fs.existsSync(cardPath) ? JSON.parse(fs.readFileSync(cardPath, 'utf8')) : {};
let L = card?.input?.preprocessing?.length ?? 1024;

const T = (a, dims) => new ort.Tensor('float32', Float32Array.from(a), dims);
const maxDiff = (a, b) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };

// the Sentinel reads the classifier outputs named by its inputs (oe_* for spectrum-astranet), as the service does
const sentinelFeeds = (outputs) => Object.fromEntries(sen.inputNames.map((n) => [n, outputs[n]]));
const dimsOf = (g, name) => {
  const K = g.classifier.fine_logits.length;
  const n = g.classifier[name].length;
  if (name.endsWith('fine_logits')) return [1, K];
  if (name.endsWith('embedding')) return [1, n];
  const M = g.classifier[name.replace('coarse_probs', 'fine_probs')].length / K;
  return [1, M, n / M];
};

async function runAll(x, meta, B) {
  const c = await cls.run({ x: T(x, [B, 3, L]), meta: T(meta, [B, 4]) });
  const s = await sen.run(sentinelFeeds(c));
  return { c, s };
}

const report = { golden: [], batch: {}, throughput: {} };
const golden = JSON.parse(fs.readFileSync(goldenFile, 'utf8'));
let worst = 0;
for (const g of golden.cases) {
  L = g.tensor.x.length / 3;
  const { c, s } = await runAll(g.tensor.x, g.tensor.meta, 1);
  const r = { name: g.name };
  for (const k of cls.outputNames) r[k] = maxDiff(c[k].data, g.classifier[k]);
  r.ad_scores = maxDiff(s.ad_scores.data, g.sentinel.ad_scores);
  r.ad_score = Math.abs(s.ad_score.data[0] - g.sentinel.ad_score);
  // sentinel fed with the golden (torch) classifier outputs
  const s2 = await sen.run(Object.fromEntries(sen.inputNames.map((n) => [n, T(g.classifier[n], dimsOf(g, n))])));
  r.ad_scores_from_golden_inputs = maxDiff(s2.ad_scores.data, g.sentinel.ad_scores);
  r.ad_score_from_golden_inputs = Math.abs(s2.ad_score.data[0] - g.sentinel.ad_score);
  for (const k of [...cls.outputNames, 'ad_scores', 'ad_score']) worst = Math.max(worst, r[k]);
  report.golden.push(r);
}
report.golden_max_abs_diff = worst;

if (!fs.existsSync(checkFile)) {
  // recalibration-only rebuild (no torch members cached): throughput on the golden tensors, tiled to 32
  const B = 32;
  const x = [], meta = [];
  for (let i = 0; i < B; i++) { const g = golden.cases[i % golden.cases.length]; x.push(...g.tensor.x); meta.push(...g.tensor.meta); }
  await runAll(x, meta, B);
  const reps = 6; const t0 = performance.now();
  for (let i = 0; i < reps; i++) await runAll(x, meta, B);
  const dt = (performance.now() - t0) / 1000;
  report.throughput = { batch: B, spectra_per_s: (reps * B) / dt, threads: 2, includes: 'classifier + sentinel', inputs: 'golden tensors tiled' };
  const t1 = performance.now();
  for (let i = 0; i < 16; i++) await runAll(x.slice(0, 3 * L), meta.slice(0, 4), 1);
  report.throughput.single_latency_ms = (performance.now() - t1) / 16;
}
if (fs.existsSync(checkFile)) {
  const ci = JSON.parse(fs.readFileSync(checkFile, 'utf8'));
  const { c, s } = await runAll(ci.x, ci.meta, ci.n);
  for (const k of cls.outputNames) report.batch[k] = maxDiff(c[k].data, ci[k]);
  report.batch.ad_scores = maxDiff(s.ad_scores.data, ci.ad_scores);
  report.batch.ad_score = maxDiff(s.ad_score.data, ci.ad_score);
  let flips = 0; for (let i = 0; i < ci.ad_scores.length; i++) if (Math.abs(s.ad_scores.data[i] - ci.ad_scores[i]) > 1e-6) flips++;
  report.batch.ad_scores_rank_steps = flips;
  report.batch.n = ci.n;
  // throughput: batches of 32, classifier + sentinel, 2 intra-op threads
  const B = 32;
  const x = ci.x.slice(0, B * 3 * L), meta = ci.meta.slice(0, B * 4);
  await runAll(x, meta, B);
  const reps = 6; const t0 = performance.now();
  for (let i = 0; i < reps; i++) await runAll(x, meta, B);
  const dt = (performance.now() - t0) / 1000;
  report.throughput = { batch: B, spectra_per_s: (reps * B) / dt, threads: 2, includes: 'classifier + sentinel' };
  const t1 = performance.now();
  for (let i = 0; i < 16; i++) await runAll(x.slice(0, 3 * L), meta.slice(0, 4), 1);
  report.throughput.single_latency_ms = (performance.now() - t1) / 16;
}
report.onnxruntime = ort.env.versions;
fs.writeFileSync(outFile, JSON.stringify(report, null, 1));
console.log(JSON.stringify(report, null, 1));
if (worst > 1e-5) { console.error(`FAIL: max abs diff ${worst} > 1e-5`); process.exit(1); }
