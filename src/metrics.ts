/** Prometheus metrics, one registry per service instance (tests build several apps in one process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(queueDepth: () => Promise<number>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'candela_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    jobsSubmitted: new Counter({ name: 'candela_jobs_submitted_total', help: 'Jobs accepted', labelNames: ['modality', 'format'], registers: [registry] }),
    inputsRejected: new Counter({ name: 'candela_inputs_rejected_total', help: 'Requests refused with a 4xx', labelNames: ['status'], registers: [registry] }),
    classifications: new Counter({ name: 'candela_classifications_total', help: 'Classifications stored', labelNames: ['model', 'decision'], registers: [registry] }),
    jobFailures: new Counter({ name: 'candela_job_failures_total', help: 'Failed attempts (final = no attempt left)', labelNames: ['final'], registers: [registry] }),
    classificationSeconds: new Histogram({
      name: 'candela_classification_seconds',
      help: 'From claim to stored result',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    batchSize: new Histogram({ name: 'candela_inference_batch_size', help: 'Items per ONNX Runtime run', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [registry] }),
    batchSeconds: new Histogram({ name: 'candela_inference_batch_seconds', help: 'Duration of one batched run', labelNames: ['model'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    deliveryAttempts: new Counter({
      name: 'candela_delivery_attempts_total',
      help: 'Delivery attempts by kind (webhook, skyportal-*, analysis-callback) and outcome (succeeded, retry, dead)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    deliverySeconds: new Histogram({
      name: 'candela_delivery_attempt_seconds',
      help: 'Duration of one delivery attempt, until the receiver answered or the attempt failed',
      labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'candela_queue_depth',
      help: 'Jobs waiting or running in the queue',
      registers: [registry],
      async collect() {
        this.set(await queueDepth().catch(() => -1));
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
