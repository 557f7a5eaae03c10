/**
 * Shared JSON Schemas: registered once with `addSchema`, referenced by `$ref` from the routes, and emitted as
 * OpenAPI components. They are the single source of request validation, response serialisation and docs.
 */
import { deliverySchemas } from './delivery-schemas.js';

const number = { type: 'number' } as const;
const string = { type: 'string' } as const;
const probabilities = { type: 'object', additionalProperties: number } as const;

const nullableNumber = { type: ['number', 'null'] } as const;
const maxPoints = 200_000;

export const skyPortalSpectrumSchema = {
  $id: 'SkyPortalSpectrum',
  type: 'object',
  description: 'A spectrum as SkyPortal serialises it (observer frame, wavelengths in Å). Other SkyPortal fields are accepted and ignored.',
  properties: {
    wavelengths: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: maxPoints },
    fluxes: { type: 'array', items: nullableNumber, minItems: 1, maxItems: maxPoints, description: 'null marks a missing value' },
    errors: { type: ['array', 'null'], items: nullableNumber, maxItems: maxPoints },
    obj_id: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\s/?#]+$' },
    observed_at: { type: 'string', maxLength: 64 },
    instrument: { type: 'string', maxLength: 200 },
    instrument_name: { type: 'string', maxLength: 200 },
    redshift: { type: ['number', 'null'], minimum: 0, maximum: 12 },
    phase: { type: ['number', 'null'], minimum: -1000, maximum: 10000, description: 'days from peak' },
  },
  required: ['wavelengths', 'fluxes'],
} as const;


const numbers = { type: 'array', items: nullableNumber, maxItems: maxPoints } as const;

export const skyPortalPhotometrySchema = {
  $id: 'SkyPortalPhotometry',
  description: 'SkyPortal photometry: column form (arrays mjd, flux, fluxerr, zp, filter, scalar or array magsys; or mag, magerr, limiting_mag), or row form (an array of such rows, or {obj_id, data: [rows]}). Bands: ztfg ztfr ztfi, lsstu … lssty, ps1::g … ps1::y, sdssu … sdssz, 2massj 2massh 2massks (which of them a model uses is in its card); magsys ab.',
  anyOf: [
    {
      type: 'object',
      properties: {
        obj_id: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\s/?#]+$' },
        mjd: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: maxPoints },
        flux: numbers, fluxerr: numbers, mag: numbers, magerr: numbers, limiting_mag: numbers,
        zp: { type: ['number', 'array'], items: { type: 'number' } },
        filter: { type: ['string', 'array'], items: { type: 'string' } },
        magsys: { type: ['string', 'array'], items: { type: 'string' } },
        data: { type: 'array', items: { type: 'object' }, minItems: 1, maxItems: maxPoints },
      },
    },
    { type: 'array', items: { type: 'object' }, minItems: 1, maxItems: maxPoints },
  ],
} as const;

export const alertJsonSchema = {
  $id: 'AlertJson',
  type: 'object',
  description: 'A ZTF (candidate, prv_candidates, fp_hists), Rubin/LSST (diaSource, prvDiaSources, prvDiaForcedSources, diaObject) or ELAsTiCC alert as JSON',
  properties: {
    objectId: { type: ['string', 'integer'] },
    candidate: { type: 'object' },
    prv_candidates: { type: ['array', 'null'] },
    fp_hists: { type: ['array', 'null'] },
    diaSource: { type: 'object' },
    prvDiaSources: { type: ['array', 'null'] },
    prvDiaForcedSources: { type: ['array', 'null'] },
    diaObject: { type: ['object', 'null'] },
  },
} as const;

const hasKey = (...keys: string[]) => ({ type: 'object', anyOf: keys.map((k) => ({ required: [k] })) });

/** What POST /classify accepts, by content type; JSON bodies are told apart by their keys. */
export const observationBody = {
  content: {
    'application/json': {
      schema: {
        if: hasKey('wavelengths'),
        then: { $ref: 'SkyPortalSpectrum#' },
        else: { if: hasKey('candidate', 'diaSource', 'alertId'), then: { $ref: 'AlertJson#' }, else: { $ref: 'SkyPortalPhotometry#' } },
      },
    },
    'text/plain': { schema: { type: 'string', minLength: 1, description: 'A spectrum (wavelength flux [error] per line, # header lines allowed) or SkyPortal photometry CSV (filter,mjd,flux|mag,...)' } },
    'text/csv': { schema: { type: 'string', minLength: 1, description: 'SkyPortal photometry CSV or a spectrum with a column-name line' } },
    'application/avro': { schema: { description: 'ZTF, Rubin or ELAsTiCC alert: Avro object-container file or a Confluent-framed datum (also avro/binary, application/octet-stream)' } },
  },
} as const;

