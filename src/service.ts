/**
 * Wires one Candela process from its configuration. The roles share this code: `all` (API + worker, the
 * embedded default), `serve` (API only) and `worker` (queue consumer only); serve and worker need Redis.
 */
import { execFileSync } from 'node:child_process';
import pino, { type Logger } from 'pino';
import { classifyProcessor } from '../jobs/classify.js';
import { deliverProcessor } from '../jobs/deliver.js';
import { executionProviders, type Config } from './config.js';
import { inProcessEvents, redisEvents, type ResultEvents } from './events/result-events.js';
import { ModelRepository } from './inference/model-repository.js';
import { createMetrics, type Metrics } from './metrics.js';
import { bullmqQueue, deliverQueueName } from './queue/bullmq.js';
import { inProcessQueue } from './queue/in-process.js';
import type { JobWorker, QueueBackend } from './queue/job-queue.js';
import { startReconciler } from './queue/reconciler.js';
import { createStore } from './store/index.js';
import { serviceVersion } from './version.js';
import type { ProvenanceStore } from './store/provenance-store.js';
import { createDeliveryStore } from './store/delivery-store.js';
import { Deliveries, journalDelivered } from './webhooks/deliveries.js';
import { fanOut } from './webhooks/fan-out.js';

export type Role = 'all' | 'serve' | 'worker';

export interface Service {
  role: Role;
  config: Config;
  log: Logger;
  version: { version: string; commit: string };
  store: ProvenanceStore;
  queue: QueueBackend;
  /** Webhook, SkyPortal and analysis-callback deliveries (queue `candela-deliver`). */
  deliveries: Deliveries;
  events: ResultEvents;
  models: ModelRepository;
  metrics: Metrics;
  stop(): Promise<void>;
}

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
  const deliverQueue = config.REDIS_URL
    ? bullmqQueue({ redisUrl: config.REDIS_URL, name: deliverQueueName, attempts: config.JOB_ATTEMPTS, lockDurationMs: config.DELIVERY_LEASE_MS, onError: (err) => log.error({ err }, 'delivery queue error') })
    : inProcessQueue({ attempts: config.JOB_ATTEMPTS });
  const deliveryStore = await createDeliveryStore({ mongodbUri: config.MONGODB_URI || undefined, dataDir: config.DATA_DIR });
  const deliveries = new Deliveries(deliveryStore, deliverQueue.queue, { maxAttempts: config.DELIVERY_ATTEMPTS });
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
  let deliverWorker: JobWorker | undefined;
  let deliveryReconciler: { stop(): void } | undefined;
  if (role !== 'serve') {
    worker = queue.startWorker(
      classifyProcessor({
        store,
        models,
        events,
        log,
        attempts: config.JOB_ATTEMPTS,
        leaseMs: config.JOB_LEASE_MS,
        followUp: (event) => fanOut({ store, deliveries, models }, event),
        onCompleted: (c, seconds) => {
          metrics.classifications.inc({ model: c.model.name, decision: c.result.decision.value });
          metrics.classificationSeconds.observe(seconds);
        },
        onFailed: (final) => metrics.jobFailures.inc({ final: String(final) }),
      }),
      { concurrency: config.WORKER_CONCURRENCY },
    );
    reconciler = startReconciler(store, queue.queue, { leaseMs: config.JOB_LEASE_MS, intervalMs: config.RECONCILE_INTERVAL_MS, log });
    deliverWorker = deliverQueue.startWorker(
      deliverProcessor({
        store: deliveryStore,
        deliveries,
        log,
        leaseMs: config.DELIVERY_LEASE_MS,
        timeoutMs: config.DELIVERY_TIMEOUT_MS,
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
        retry: { baseMs: config.DELIVERY_BACKOFF_BASE_MS, maxMs: config.DELIVERY_BACKOFF_MAX_MS },
        onAttempt: (kind, outcome, seconds) => {
          metrics.deliveryAttempts.inc({ kind, outcome });
          metrics.deliverySeconds.observe({ kind }, seconds);
        },
        onDelivered: (delivery) => journalDelivered(store, delivery),
      }),
      { concurrency: config.DELIVERY_CONCURRENCY },
    );
    deliveryReconciler = deliveries.startReconciler({ intervalMs: config.RECONCILE_INTERVAL_MS, log });
  }

  return {
    role,
    config,
    log,
    version,
    store,
    queue,
    deliveries,
    events,
    models,
    metrics,
    async stop() {
      reconciler?.stop();
      deliveryReconciler?.stop();
      await worker?.close();
      await deliverWorker?.close();
      await queue.close();
      await deliverQueue.close();
      await deliveryStore.close();
      await events.close();
      await models.close();
      await store.close();
    },
  };
}
