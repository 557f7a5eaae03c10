// Run the artifact as the service does (onnxruntime-node, CPU): classifier.onnx then sentinel.onnx on raw
// float32 tensor files written by training/infer.py, so that calibration and every reported metric come from
// the exact graphs that are served (also when the trained torch members are not cached).
// usage: node training/run_onnx.mjs ARTIFACT_DIR WORK_ORT_DIR set1 [set2 ...]
//   reads  WORK_ORT_DIR/<set>.x (float32 [N,3,L]) and <set>.meta (float32 [N,4]); L from card or 1024
//   writes WORK_ORT_DIR/<set>.<output> (float32) for every classifier output (fine_probs, coarse_probs, embedding,
//          fine_logits, and the oe_* copies where the graph has them), ad_scores, ad_score, and WORK_ORT_DIR/<set>.json with the shapes
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const [dir, odir, ...sets] = process.argv.slice(2);
const opts = { intraOpNumThreads: 2, interOpNumThreads: 1, executionProviders: ['cpu'] };
const cls = await ort.InferenceSession.create(path.join(dir, 'classifier.onnx'), opts);
const sen = await ort.InferenceSession.create(path.join(dir, 'sentinel.onnx'), opts);
const cardPath = path.join(dir, 'card.json');
const card = fs.existsSync(cardPath) ? JSON.parse(fs.readFileSync(cardPath, 'utf8')) : {};
const L = card?.input?.preprocessing?.length ?? 1024;
const readF32 = (p) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const names = [...cls.outputNames, 'ad_scores', 'ad_score'];
const B = 64;
for (const s of sets) {
  const x = readF32(path.join(odir, `${s}.x`));
  const meta = readF32(path.join(odir, `${s}.meta`));
  const n = meta.length / 4;
  const parts = Object.fromEntries(names.map((k) => [k, []]));
  const dims = {};
  const t0 = performance.now();
  for (let i = 0; i < n; i += B) {
    const b = Math.min(B, n - i);
    const c = await cls.run({
      x: new ort.Tensor('float32', x.slice(i * 3 * L, (i + b) * 3 * L), [b, 3, L]),
      meta: new ort.Tensor('float32', meta.slice(i * 4, (i + b) * 4), [b, 4]),
    });
    const r = await sen.run(Object.fromEntries(sen.inputNames.map((k) => [k, c[k]])));
    const all = { ...c, ...r };
    for (const k of names) { parts[k].push(Float32Array.from(all[k].data)); dims[k] = [n, ...all[k].dims.slice(1)]; }
  }
  for (const k of names) {
    const tot = parts[k].reduce((a, p) => a + p.length, 0);
    const out = new Float32Array(tot);
    let o = 0; for (const p of parts[k]) { out.set(p, o); o += p.length; }
    fs.writeFileSync(path.join(odir, `${s}.${k}`), Buffer.from(out.buffer));
  }
  fs.writeFileSync(path.join(odir, `${s}.json`), JSON.stringify({ n, dims, seconds: (performance.now() - t0) / 1000 }));
  console.log(`${s}: ${n} spectra in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
