/**
 * Wires one Candela process from its configuration. The roles share this code: `all` (API + worker, the
 * embedded default), `serve` (API only) and `worker` (queue consumer only); serve and worker need Redis.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { classifyProcessor } from '../jobs/classify.js';
import { executionProviders, type Config } from './config.js';
import { inProcessEvents, redisEvents, type ResultEvents } from './events/result-events.js';
import { ModelRepository } from './inference/model-repository.js';
import { createMetrics, type Metrics } from './metrics.js';
import { bullmqQueue } from './queue/bullmq.js';
import { inProcessQueue } from './queue/in-process.js';
import type { JobWorker, QueueBackend } from './queue/job-queue.js';
import { startReconciler } from './queue/reconciler.js';
import { createStore } from './store/index.js';
import type { ProvenanceStore } from './store/provenance-store.js';

export type Role = 'all' | 'serve' | 'worker';

export interface Service {
  role: Role;
  config: Config;
  log: Logger;
  version: { version: string; commit: string };
  store: ProvenanceStore;
  queue: QueueBackend;
  events: ResultEvents;
  models: ModelRepository;
  metrics: Metrics;
  stop(): Promise<void>;
}

export const serviceVersion: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function currentCommit(config: Config): string {
  if (config.CANDELA_COMMIT) return config.CANDELA_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

export async function startService(config: Config, role: Role, log: Logger = pino({ level: config.LOG_LEVEL })): Promise<Service> {
  if (role !== 'all' && !config.REDIS_URL) {
    throw new Error(`the "${role}" role runs apart from the others and needs REDIS_URL; without Redis use "all"`);
  }
  const version = { version: serviceVersion, commit: currentCommit(config) };
  const store = await createStore({ mongodbUri: config.MONGODB_URI || undefined, dataDir: config.DATA_DIR });
  const queue = config.REDIS_URL
    ? bullmqQueue({ redisUrl: config.REDIS_URL, attempts: config.JOB_ATTEMPTS, onError: (err) => log.error({ err }, 'queue error') })
    : inProcessQueue({ attempts: config.JOB_ATTEMPTS });
  const events = config.REDIS_URL ? await redisEvents(config.REDIS_URL) : inProcessEvents();
  const metrics = createMetrics(() => queue.queue.depth());
  const models = await ModelRepository.load({
    dir: config.MODELS_DIR,
    sessions: { providers: executionProviders(config), intraOpThreads: config.ORT_INTRA_OP_THREADS, cpuArena: config.ORT_CPU_ARENA },
    batching: {
      maxItems: config.BATCH_MAX,
      maxDelayMs: config.BATCH_DELAY_MS,
      onBatch: (model, size, seconds) => {
        metrics.batchSize.observe({ model }, size);
        metrics.batchSeconds.observe({ model }, seconds);
      },
    },
    service: version,
    log,
  });
  if (models.all().length === 0) log.warn({ dir: config.MODELS_DIR }, 'no models found: every classification request will be refused');

  let worker: JobWorker | undefined;
  let reconciler: { stop(): void } | undefined;
  if (role !== 'serve') {
    worker = queue.startWorker(
      classifyProcessor({
        store,
        models,
        events,
        log,
        attempts: config.JOB_ATTEMPTS,
        leaseMs: config.JOB_LEASE_MS,
        onCompleted: (c, seconds) => {
          metrics.classifications.inc({ model: c.model.name, decision: c.result.decision.value });
          metrics.classificationSeconds.observe(seconds);
        },
        onFailed: (final) => metrics.jobFailures.inc({ final: String(final) }),
      }),
      { concurrency: config.WORKER_CONCURRENCY },
    );
    reconciler = startReconciler(store, queue.queue, { leaseMs: config.JOB_LEASE_MS, intervalMs: config.RECONCILE_INTERVAL_MS, log });
  }

  return {
    role,
    config,
    log,
    version,
    store,
    queue,
    events,
    models,
    metrics,
    async stop() {
      reconciler?.stop();
      await worker?.close();
      await queue.close();
      await events.close();
      await models.close();
      await store.close();
    },
  };
}
