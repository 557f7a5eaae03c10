/** Subscribing, classifying and waiting for deliveries through the public REST API of a test instance. */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { realSpectrumBody } from '../helpers/fixtures.js';

export interface DeliveryView {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  payload: Record<string, unknown>;
  lastError?: string;
  attemptLog: { number: number; outcome: string; statusCode?: number; error?: string; retryInMs?: number; retryAfterHonoured?: boolean }[];
}

export async function subscribe(app: FastifyInstance, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const response = await app.inject({ method: 'POST', url: '/webhooks', payload: body });
  assert.equal(response.statusCode, 201, response.body);
  return response.json();
}

/** Classifies the real SN II spectrum under `objectId` and returns the classification id. */
export async function classify(app: FastifyInstance, objectId: string): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/classify?wait=30000', payload: realSpectrumBody(objectId) });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().classification.id;
}

export async function deliveriesOf(app: FastifyInstance, webhookId: string): Promise<DeliveryView[]> {
  const response = await app.inject({ method: 'GET', url: `/webhooks/${webhookId}/deliveries` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().items;
}

/** Polls the delivery log until every delivery of the subscription has finished (succeeded or dead). */
export async function settledDeliveries(app: FastifyInstance, webhookId: string, count = 1, timeoutMs = 20_000): Promise<DeliveryView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await deliveriesOf(app, webhookId);
    if (items.length >= count && items.every((d) => d.status === 'succeeded' || d.status === 'dead')) return items;
    if (Date.now() > deadline) throw new Error(`deliveries did not settle: ${JSON.stringify(items.map((d) => [d.status, d.attempts]))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
