/**
 * POST /classify: one spectrum, light curve or alert in, a job out — or the result, with ?wait.
 */
import type { FastifyPluginAsync } from 'fastify';
import { waitForJob } from '../src/events/wait-for-job.js';
import { classificationLinks, jobLinks } from '../src/http/links.js';
import { sendProblem } from '../src/http/problem.js';
import { chooseModel, spectrumLimitsOf } from '../src/inference/choose-model.js';
import { InputError } from '../src/inputs/input-error.js';
import { detectModality, parseObservations, type Body } from '../src/inputs/observation.js';
import { submitObservation } from '../src/intake.js';
import type { Modality } from '../src/provenance/records.js';
import { observationBody, problemResponses } from './schemas.js';
import { registerBodyParsers } from './bodies.js';

const querystring = {
  type: 'object',
  properties: {
    alpha: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.05, description: 'Miscoverage level of the prediction set' },
    type: { type: 'string', enum: ['spectrum', 'lightcurve', 'alert'], description: 'What the body is; default: told from the body' },
    model: { type: 'string', maxLength: 200, description: 'name or name@version (default: the configured model for the input type, newest version)' },
    wait: { type: 'integer', minimum: 0, default: 0, description: 'ms to wait for the result before answering 202' },
    objectId: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\s/?#]+$', description: 'object id for an upload that names none (JSON bodies use obj_id)' },
    redshift: { type: 'number', minimum: 0, maximum: 12 },
    phase: { type: 'number' },
    instrument: { type: 'string', maxLength: 200 },
    observedAt: { type: 'string', maxLength: 64 },
  },
  additionalProperties: false,
} as const;

export interface ClassifyQuery {
  alpha: number;
  type?: Modality;
  model?: string;
  wait: number;
  objectId?: string;
  redshift?: number;
  phase?: number;
  instrument?: string;
  observedAt?: string;
}

const acceptedSchema = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    objectId: { type: 'string' },
    status: { type: 'string' },
    links: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['jobId', 'objectId', 'status', 'links'],
} as const;

const classifyRoutes: FastifyPluginAsync = async (app) => {
  const { store, events, queue, models, config, metrics } = app.candela;

  registerBodyParsers(app);

  app.post<{ Querystring: ClassifyQuery; Body: Body }>('/classify', {
    schema: {
      tags: ['classify'],
      summary: 'Classify a spectrum, a light curve or an alert',
      description: 'Accepts a SkyPortal spectrum (JSON) or plain ASCII spectrum (text/plain); SkyPortal photometry (JSON or CSV); a ZTF, Rubin/LSST or ELAsTiCC alert (Avro or JSON). Answers 202 with the job, or 200 with the classification when it finished within `wait` ms. Several alerts at once go to /classify/batch.',
      querystring,
      body: observationBody,
      response: {
        200: {
          description: 'Finished within `wait`: completed with its classification, or failed with the error',
          type: 'object',
          properties: {
            ...acceptedSchema.properties,
            classification: { $ref: 'Classification#' },
            error: { type: 'object', properties: { title: { type: 'string' }, detail: { type: 'string' } } },
          },
          required: ['jobId', 'objectId', 'status', 'links'],
        },
        202: { description: 'Accepted; poll links.self', ...acceptedSchema },
        ...problemResponses(400, 404, 413, 415, 422),
      },
    },
  }, async (request, reply) => {
    const { query } = request;
    if (query.wait > config.WAIT_MAX_MS) {
      return sendProblem(reply, {
        title: 'Invalid request', status: 400,
        detail: `wait may be at most ${config.WAIT_MAX_MS} ms`, errors: [{ pointer: '?wait', detail: `must be <= ${config.WAIT_MAX_MS}` }],
      });
    }
    const modality = query.type ?? detectModality(request.body);
    const choose = () => chooseModel(models, config, modality, query.model);
    // A spectrum is checked against its model's window while parsing; other inputs are parsed first.
    const ensembleModel = modality === 'spectrum' ? choose() : undefined;
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    const observations = parseObservations(modality, request.body, { ...query, contentType, spectrumLimits: ensembleModel && spectrumLimitsOf(ensembleModel) });
    const model = ensembleModel ?? choose();
    if (observations.length !== 1) {
      throw new InputError('More than one observation', [{ pointer: '', detail: `holds ${observations.length} alerts; send several to POST /classify/batch` }]);
    }
    const [observation] = observations;
    const job = await submitObservation(store, queue.queue, { observation, model, alpha: query.alpha }, request.log);
    metrics.jobsSubmitted.inc({ modality, format: observation.format });

    const finished = query.wait > 0 ? await waitForJob(store, events, job.id, query.wait) : job;
    const current = finished ?? job;
    reply.header('location', `/jobs/${encodeURIComponent(job.id)}`);
    if (current.status === 'completed' && current.classificationId) {
      const classification = await store.getClassification(current.classificationId);
      if (classification) {
        return reply.code(200).send({
          jobId: job.id, objectId: job.objectId, status: current.status, links: jobLinks(current),
          classification: { ...classification, links: classificationLinks(classification) },
        });
      }
    }
    if (current.status === 'failed') {
      return reply.code(200).send({ jobId: job.id, objectId: job.objectId, status: current.status, links: jobLinks(current), error: current.error });
    }
    return reply.code(202).send({ jobId: job.id, objectId: job.objectId, status: current.status, links: jobLinks(current) });
  });
};

export default classifyRoutes;
