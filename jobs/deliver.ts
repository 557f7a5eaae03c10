/**
 * The deliver processor: delivery id → claim one attempt → POST → log the attempt → succeeded, dead, or the
 * next attempt scheduled. At least once: a worker that dies mid-attempt leaves the delivery `delivering` with a
 * lease; once the lease ends the reconciler schedules it again and another worker sends the same body under
 * the same `X-Candela-Delivery` id, which receivers use to deduplicate.
 */
import type { Logger } from 'pino';
import type { Delivery, DeliveryStore } from '../src/store/delivery-store.js';
import type { Deliveries } from '../src/webhooks/deliveries.js';
import { decideAfterAttempt, type RetrySettings } from '../src/webhooks/retry-policy.js';
import { postJson, type SendOutcome } from '../src/webhooks/send.js';
import { deliveryHeader, signedHeaders } from '../src/webhooks/signature.js';
import { assertDeliverableTarget, TargetRefusedError } from '../src/webhooks/target-guard.js';

export interface DeliverDependencies {
  store: DeliveryStore;
  deliveries: Deliveries;
  log: Logger;
  leaseMs: number;
  timeoutMs: number;
  allowPrivate: boolean;
  retry: Omit<RetrySettings, 'maxAttempts'>;
  onAttempt?: (kind: string, outcome: string, seconds: number) => void;
  /** Called once a delivery has succeeded (e.g. to note it in the object's journal); its errors are logged only. */
  onDelivered?: (delivery: Delivery) => Promise<void>;
}

/** A reason not to send at all; the delivery is dead-lettered with it. */
class Undeliverable extends Error {}

async function headersFor(deps: DeliverDependencies, delivery: Delivery, body: string): Promise<Record<string, string>> {
  if (delivery.kind === 'analysis-callback') return { [deliveryHeader]: delivery.id }; // the callback URL carries SkyPortal's token
  const webhook = await deps.store.getWebhookWithSecret(delivery.webhookId!);
  if (!webhook) throw new Undeliverable('the subscription was deleted');
  if (delivery.kind === 'webhook') return signedHeaders(webhook.secret, delivery.id, body);
  return { [deliveryHeader]: delivery.id, authorization: `token ${webhook.secret}` };
}

/** `refused`: not sent at all (expired, target not allowed, subscription gone), which is final. */
async function send(deps: DeliverDependencies, delivery: Delivery): Promise<SendOutcome & { refused?: boolean }> {
  try {
    if (delivery.invalidAfter && Date.now() > Date.parse(delivery.invalidAfter)) throw new Undeliverable(`invalid_after (${delivery.invalidAfter}) has passed`);
    await assertDeliverableTarget(delivery.url, deps.allowPrivate);
    const body = JSON.stringify(delivery.payload);
    return await postJson(delivery.url, body, await headersFor(deps, delivery, body), deps.timeoutMs);
  } catch (error) {
    if (error instanceof Undeliverable || error instanceof TargetRefusedError) return { refused: true, error: error.message };
    throw error;
  }
}

export function deliverProcessor(deps: DeliverDependencies) {
  return async (deliveryId: string): Promise<void> => {
    const delivery = await deps.store.claimDelivery(deliveryId, deps.leaseMs);
    if (!delivery) return; // finished, or another worker's attempt
    const startedAt = new Date();
    const sent = await send(deps, delivery);
    const decision = sent.refused
      ? { outcome: 'dead' as const }
      : decideAfterAttempt(delivery.attempts, sent.statusCode, sent.retryAfterMs, { ...deps.retry, maxAttempts: delivery.maxAttempts });
    const durationMs = Date.now() - startedAt.getTime();
    deps.onAttempt?.(delivery.kind, decision.outcome, durationMs / 1000);
    const finished = await deps.store.finishAttempt(delivery.id, delivery.attempts, {
      startedAt: startedAt.toISOString(),
      durationMs,
      ...(sent.statusCode !== undefined ? { statusCode: sent.statusCode } : {}),
      ...(sent.error ? { error: sent.error } : {}),
      ...decision,
    });
    const log = deps.log.child({ deliveryId, kind: delivery.kind, attempt: delivery.attempts });
    if (!finished) return log.warn('attempt finished after its lease was taken over; its result was not recorded');
    if (decision.outcome === 'dead') log.warn({ error: sent.error }, 'delivery dead-lettered');
    if (finished.status === 'pending') await deps.deliveries.schedule(finished);
    if (finished.status === 'succeeded') await deps.onDelivered?.(finished).catch((error) => log.error({ err: error }, 'could not record the delivery in the journal'));
  };
}
