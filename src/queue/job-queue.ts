/**
 * The queue carries job ids only; the store holds payloads and is the source of truth. Split as in BullMQ:
 * a producer side (`JobQueue`) and a consumer side (`JobWorker`), with two implementations — BullMQ on Redis
 * and an in-process queue — behind the same interface.
 */
export type JobHandler = (jobId: string) => Promise<void>;

export interface EnqueueOptions {
  /** Hold the job this long before a worker may take it. */
  delayMs?: number;
  /** The queue entry's own identity, when one job id is enqueued more than once over its life (default: the job id). */
  key?: string;
}

export interface JobQueue {
  /** Idempotent: enqueuing a key (default: the job id) that is already waiting, delayed or running does nothing. */
  enqueue(jobId: string, options?: EnqueueOptions): Promise<void>;
  /** Waiting + active job count, for metrics and readiness. */
  depth(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface JobWorker {
  close(): Promise<void>;
}

export interface QueueBackend {
  readonly kind: 'bullmq' | 'in-process';
  queue: JobQueue;
  /**
   * Consume jobs. The handler throws to ask for another attempt (exponential backoff, at most `attempts` in
   * all); it returns normally when the job is finished, successfully or not.
   */
  startWorker(handler: JobHandler, options: { concurrency: number }): JobWorker;
  close(): Promise<void>;
}

export const backoffMs = (attempt: number, baseMs = 500) => baseMs * 2 ** (attempt - 1);
