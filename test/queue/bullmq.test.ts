/**
 * The distributed path: API (role serve) and a separate `candela worker` process meeting in a real
 * redis-server started here on a free port, sharing one SQLite store file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { realSpectrumBody } from '../helpers/fixtures.js';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { modelsDir, startTestInstance, type TestInstance } from '../helpers/service.js';

let redis: RedisServer;
let api: TestInstance;
let dataDir: string;
let worker: ChildProcess | undefined;
let workerPort: number;

async function startWorker(): Promise<ChildProcess> {
  workerPort = await freePort();
  const child = spawn(process.execPath, [new URL('../../bin/candela.js', import.meta.url).pathname, 'worker'], {
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      MODELS_DIR: modelsDir,
      PORT: String(workerPort),
      LOG_LEVEL: 'warn',
      JOB_LEASE_MS: '1500',
      RECONCILE_INTERVAL_MS: '300',
      CANDELA_COMMIT: 'test',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`http://127.0.0.1:${workerPort}/readyz`).then((r) => r.status === 200).catch(() => false);
    if (ready) return child;
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('worker did not become ready');
}

async function stopWorker() {
  if (!worker || worker.exitCode !== null) return;
  const exited = new Promise((r) => worker!.once('exit', r));
  worker.kill('SIGTERM');
  await exited;
}

async function waitForStatus(jobId: string, status: string, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = JSON.parse((await api.app.inject({ url: `/jobs/${jobId}` })).body);
    if (job.status === status) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is ${job.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  redis = await startRedisServer();
  dataDir = mkdtempSync(join(tmpdir(), 'candela-bullmq-'));
  api = await startTestInstance({ REDIS_URL: redis.url, DATA_DIR: dataDir }, 'serve');
  worker = await startWorker();
});

after(async () => {
  await stopWorker();
  await api?.close();
  await redis?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('BullMQ with a separate worker process', () => {
  it('classifies through the queue and answers within ?wait', async () => {
    const res = await api.app.inject({ method: 'POST', url: '/classify?wait=30000', payload: realSpectrumBody('ZTF-bullmq') });
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body);
    assert.equal(body.classification.objectId, 'ZTF-bullmq');
    assert.equal(api.service.queue.kind, 'bullmq');
    const workerHealth = await (await fetch(`http://127.0.0.1:${workerPort}/healthz`)).json();
    assert.equal(workerHealth.role, 'worker');
  });

  it('gives the worker only health and metrics routes', async () => {
    const res = await fetch(`http://127.0.0.1:${workerPort}/classify`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 404);
  });

  it('processes a job once when its id is enqueued twice', async () => {
    const accepted = JSON.parse((await api.app.inject({ method: 'POST', url: '/classify', payload: realSpectrumBody('ZTF-twice-queued') })).body);
    await api.service.queue.queue.enqueue(accepted.jobId);
    const job = await waitForStatus(accepted.jobId, 'completed');
    assert.equal(job.attempts, 1);
    const page = await api.service.store.listClassifications({ objectId: 'ZTF-twice-queued' }, 10);
    assert.equal(page.items.length, 1);
  });

  it('recovers a job the queue lost: the reconciler enqueues it again', async () => {
    await stopWorker();
    const accepted = JSON.parse((await api.app.inject({ method: 'POST', url: '/classify', payload: realSpectrumBody('ZTF-lost') })).body);
    assert.equal(accepted.status, 'queued');
    const client = new Redis(redis.url);
    await client.flushall(); // Redis lost everything: the store still says "queued"
    client.disconnect();
    worker = await startWorker();
    const job = await waitForStatus(accepted.jobId, 'completed');
    assert.ok(job.history.some((h: { status: string; detail?: string }) => h.status === 'queued' && /requeue/i.test(h.detail ?? '')), JSON.stringify(job.history));
  });
});