export const confidenceResultSchema = {
  $id: 'ConfidenceAwareResult',
  type: 'object',
  description: 'The five-component confidence-aware output, the anomaly score and the decision (see README "The output")',
  properties: {
    prediction: {
      type: 'object',
      properties: {
        class: string, coarseClass: string, probability: number, coarseProbability: number,
        probabilities, coarseProbabilities: probabilities,
      },
      required: ['class', 'coarseClass', 'probability', 'probabilities'],
    },
    conformal: {
      type: 'object',
      properties: {
        pValue: number, pWrong: number, calibrationSize: { type: 'integer' },
        adMcp: {
          type: 'object',
          properties: {
            quintile: { type: 'integer' }, score: number, threshold: number, fires: { type: 'boolean' },
            fallback: { type: 'boolean' }, pValue: number, calibrationSize: { type: 'integer' },
          },
        },
      },
      required: ['pValue', 'pWrong'],
    },
    predictionSet: {
      type: 'object',
      properties: {
        alpha: number, method: string, qhat: number, classes: { type: 'array', items: string },
        size: { type: 'integer' }, empty: { type: 'boolean' },
      },
      required: ['alpha', 'classes', 'size', 'empty'],
    },
    intervals: {
      type: 'array',
      items: { type: 'object', properties: { class: string, mean: number, std: number, lower: number, upper: number } },
    },
    uncertainty: { type: 'object', properties: { total: number, aleatoric: number, epistemic: number, unit: string } },
    anomaly: { type: 'object', properties: { score: number, threshold: number, scores: probabilities } },
    decision: {
      type: 'object',
      properties: { value: { type: 'string', enum: ['COMMIT', 'ABSTAIN', 'ALERT'] }, reason: string, tauAbstain: number, tauAD: number },
    },
  },
  required: ['prediction', 'conformal', 'predictionSet', 'intervals', 'uncertainty', 'anomaly', 'decision'],
} as const;

export const classificationSchema = {
  $id: 'Classification',
  type: 'object',
  properties: {
    id: string,
    jobId: string,
    objectId: string,
    traceId: string,
    model: { type: 'object', properties: { name: string, version: string } },
    datapointIds: { type: 'array', items: string },
    options: { type: 'object', properties: { alpha: number } },
    result: { $ref: 'ConfidenceAwareResult#' },
    createdAt: { type: 'string', format: 'date-time' },
    links: { type: 'object', additionalProperties: string },
  },
  required: ['id', 'jobId', 'objectId', 'traceId', 'model', 'result', 'createdAt'],
} as const;

export const jobSchema = {
  $id: 'Job',
  type: 'object',
  properties: {
    id: string,
    objectId: string,
    modality: { type: 'string', enum: ['spectrum', 'lightcurve', 'alert'] },
    datapointIds: { type: 'array', items: string },
    options: { type: 'object', properties: { alpha: number, model: string } },
    status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed'] },
    attempts: { type: 'integer' },
    history: { type: 'array', items: { type: 'object', properties: { status: string, at: string, detail: string } } },
    error: { type: 'object', properties: { title: string, detail: string } },
    classificationId: string,
    leaseUntil: string,
    createdAt: string,
    updatedAt: string,
    links: { type: 'object', additionalProperties: string },
  },
  required: ['id', 'objectId', 'status', 'attempts', 'createdAt'],
} as const;

export const objectSchema = {
  $id: 'AstroObject',
  type: 'object',
  properties: {
    objectId: string,
    aliases: { type: 'array', items: string },
    firstSeen: string,
    lastSeen: string,
    journal: {
      type: 'array',
      items: {
        type: 'object',
        properties: { at: string, event: string, jobId: string, traceId: string, classificationId: string, detail: string },
      },
    },
    links: { type: 'object', additionalProperties: string },
  },
  required: ['objectId', 'firstSeen', 'lastSeen', 'journal'],
} as const;

export const traceSchema = {
  $id: 'Trace',
  type: 'object',
  description: 'What determines a result apart from the input and runtime options; its id is the SHA-256 of the canonical JSON of `content`',
  properties: {
    id: string,
    content: { type: 'object', additionalProperties: true },
    createdAt: string,
  },
  required: ['id', 'content'],
} as const;

export const classificationPageSchema = {
  $id: 'ClassificationPage',
  type: 'object',
  properties: {
    items: { type: 'array', items: { $ref: 'Classification#' } },
    pageInfo: { type: 'object', properties: { hasNextPage: { type: 'boolean' }, endCursor: string }, required: ['hasNextPage'] },
  },
  required: ['items', 'pageInfo'],
} as const;

export const pageQuerySchema = {
  type: 'object',
  properties: {
    first: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    after: { type: 'string', maxLength: 512 },
  },
  additionalProperties: false,
} as const;

export const brokerClassificationSchema = {
  $id: 'BrokerClassification',
  type: 'object',
  description: 'ELAsTiCC v0.9.1 brokerClassification (schemas/elasticc/alert_schema/elasticc.v0_9_1.brokerClassification.avsc); ids beyond 2^53 are strings',
  properties: {
    alertId: { type: ['integer', 'string'] },
    diaSourceId: { type: ['integer', 'string'] },
    elasticcPublishTimestamp: { type: 'integer', description: 'ms since 1970; the time Candela received the alert' },
    brokerIngestTimestamp: { type: ['integer', 'null'] },
    brokerName: { type: 'string' },
    brokerVersion: { type: 'string' },
    classifierName: { type: 'string' },
    classifierParams: { type: 'string' },
    classifications: {
      type: 'array',
      items: { type: 'object', properties: { classId: { type: 'integer' }, probability: { type: 'number' } }, required: ['classId', 'probability'] },
    },
  },
  required: ['alertId', 'diaSourceId', 'elasticcPublishTimestamp', 'brokerName', 'brokerVersion', 'classifierName', 'classifierParams', 'classifications'],
} as const;

export const formatQuerySchema = {
  type: 'object',
  properties: { format: { type: 'string', enum: ['candela', 'elasticc'], default: 'candela', description: '`elasticc`: the ELAsTiCC brokerClassification shape (alerts only)' } },
  additionalProperties: false,
} as const;

export const sharedSchemas = [brokerClassificationSchema, skyPortalSpectrumSchema, skyPortalPhotometrySchema, alertJsonSchema, confidenceResultSchema, classificationSchema, jobSchema, objectSchema, traceSchema, classificationPageSchema, ...deliverySchemas];

export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Problem details', content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } }]));
