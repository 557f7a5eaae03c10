/**
 * SkyPortal's analysis-service contract, Candela's side: SkyPortal POSTs `{callback_url, callback_method,
 * invalid_after, analysis_resource_type, resource_id, inputs}` (inputs as CSV strings), Candela answers at
 * once, classifies, and POSTs `{status, message, analysis}` to `callback_url` before `invalid_after`.
 * Spectra go to the spectrum model, photometry alone to the light-curve model; a deployment without a
 * light-curve model answers photometry with `status: "failure"` and the reason.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { InputError } from '../inputs/input-error.js';
import { parseObservations } from '../inputs/observation.js';
import { chooseModel, spectrumLimitsOf } from '../inference/choose-model.js';
import { submitObservation, type Observation } from '../intake.js';
import type { LoadedModel } from '../inference/ensemble-model.js';
import type { Service } from '../service.js';
import type { AnalysisRequest } from '../store/delivery-store.js';
import { callbackDeliveryId, failureCallback } from './callback.js';
import { answerAnalysisRequest } from '../webhooks/fan-out.js';
import { assertDeliverableTarget, TargetRefusedError } from '../webhooks/target-guard.js';

export interface AnalysisRequestBody {
  callback_url: string;
  callback_method: 'POST';
  invalid_after: string;
  analysis_resource_type: string;
  resource_id: string;
  analysis_parameters?: Record<string, unknown>;
  inputs: { photometry?: string; spectra?: string; redshift?: string; analysis_parameters?: Record<string, unknown> };
}

export interface AnalysisStarted {
  analysisId: string;
  jobId?: string;
}

export const photometryOnlyReason =
  'Candela classifies spectra only for now: no light-curve model is loaded, so photometry alone cannot be classified. Send spectra as an input.';

const invalid = (pointer: string, detail: string) => new InputError('Invalid analysis request', [{ pointer, detail }]);

/** The first value of the `redshift` column of SkyPortal's redshift CSV, when it is a number. */
export function redshiftFromCsv(csv: string | undefined): number | undefined {
  const [header, first] = (csv ?? '').trim().split(/\r?\n/);
  const column = header?.split(',').map((name) => name.trim()).indexOf('redshift') ?? -1;
  const value = column >= 0 && first ? Number(first.split(',')[column]) : Number.NaN;
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function alphaFrom(parameters: Record<string, unknown>): number {
  if (parameters.alpha === undefined) return 0.05;
  const alpha = Number(parameters.alpha);
  if (!(alpha > 0 && alpha < 1)) throw invalid('/analysis_parameters/alpha', 'must be a number between 0 and 1 (exclusive)');
  return alpha;
}

/** SkyPortal writes `invalid_after` as a naive UTC datetime (`2026-11-23 21:00:00.123456`); an explicit zone is honoured too. */
export function parseSkyPortalTime(value: string): number {
  const iso = value.trim().replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : `${iso}Z`);
}

/** Checks the callback target and deadline; returns the deadline as an ISO timestamp. */
async function checkCallback(body: AnalysisRequestBody, allowPrivate: boolean): Promise<string> {
  await assertDeliverableTarget(body.callback_url, allowPrivate).catch((error) => {
    throw error instanceof TargetRefusedError ? invalid('/callback_url', error.reason) : error;
  });
  const invalidAfter = parseSkyPortalTime(body.invalid_after);
  if (Number.isNaN(invalidAfter)) throw invalid('/invalid_after', 'is not a date and time');
  if (invalidAfter <= Date.now()) throw invalid('/invalid_after', 'has already passed');
  return new Date(invalidAfter).toISOString();
}

/** Spectra when sent; else photometry, when a light-curve model is loaded; else nothing Candela can classify. */
function observationFrom(service: Service, body: AnalysisRequestBody, parameters: Record<string, unknown>): { observation: Observation; model: LoadedModel } | undefined {
  const { spectra, photometry, redshift } = body.inputs;
  const lightCurveModelLoaded = service.models.all().some((m) => m.card.modality === 'lightcurve');
  const csv = spectra?.trim() ? spectra : lightCurveModelLoaded && photometry?.trim() ? photometry : undefined;
  if (!csv) return undefined;
  const modality = csv === spectra ? 'spectrum' : 'lightcurve';
  const requested = typeof parameters.model === 'string' ? parameters.model : undefined;
  const model = chooseModel(service.models, service.config, modality, requested);
  const [observation] = parseObservations(modality, csv, {
    contentType: 'text/csv',
    objectId: body.resource_id,
    redshift: redshiftFromCsv(redshift),
    spectrumLimits: spectrumLimitsOf(model),
  });
  return { model, observation: { ...observation, objectId: body.resource_id, format: `skyportal-analysis-${observation.format}` } };
}

export async function startAnalysis(service: Service, body: AnalysisRequestBody, log: FastifyBaseLogger): Promise<AnalysisStarted> {
  const { deliveries } = service;
  const invalidAfter = await checkCallback(body, service.config.WEBHOOK_ALLOW_PRIVATE);
  const parameters = { ...body.inputs.analysis_parameters, ...body.analysis_parameters };
  const alpha = alphaFrom(parameters);
  const request: AnalysisRequest = {
    id: `ana_${randomUUID()}`,
    objectId: body.resource_id,
    callbackUrl: body.callback_url,
    invalidAfter,
    resourceType: body.analysis_resource_type,
    resourceId: body.resource_id,
    parameters,
    createdAt: new Date().toISOString(),
  };
  const classifiable = observationFrom(service, body, parameters);
  if (classifiable) {
    const { observation, model } = classifiable;
    const job = await submitObservation(service.store, service.queue.queue, { observation, model, alpha }, log);
    await deliveries.store.createAnalysisRequest({ ...request, jobId: job.id });
    // The job may have finished before the request was stored, in which case fan-out found nothing to answer.
    await answerAnalysisRequest({ store: service.store, deliveries }, job.id);
    return { analysisId: request.id, jobId: job.id };
  }
  if (!body.inputs.photometry?.trim()) throw invalid('/inputs', 'needs spectra (or photometry) as CSV');
  await deliveries.store.createAnalysisRequest(request);
  await deliveries.create({
    id: callbackDeliveryId(request.id),
    kind: 'analysis-callback',
    analysisId: request.id,
    url: request.callbackUrl,
    payload: failureCallback(photometryOnlyReason),
    invalidAfter: request.invalidAfter,
  });
  return { analysisId: request.id };
}
