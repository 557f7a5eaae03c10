// Run an artifact's classifier.onnx + sentinel.onnx with ONNX Runtime (node) on tensors from a JSON file.
// usage: node training/lightcurve/ort_run.mjs ARTIFACT_DIR IN.json OUT.json
// IN: {sets: {name: {n, x: [n*24*L], meta: [n*4]}}, length: L}; OUT: {name: {fine_probs, coarse_probs, embedding, fine_logits, ad_score}}
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const [dir, inFile, outFile] = process.argv.slice(2);
const opts = { intraOpNumThreads: 2, interOpNumThreads: 1, executionProviders: ['cpu'] };
const cls = await ort.InferenceSession.create(path.join(dir, 'classifier.onnx'), opts);
const sen = await ort.InferenceSession.create(path.join(dir, 'sentinel.onnx'), opts);
const input = JSON.parse(fs.readFileSync(inFile, 'utf8'));
const L = input.length;
const out = {};
for (const [name, s] of Object.entries(input.sets)) {
  const c = await cls.run({ x: new ort.Tensor('float32', Float32Array.from(s.x), [s.n, 24, L]), meta: new ort.Tensor('float32', Float32Array.from(s.meta), [s.n, 4]) });
  const r = await sen.run({ fine_probs: c.fine_probs, coarse_probs: c.coarse_probs, embedding: c.embedding, fine_logits: c.fine_logits });
  out[name] = { dims: { fine_probs: c.fine_probs.dims, coarse_probs: c.coarse_probs.dims }, fine_probs: Array.from(c.fine_probs.data), coarse_probs: Array.from(c.coarse_probs.data), ad_score: Array.from(r.ad_score.data) };
}
fs.writeFileSync(outFile, JSON.stringify(out));
