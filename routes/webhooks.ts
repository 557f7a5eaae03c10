/** Webhook subscriptions, their deliveries with every attempt, and manual redelivery. */
import type { FastifyPluginAsync } from 'fastify';
import { notFound, sendProblem } from '../src/http/problem.js';
import type { Delivery, Webhook } from '../src/store/delivery-store.js';
import { changeSubscription, createSubscription, type WebhookChanges, type WebhookInput } from '../src/webhooks/subscriptions.js';
import { idParams } from './jobs.js';
import { webhookSchema } from './delivery-schemas.js';
import { pageQuerySchema, problemResponses } from './schemas.js';

const enc = encodeURIComponent;
const webhookLinks = (w: Webhook) => ({ self: `/webhooks/${enc(w.id)}`, deliveries: `/webhooks/${enc(w.id)}/deliveries` });
const deliveryLinks = (d: Delivery) => ({
  self: `/webhooks/${enc(d.webhookId!)}/deliveries/${enc(d.id)}`,
  redeliver: `/webhooks/${enc(d.webhookId!)}/deliveries/${enc(d.id)}/redeliver`,
  ...(d.classificationId ? { classification: `/classifications/${enc(d.classificationId)}` } : {}),
});

const secret = { type: 'string', minLength: 16, maxLength: 256, description: 'HMAC key (target "webhook"; generated when omitted) or SkyPortal API token (target "skyportal")' } as const;
const changeableProperties = {
  url: { type: 'string', format: 'uri', maxLength: 2048 },
  secret,
  rule: { $ref: 'WebhookRule#' },
  active: { type: 'boolean' },
  skyportal: { $ref: 'SkyPortalPush#' },
} as const;

/** Request bodies, shared with GraphQL's mutations (which validate their input against them too). */
export const webhookInputSchema = {
  type: 'object',
  properties: { ...changeableProperties, target: { type: 'string', enum: ['webhook', 'skyportal'], default: 'webhook' } },
  required: ['url'],
  additionalProperties: false,
} as const;
export const webhookChangesSchema = { type: 'object', properties: changeableProperties, minProperties: 1, additionalProperties: false } as const;

const deliveryParams = {
  type: 'object',
  properties: { id: idParams.properties.id, deliveryId: idParams.properties.id },
  required: ['id', 'deliveryId'],
} as const;

