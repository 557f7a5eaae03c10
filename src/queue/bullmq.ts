/** BullMQ on Redis: the distributed queue. Job ids double as BullMQ job ids, which makes enqueue idempotent. */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobHandler, JobWorker, QueueBackend } from './job-queue.js';

export const classifyQueueName = 'candela-classify';
export const deliverQueueName = 'candela-deliver';

export interface BullmqOptions {
  redisUrl: string;
  /** Default: the classify queue. */
  name?: string;
  attempts: number;
  backoffBaseMs?: number;
  /** How long a worker's lock on a job lasts before another may treat it as stalled. */
  lockDurationMs?: number;
  prefix?: string;
  onError?: (error: Error) => void;
}

export function bullmqQueue(options: BullmqOptions): QueueBackend {
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const prefix = options.prefix ?? 'candela';
  const name = options.name ?? classifyQueueName;
  const queue = new Queue(name, { connection, prefix });
  const workers: Worker[] = [];
  const workerConnections: Redis[] = [];

  return {
    kind: 'bullmq',
    queue: {
      async enqueue(jobId, enqueueOptions = {}) {
        await queue.add(name, { jobId }, {
          jobId: enqueueOptions.key ?? jobId,
          delay: enqueueOptions.delayMs,
          attempts: options.attempts,
          backoff: { type: 'exponential', delay: options.backoffBaseMs ?? 500 },
          removeOnComplete: true,
          removeOnFail: true,
        });
      },
      depth: async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).reduce((a, b) => a + b, 0);
      },
      ping: async () => {
        await connection.ping();
      },
      close: async () => {
        await queue.close();
      },
    },
    startWorker(handler: JobHandler, workerOptions): JobWorker {
      const workerConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
      workerConnections.push(workerConnection);
      const lockDuration = options.lockDurationMs ?? 30000;
      const worker = new Worker(name, async (job) => handler(job.data.jobId as string), {
        connection: workerConnection,
        prefix,
        concurrency: workerOptions.concurrency,
        lockDuration,
        stalledInterval: lockDuration,
        maxStalledCount: options.attempts,
      });
      worker.on('error', (error) => options.onError?.(error));
      workers.push(worker);
      return { close: () => worker.close() };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
      await Promise.all([connection, ...workerConnections].map((c) => c.quit().catch(() => undefined)));
    },
  };
}
