/**
 * Inference and end-to-end benchmark (`npm run bench`). Every speed-up is a ratio against a baseline measured
 * in the same run on the same machine: batch size 1 for raw ONNX Runtime, BATCH_MAX=1 for the service.
 * Writes bench/REPORT.md.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pino from 'pino';
import { ModelRepository } from '../src/inference/model-repository.js';
import { onnxruntimeVersion, ort } from '../src/inference/sessions.js';
import { batchRunner } from '../src/inference/ensemble-model.js';
import { toModelTensor } from '../src/preprocess/index.js';
import { spectrumLimits } from '../src/preprocess/spectrum.js';
import { spectrumFromSkyPortal } from '../src/inputs/spectrum.js';
import { gunzipSync } from 'node:zlib';
import { fixtureBytes, realSpectrumBody } from '../test/helpers/fixtures.js';
import { modelsDir, startTestInstance } from '../test/helpers/service.js';

const log = pino({ level: 'silent' });
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function rawInference(batchSizes: number[], items: number, cpuArena: boolean) {
  const repository = await ModelRepository.load({
    dir: modelsDir,
    sessions: { providers: ['cpu'], intraOpThreads: 0, cpuArena },
    batching: { maxItems: 1, maxDelayMs: 0 },
    service: { version: 'bench', commit: 'bench' },
    log,
  });
  const model = repository.get(process.env.BENCH_MODEL ?? 'spectrum-astranet');
  const p = model.card.input.preprocessing;
  if (p.kind !== 'spectrum-grid-v1') throw new Error('the raw-inference benchmark feeds a spectrum; BENCH_MODEL must be a spectrum model');
  const tensor = toModelTensor(spectrumFromSkyPortal(realSpectrumBody(), spectrumLimits(p)).content, p);
  const rows: { batch: number; perSecond: number; msPerItem: number; rssMiB: number }[] = [];
  for (const batch of batchSizes) {
    // Reload per batch size so that the arena's growth is attributed to this size alone.
    const dir = `${modelsDir}/${model.card.name}/${model.card.version}`;
    const options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', enableCpuMemArena: cpuArena, interOpNumThreads: 1 };
    const classifier = await ort.InferenceSession.create(`${dir}/classifier.onnx`, options);
    const sentinel = await ort.InferenceSession.create(`${dir}/sentinel.onnx`, options);
    const run = batchRunner({ classifier, sentinel }, model.card);
    const inputs = Array.from({ length: batch }, () => tensor);
    await run(inputs); // warm-up
    let done = 0;
    let peak = process.memoryUsage().rss;
    const start = process.hrtime.bigint();
    while (done < items) {
      await run(inputs);
      done += batch;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const elapsed = seconds(start);
    rows.push({ batch, perSecond: done / elapsed, msPerItem: (elapsed * 1000) / done, rssMiB: peak / 2 ** 20 });
    await classifier.release();
    await sentinel.release();
  }
  await repository.close();
  return rows;
}

async function endToEnd(batchMax: number, requests: number, concurrency: number) {
  const instance = await startTestInstance({ BATCH_MAX: batchMax, BATCH_DELAY_MS: batchMax === 1 ? 0 : 5, WORKER_CONCURRENCY: 256 });
  const body = realSpectrumBody('bench');
  await instance.app.inject({ method: 'POST', url: '/classify?wait=60000', payload: body });
  let next = 0;
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next++;
      const t = process.hrtime.bigint();
      const res = await instance.app.inject({ method: 'POST', url: '/classify?wait=60000', payload: body });
      if (res.statusCode !== 200) throw new Error(`bench request failed: ${res.statusCode} ${res.body}`);
      latencies.push(seconds(t) * 1000);
    }
  }));
  const elapsed = seconds(start);
  await instance.close();
  latencies.sort((a, b) => a - b);
  const q = (f: number) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))];
  return { batchMax, perSecond: requests / elapsed, p50: q(0.5), p95: q(0.95) };
}

/** A broker's stream in one request: real ZTF alerts (Fink's sample, 51 packets) repeated, through POST /classify/batch. */
async function alertBatch(batchMax: number, copies: number) {
  const alerts = JSON.parse(gunzipSync(fixtureBytes('alerts/fink-science/alerts.json.gz')).toString('utf8')) as unknown[];
  const payload = Array.from({ length: copies }, () => alerts).flat();
  const instance = await startTestInstance({ BATCH_MAX: batchMax, BATCH_DELAY_MS: batchMax === 1 ? 0 : 5, WORKER_CONCURRENCY: 256 });
  await instance.app.inject({ method: 'POST', url: '/classify/batch?wait=60000', payload: alerts.slice(0, 4) }); // warm-up
  const start = process.hrtime.bigint();
  const res = await instance.app.inject({ method: 'POST', url: '/classify/batch?wait=600000', payload });
  const elapsed = seconds(start);
  const body = JSON.parse(res.body) as { items: { status: string }[] };
  await instance.close();
  const completed = body.items.filter((i) => i.status === 'completed').length;
  if (res.statusCode !== 202 || completed !== payload.length) throw new Error(`alert batch: ${res.statusCode}, ${completed}/${payload.length} completed`);
  return { batchMax, alerts: payload.length, seconds: elapsed, perSecond: payload.length / elapsed };
}