const webhookRoutes: FastifyPluginAsync = async (app) => {
  const { deliveries, config } = app.candela;
  const { store } = deliveries;
  const withLinks = (w: Webhook) => ({ ...w, links: webhookLinks(w) });
  const withAttempts = async (d: Delivery) => ({ ...(await deliveries.withAttemptLog(d)), links: deliveryLinks(d) });
  const deliveryOf = async (webhookId: string, deliveryId: string) => {
    const delivery = await store.getDelivery(deliveryId);
    return delivery?.webhookId === webhookId ? delivery : null;
  };

  app.post<{ Body: WebhookInput }>('/webhooks', {
    schema: {
      tags: ['delivery'],
      summary: 'Subscribe to results: signed webhooks, or a push into SkyPortal',
      description: 'The secret is in this response only; later responses carry `secretHint`.',
      body: webhookInputSchema,
      response: {
        201: { ...webhookSchema, $id: undefined, properties: { ...webhookSchema.properties, secret: { type: 'string' } }, required: [...webhookSchema.required, 'secret'] },
        ...problemResponses(400, 422),
      },
    },
  }, async (request, reply) => {
    const { webhook, secret } = await createSubscription(store, request.body, config.WEBHOOK_ALLOW_PRIVATE);
    reply.header('location', webhookLinks(webhook).self);
    return reply.code(201).send({ ...withLinks(webhook), secret });
  });

  app.get('/webhooks', {
    schema: {
      tags: ['delivery'],
      summary: 'Every subscription, oldest first',
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'Webhook#' } } }, required: ['items'] } },
    },
  }, async () => ({ items: (await store.listWebhooks()).map(withLinks) }));

  app.get<{ Params: { id: string } }>('/webhooks/:id', {
    schema: { tags: ['delivery'], summary: 'A subscription', params: idParams, response: { 200: { $ref: 'Webhook#' }, ...problemResponses(404) } },
  }, async (request, reply) => {
    const webhook = await store.getWebhook(request.params.id);
    return webhook ? withLinks(webhook) : notFound(reply, 'webhook', request.params.id);
  });

  app.patch<{ Params: { id: string }; Body: WebhookChanges }>('/webhooks/:id', {
    schema: {
      tags: ['delivery'],
      summary: 'Change a subscription (url, secret, rule, active, skyportal)',
      params: idParams,
      body: webhookChangesSchema,
      response: { 200: { $ref: 'Webhook#' }, ...problemResponses(400, 404, 422) },
    },
  }, async (request, reply) => {
    const updated = await changeSubscription(store, request.params.id, request.body, config.WEBHOOK_ALLOW_PRIVATE);
    return updated ? withLinks(updated) : notFound(reply, 'webhook', request.params.id);
  });

  app.delete<{ Params: { id: string } }>('/webhooks/:id', {
    schema: { tags: ['delivery'], summary: 'Remove a subscription (its delivery log stays)', params: idParams, response: { 204: { type: 'null', description: 'Removed' }, ...problemResponses(404) } },
  }, async (request, reply) => {
    if (!(await store.deleteWebhook(request.params.id))) return notFound(reply, 'webhook', request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { first: number; after?: string } }>('/webhooks/:id/deliveries', {
    schema: {
      tags: ['delivery'],
      summary: "A subscription's deliveries, newest first, each with every attempt",
      params: idParams,
      querystring: pageQuerySchema,
      response: {
        200: {
          type: 'object',
          properties: {
            items: { type: 'array', items: { $ref: 'Delivery#' } },
            pageInfo: { type: 'object', properties: { hasNextPage: { type: 'boolean' }, endCursor: { type: 'string' } }, required: ['hasNextPage'] },
          },
          required: ['items', 'pageInfo'],
        },
        ...problemResponses(400, 404),
      },
    },
  }, async (request, reply) => {
    if (!(await store.getWebhook(request.params.id))) return notFound(reply, 'webhook', request.params.id);
    const page = await store.listDeliveries(request.params.id, request.query.first, request.query.after);
    return {
      items: await Promise.all(page.items.map(withAttempts)),
      pageInfo: { hasNextPage: page.nextCursor !== undefined, ...(page.nextCursor ? { endCursor: page.nextCursor } : {}) },
    };
  });

  app.get<{ Params: { id: string; deliveryId: string } }>('/webhooks/:id/deliveries/:deliveryId', {
    schema: { tags: ['delivery'], summary: 'One delivery with every attempt', params: deliveryParams, response: { 200: { $ref: 'Delivery#' }, ...problemResponses(404) } },
  }, async (request, reply) => {
    const delivery = await deliveryOf(request.params.id, request.params.deliveryId);
    return delivery ? withAttempts(delivery) : notFound(reply, 'delivery', request.params.deliveryId);
  });

  app.post<{ Params: { id: string; deliveryId: string } }>('/webhooks/:id/deliveries/:deliveryId/redeliver', {
    schema: {
      tags: ['delivery'],
      summary: 'Send a finished (succeeded or dead-lettered) delivery again, same id and body, with a fresh set of attempts',
      params: deliveryParams,
      response: { 202: { $ref: 'Delivery#' }, ...problemResponses(404, 409) },
    },
  }, async (request, reply) => {
    const delivery = await deliveryOf(request.params.id, request.params.deliveryId);
    if (!delivery) return notFound(reply, 'delivery', request.params.deliveryId);
    const redelivered = await deliveries.redeliver(delivery.id);
    if (!redelivered) return sendProblem(reply, { title: 'Delivery in progress', status: 409, detail: `delivery ${delivery.id} is ${delivery.status}; only a finished delivery can be sent again` });
    return reply.code(202).send(await withAttempts(redelivered));
  });
};

export default webhookRoutes;
