/** GraphQL over webhook subscriptions and their deliveries: the same checks and records as the REST routes. */
import { webhookChangesSchema, webhookInputSchema } from '../routes/webhooks.js';
import { sharedSchemas } from '../routes/schemas.js';
import { InputError } from '../src/inputs/input-error.js';
import { problemSchema } from '../src/http/problem.js';
import { validatorCompiler } from '../src/http/validation.js';
import type { Service } from '../src/service.js';
import type { Delivery, Webhook } from '../src/store/delivery-store.js';
import { changeSubscription, createSubscription, type WebhookChanges, type WebhookInput } from '../src/webhooks/subscriptions.js';

type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params: { missingProperty?: string } }[] | null };

/**
 * Validates GraphQL input (nulls dropped: GraphQL's "not given") against the REST body schema, so that both
 * refuse the same input with the same pointers; returns the input without its nulls.
 */
function bodyValidator<T extends object>(schema: object): (input: T) => T {
  const compile = validatorCompiler([problemSchema, ...sharedSchemas]);
  const validate = compile({ schema, httpPart: 'body', method: 'POST', url: '/graphql' }) as unknown as Validator;
  return (input) => {
    const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null)) as T;
    if (validate(given)) return given;
    throw new InputError('Invalid input', (validate.errors ?? []).map((e) => ({
      pointer: `${e.instancePath}${e.params.missingProperty ? `/${e.params.missingProperty}` : ''}` || '/',
      detail: e.message ?? 'is invalid',
    })));
  };
}

export function webhookResolvers(service: Service) {
  const { deliveries, config } = service;
  const { store } = deliveries;
  const checkInput = bodyValidator<WebhookInput>(webhookInputSchema);
  const checkChanges = bodyValidator<WebhookChanges>(webhookChangesSchema);

  return {
    Query: {
      webhooks: () => store.listWebhooks(),
      webhook: (_: unknown, { id }: { id: string }) => store.getWebhook(id),
    },
    Mutation: {
      createWebhook: async (_: unknown, { input }: { input: WebhookInput }) => {
        return createSubscription(store, checkInput(input), config.WEBHOOK_ALLOW_PRIVATE);
      },
      updateWebhook: async (_: unknown, { id, changes }: { id: string; changes: WebhookChanges }) => {
        return changeSubscription(store, id, checkChanges(changes), config.WEBHOOK_ALLOW_PRIVATE);
      },
      deleteWebhook: (_: unknown, { id }: { id: string }) => store.deleteWebhook(id),
      redeliver: async (_: unknown, { webhookId, deliveryId }: { webhookId: string; deliveryId: string }) => {
        const delivery = await store.getDelivery(deliveryId);
        return delivery?.webhookId === webhookId ? deliveries.redeliver(deliveryId) : null;
      },
    },
    Webhook: {
      deliveries: async (webhook: Webhook, { first, after }: { first: number; after?: string }) => {
        const page = await store.listDeliveries(webhook.id, Math.min(Math.max(first, 1), 100), after);
        return { nodes: page.items, pageInfo: { hasNextPage: page.nextCursor !== undefined, endCursor: page.nextCursor ?? null } };
      },
    },
    Delivery: {
      attemptLog: (delivery: Delivery) => store.listAttempts(delivery.id),
    },
  };
}
