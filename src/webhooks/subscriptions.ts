/** Creating and changing subscriptions: every check that must pass before anything is stored. */
import { randomUUID } from 'node:crypto';
import { InputError, type FieldProblem } from '../inputs/input-error.js';
import type { DeliveryStore, SkyPortalPushSettings, Webhook, WebhookPatch, WebhookRule, WebhookTarget, WebhookWithSecret } from '../store/delivery-store.js';
import { objectIdPatternProblem } from './rules.js';
import { newSecret, secretHint } from './signature.js';
import { assertDeliverableTarget, TargetRefusedError } from './target-guard.js';

export interface WebhookInput {
  url: string;
  target?: WebhookTarget;
  secret?: string;
  rule?: WebhookRule;
  active?: boolean;
  skyportal?: SkyPortalPushSettings;
}

export type WebhookChanges = Partial<Omit<WebhookInput, 'target'>>;

async function problemsWith(changes: WebhookChanges, target: WebhookTarget, allowPrivate: boolean): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  if (changes.url !== undefined) {
    await assertDeliverableTarget(changes.url, allowPrivate).catch((error) => {
      if (!(error instanceof TargetRefusedError)) throw error;
      problems.push({ pointer: '/url', detail: error.reason });
    });
  }
  const patternProblem = objectIdPatternProblem(changes.rule?.objectIdPattern);
  if (patternProblem) problems.push({ pointer: '/rule/objectIdPattern', detail: patternProblem });
  if (changes.skyportal && target !== 'skyportal') problems.push({ pointer: '/skyportal', detail: 'is only for target "skyportal"' });
  return problems;
}

function refuseIfAny(problems: FieldProblem[]): void {
  if (problems.length > 0) throw new InputError('Invalid subscription', problems);
}

async function newWebhook(input: WebhookInput, allowPrivate: boolean): Promise<WebhookWithSecret> {
  const target = input.target ?? 'webhook';
  const problems = await problemsWith(input, target, allowPrivate);
  if (target === 'skyportal' && !input.skyportal) problems.push({ pointer: '/skyportal', detail: 'is required for target "skyportal" (taxonomyId, origin)' });
  if (target === 'skyportal' && !input.secret) problems.push({ pointer: '/secret', detail: "is required for target \"skyportal\": the SkyPortal API token" });
  refuseIfAny(problems);
  const secret = input.secret ?? newSecret();
  const now = new Date().toISOString();
  return {
    id: `whk_${randomUUID()}`,
    target,
    url: input.url,
    rule: input.rule ?? {},
    active: input.active ?? true,
    secret,
    secretHint: secretHint(secret),
    ...(input.skyportal ? { skyportal: input.skyportal } : {}),
    createdAt: now,
    updatedAt: now,
  };
}

async function webhookPatch(current: Webhook, changes: WebhookChanges, allowPrivate: boolean): Promise<WebhookPatch> {
  refuseIfAny(await problemsWith(changes, current.target, allowPrivate));
  return { ...changes, ...(changes.secret ? { secretHint: secretHint(changes.secret) } : {}) };
}

/** Stores a new subscription; its secret is returned here and never again. */
export async function createSubscription(store: DeliveryStore, input: WebhookInput, allowPrivate: boolean): Promise<{ webhook: Webhook; secret: string }> {
  const webhook = await newWebhook(input, allowPrivate);
  return { webhook: await store.createWebhook(webhook), secret: webhook.secret };
}

/** Applies checked changes; null for an unknown subscription. */
export async function changeSubscription(store: DeliveryStore, id: string, changes: WebhookChanges, allowPrivate: boolean): Promise<Webhook | null> {
  const current = await store.getWebhook(id);
  return current ? store.updateWebhook(id, await webhookPatch(current, changes, allowPrivate)) : null;
}
