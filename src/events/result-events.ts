/**
 * Result events: published by workers when a job finishes, consumed by GraphQL subscriptions, `?wait`
 * requests and (later) follow-up rules. In-process by default; over Redis pub/sub when workers run apart.
 */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

export interface JobFinishedEvent {
  type: 'classification.completed' | 'job.failed';
  jobId: string;
  objectId: string;
  classificationId?: string;
}

export type EventListener = (event: JobFinishedEvent) => void;

export interface ResultEvents {
  publish(event: JobFinishedEvent): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void;
  close(): Promise<void>;
}

export function inProcessEvents(): ResultEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish: async (event) => {
      emitter.emit('event', event);
    },
    subscribe: (listener) => {
      emitter.on('event', listener);
      return () => emitter.off('event', listener);
    },
    close: async () => {
      emitter.removeAllListeners();
    },
  };
}

const channel = 'candela:events';

export async function redisEvents(redisUrl: string): Promise<ResultEvents> {
  const local = inProcessEvents();
  const publisher = new Redis(redisUrl);
  const subscriber = new Redis(redisUrl);
  subscriber.on('message', (_channel, message: string) => {
    void local.publish(JSON.parse(message) as JobFinishedEvent);
  });
  // Subscribed before anyone can wait on an event, so none published afterwards is missed.
  await subscriber.subscribe(channel);
  return {
    publish: async (event) => {
      await publisher.publish(channel, JSON.stringify(event));
    },
    subscribe: (listener) => local.subscribe(listener),
    close: async () => {
      await local.close();
      await Promise.all([publisher, subscriber].map((c) => c.quit().catch(() => undefined)));
    },
  };
}