const items = Number(process.env.BENCH_ITEMS ?? 2048);
const requests = Number(process.env.BENCH_REQUESTS ?? 2000);
const raw = await rawInference([1, 8, 32, 64], items, false);
const rawArena = await rawInference([64], items, true);
const e2eBaseline = await endToEnd(1, requests, 32);
const e2eBatched = await endToEnd(32, requests, 32);
const alertCopies = Number(process.env.BENCH_ALERT_COPIES ?? 20);
const alertsBaseline = await alertBatch(1, alertCopies);
const alertsBatched = await alertBatch(32, alertCopies);

const fmt = (n: number, d = 1) => n.toFixed(d);
const base = raw[0].perSecond;
const report = `# Benchmarks

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim()} (${fmt(totalmem() / 2 ** 30, 0)} GiB), Node ${process.version}, onnxruntime-node ${onnxruntimeVersion}, CPU execution provider.
Command: \`npm run bench\` (BENCH_ITEMS=${items}, BENCH_REQUESTS=${requests}, BENCH_ALERT_COPIES=${alertCopies}). Ratios are against the baseline row of the same table, measured in the same run.

## ONNX Runtime: classifier ensemble + Sentinel, one real spectrum (SN 2021gvm) repeated

| batch | spectra/s | ms/spectrum | × batch 1 | peak RSS MiB |
|---:|---:|---:|---:|---:|
${raw.map((r) => `| ${r.batch} | ${fmt(r.perSecond)} | ${fmt(r.msPerItem, 2)} | ${fmt(r.perSecond / base, 2)} | ${fmt(r.rssMiB, 0)} |`).join('\n')}
| 64 (CPU arena on) | ${fmt(rawArena[0].perSecond)} | ${fmt(rawArena[0].msPerItem, 2)} | ${fmt(rawArena[0].perSecond / base, 2)} | ${fmt(rawArena[0].rssMiB, 0)} |

## End to end: POST /classify?wait, embedded default (SQLite, in-process queue), 32 concurrent clients

| BATCH_MAX | requests/s | × BATCH_MAX=1 | p50 ms | p95 ms |
|---:|---:|---:|---:|---:|
${[e2eBaseline, e2eBatched].map((r) => `| ${r.batchMax} | ${fmt(r.perSecond)} | ${fmt(r.perSecond / e2eBaseline.perSecond, 2)} | ${fmt(r.p50)} | ${fmt(r.p95)} |`).join('\n')}

## Alert stream: one POST /classify/batch?wait of ${alertsBaseline.alerts} real ZTF alerts (Fink's 51 packets × ${alertCopies}), light-curve model

Parse, store, queue, preprocess, classify and store every alert, until the last result is in.

| BATCH_MAX | alerts | seconds | alerts/s | × BATCH_MAX=1 |
|---:|---:|---:|---:|---:|
${[alertsBaseline, alertsBatched].map((r) => `| ${r.batchMax} | ${r.alerts} | ${fmt(r.seconds, 2)} | ${fmt(r.perSecond)} | ${fmt(r.perSecond / alertsBaseline.perSecond, 2)} |`).join('\n')}
`;
writeFileSync(new URL('./REPORT.md', import.meta.url), report);
process.stdout.write(report);
