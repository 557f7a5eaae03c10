/**
 * At-least-once delivery across a crash: a `candela worker` process is killed (SIGKILL) while its attempt is
 * in flight; a second worker takes the delivery over once the lease ends and sends the same body under the
 * same X-Candela-Delivery id. Real redis-server (BullMQ queue `candela-deliver`), real SQLite shared by the
 * API and the workers, a real HTTP receiver.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { modelsDir, startTestInstance, type TestInstance } from '../helpers/service.js';
import { classify, deliveriesOf, settledDeliveries, subscribe } from './helpers.js';
import { startReceiver, type Receiver } from './receiver.js';
import { verifyCandelaWebhook } from './third-party-verifier.js';

let redis: RedisServer;
let dataDir: string;
let api: TestInstance;
let receiver: Receiver;
const workers: ChildProcess[] = [];

/** A `candela worker` process against the shared Redis and data directory, once it answers /readyz. */
async function startWorkerProcess(): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [new URL('../../bin/candela.js', import.meta.url).pathname, 'worker'], {
    env: {
      ...process.env, REDIS_URL: redis.url, DATA_DIR: dataDir, MODELS_DIR: modelsDir, PORT: String(port), LOG_LEVEL: 'error', CANDELA_COMMIT: 'test',
      WEBHOOK_ALLOW_PRIVATE: 'true', DELIVERY_LEASE_MS: '1500', DELIVERY_TIMEOUT_MS: '1000', RECONCILE_INTERVAL_MS: '300',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  workers.push(child);
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the worker did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return child;
}

before(async () => {
  redis = await startRedisServer();
  dataDir = mkdtempSync(join(tmpdir(), 'candela-crash-'));
  api = await startTestInstance({ REDIS_URL: redis.url, DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: true }, 'serve');
  receiver = await startReceiver((_, n) => (n === 0 ? 'hang' : { status: 200 }));
});
after(async () => {
  for (const child of workers) if (child.exitCode === null) child.kill('SIGKILL');
  await receiver.close();
  await api.close();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('completes a delivery whose worker died mid-attempt, once, under the same delivery id', async () => {
  const webhook = await subscribe(api.app, { url: receiver.url, rule: { objectIdPattern: '^ZTF-crash$' } });
  const first = await startWorkerProcess();
  await classify(api.app, 'ZTF-crash');
  const [inFlight] = await receiver.received(1);

  const exited = new Promise((resolve) => first.once('exit', resolve));
  first.kill('SIGKILL');
  await exited;
  const [abandoned] = await deliveriesOf(api.app, webhook.id);
  assert.equal(abandoned.status, 'delivering', 'the dead worker left its attempt unfinished');
  assert.deepEqual(abandoned.attemptLog, []);

  await startWorkerProcess();
  const [, retried] = await receiver.received(2);
  assert.equal(retried.headers['x-candela-delivery'], inFlight.headers['x-candela-delivery']);
  assert.equal(retried.body, inFlight.body);
  assert.ok(verifyCandelaWebhook(webhook.secret, retried.headers, retried.body));

  const [delivered] = await settledDeliveries(api.app, webhook.id);
  assert.equal(delivered.id, inFlight.headers['x-candela-delivery']);
  assert.equal(delivered.status, 'succeeded');
  assert.equal(delivered.attempts, 2);
  assert.deepEqual(delivered.attemptLog.map((a) => [a.number, a.outcome]), [[2, 'succeeded']]);
  await new Promise((resolve) => setTimeout(resolve, 2000)); // a stalled queue entry re-run now would be a third request
  assert.equal(receiver.requests.length, 2);
});
