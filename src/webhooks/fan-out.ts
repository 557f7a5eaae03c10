/**
 * Turns finished jobs into deliveries: each active subscription whose rule matches a new classification gets
 * one (a SkyPortal subscription two: classification and annotation), and a SkyPortal analysis request waiting
 * on the job gets its callback. Runs as the last step of the classify job (jobs/classify.ts), so that a worker
 * dying before it has run leaves the job to be retried; deterministic delivery ids make a repeat harmless.
 */
import type { JobFinishedEvent } from '../events/result-events.js';
import { classificationLinks } from '../http/links.js';
import type { ModelRepository } from '../inference/model-repository.js';
import type { Classification, Modality } from '../provenance/records.js';
import { callbackDeliveryId, failureCallback, successCallback } from '../skyportal/callback.js';
import { annotationBody, annotationEndpoint, classificationBody, classificationEndpoint } from '../skyportal/push.js';
import type { WebhookWithSecret } from '../store/delivery-store.js';
import type { ProvenanceStore } from '../store/provenance-store.js';
import { deliveryId, type Deliveries } from './deliveries.js';
import { matchesRule } from './rules.js';

export const resultEvent = 'classification.completed';

export interface FanOutDependencies {
  store: ProvenanceStore;
  deliveries: Deliveries;
  models: ModelRepository;
}

export function webhookBody(webhookId: string, id: string, classification: Classification, modality: Modality) {
  return {
    event: resultEvent,
    deliveryId: id,
    webhookId,
    modality,
    classification: { ...classification, links: classificationLinks(classification) },
  };
}

async function deliverToSubscriber(deps: FanOutDependencies, webhook: WebhookWithSecret, classification: Classification, modality: Modality) {
  const subject = { webhookId: webhook.id, classificationId: classification.id };
  const common = { webhookId: webhook.id, classificationId: classification.id };
  if (webhook.target === 'webhook') {
    const id = deliveryId('webhook', subject);
    await deps.deliveries.create({ ...common, id, kind: 'webhook', url: webhook.url, payload: webhookBody(webhook.id, id, classification, modality) });
    return;
  }
  const settings = webhook.skyportal!;
  const card = deps.models.get(`${classification.model.name}@${classification.model.version}`).card;
  await deps.deliveries.create({
    ...common,
    id: deliveryId('skyportal-classification', subject),
    kind: 'skyportal-classification',
    url: classificationEndpoint(webhook.url),
    payload: classificationBody(classification, card, settings),
  });
  await deps.deliveries.create({
    ...common,
    id: deliveryId('skyportal-annotation', subject),
    kind: 'skyportal-annotation',
    url: annotationEndpoint(webhook.url, classification.objectId),
    payload: annotationBody(classification, settings),
  });
}

/**
 * Sends a SkyPortal analysis request waiting on `jobId` its callback, once the job has finished: the result,
 * or `status: "failure"` with the reason. Does nothing while the job runs or when no request waits on it.
 */
export async function answerAnalysisRequest(deps: Pick<FanOutDependencies, 'store' | 'deliveries'>, jobId: string): Promise<void> {
  const request = await deps.deliveries.store.findAnalysisRequestByJob(jobId);
  const job = request ? await deps.store.getJob(jobId) : null;
  if (!request || !job || (job.status !== 'completed' && job.status !== 'failed')) return;
  const classification = job.classificationId ? await deps.store.getClassification(job.classificationId) : null;
  await deps.deliveries.create({
    id: callbackDeliveryId(request.id),
    kind: 'analysis-callback',
    analysisId: request.id,
    ...(classification ? { classificationId: classification.id } : {}),
    url: request.callbackUrl,
    payload: classification ? successCallback(classification) : failureCallback(`classification failed: ${job.error?.detail ?? 'unknown error'}`),
    invalidAfter: request.invalidAfter,
  });
}

export async function fanOut(deps: FanOutDependencies, event: JobFinishedEvent): Promise<void> {
  await answerAnalysisRequest(deps, event.jobId);
  if (event.type !== 'classification.completed' || !event.classificationId) return;
  const classification = await deps.store.getClassification(event.classificationId);
  if (!classification) return;
  const job = await deps.store.getJob(classification.jobId);
  const modality = job?.modality ?? 'spectrum';
  for (const webhook of await deps.deliveries.store.listActiveWebhooks()) {
    if (matchesRule(webhook.rule, classification, modality)) await deliverToSubscriber(deps, webhook, classification, modality);
  }
}
