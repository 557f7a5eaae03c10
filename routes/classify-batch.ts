/**
 * POST /classify/batch: many inputs in one request — an Avro container (or Confluent frame) of alerts, or a
 * JSON array whose items are anything POST /classify takes. Each item is accepted or refused on its own:
 * one bad alert never fails the others, and nothing is stored for a refused item.
 */
import type { FastifyPluginAsync } from 'fastify';
import { waitForJob } from '../src/events/wait-for-job.js';
import { jobLinks } from '../src/http/links.js';
import { sendProblem, type Problem } from '../src/http/problem.js';
import { chooseModel, spectrumLimitsOf } from '../src/inference/choose-model.js';
import type { LoadedModel } from '../src/inference/ensemble-model.js';
import { parseEachAlert } from '../src/inputs/alerts/index.js';
import { InputError } from '../src/inputs/input-error.js';
import { detectModality, parseObservations, type Body } from '../src/inputs/observation.js';
import { submitObservation, type Observation } from '../src/intake.js';
import type { Job, Modality } from '../src/provenance/records.js';
import { registerBodyParsers } from './bodies.js';
import { formatClassification, type ResultFormat } from './classifications.js';
import { problemResponses } from './schemas.js';

const maxItems = 10_000;

const querystring = {
  type: 'object',
  properties: {
    alpha: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.05 },
    model: { type: 'string', maxLength: 200, description: 'name or name@version for every item (default: per input type)' },
    wait: { type: 'integer', minimum: 0, default: 0, description: 'ms to wait for all results; finished items then carry their result' },
    format: { type: 'string', enum: ['candela', 'elasticc'], default: 'candela', description: 'shape of the results returned with `wait`' },
  },
  additionalProperties: false,
} as const;

interface BatchQuery {
  alpha: number;
  model?: string;
  wait: number;
  format: ResultFormat;
}

const itemSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed', 'rejected'] },
    jobId: { type: 'string' },
    objectId: { type: 'string' },
    links: { type: 'object', additionalProperties: { type: 'string' } },
    result: { anyOf: [{ $ref: 'Classification#' }, { $ref: 'BrokerClassification#' }] },
    error: { $ref: 'Problem#' },
  },
  required: ['index', 'status'],
} as const;

type Item = { index: number; status: string; jobId?: string; objectId?: string; links?: Record<string, string>; result?: unknown; error?: Problem };

function rejected(index: number, error: InputError): Item {
  return { index, status: 'rejected', error: { type: 'about:blank', title: error.message.split(':')[0], status: error.statusCode, detail: error.message, errors: error.problems } };
}

const batchRoutes: FastifyPluginAsync = async (app) => {
  const service = app.candela;
  const { store, queue, models, config, events, metrics } = service;
  registerBodyParsers(app);

  app.post<{ Querystring: BatchQuery; Body: Body }>('/classify/batch', {
    bodyLimit: config.BATCH_BODY_LIMIT_BYTES,
    schema: {
      tags: ['classify'],
      summary: 'Classify many inputs at once',
      description: 'An Avro object-container file (or Confluent frame) of ZTF, Rubin or ELAsTiCC alerts, or a JSON array of up to 10,000 items, each a body POST /classify accepts. Answers 202 with one entry per item: its job, or why it was refused.',
      querystring,
      body: {
        content: {
          'application/json': { schema: { type: 'array', minItems: 1, maxItems: maxItems, items: { type: 'object' } } },
          'application/avro': { schema: { description: 'Avro object-container file of alerts (also avro/binary, application/octet-stream)' } },
        },
      },
      response: {
        202: {
          type: 'object',
          properties: { accepted: { type: 'integer' }, rejected: { type: 'integer' }, items: { type: 'array', items: itemSchema } },
          required: ['accepted', 'rejected', 'items'],
        },
        ...problemResponses(400, 404, 413, 415, 422),
      },
    },
  }, async (request, reply) => {
    const { query } = request;
    if (typeof request.body === 'string') {
      return sendProblem(reply, {
        title: 'Unsupported batch body', status: 415,
        detail: 'a batch is an Avro container of alerts or a JSON array of bodies; send one CSV or text body to POST /classify',
        errors: [{ pointer: '', detail: `content-type ${request.headers['content-type']} is not a batch` }],
      });
    }
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    const chosen = new Map<Modality, LoadedModel>();
    const modelFor = (modality: Modality) => {
      if (!chosen.has(modality)) chosen.set(modality, chooseModel(models, config, modality, query.model));
      return chosen.get(modality)!;
    };

    // Each entry: an observation with its model, or the InputError that refuses it.
    const parsed: ({ observation: Observation; model: LoadedModel } | InputError)[] = [];
    const each = (parse: () => Observation) => {
      try {
        const observation = parse();
        parsed.push({ observation, model: modelFor(observation.modality) });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        parsed.push(error);
      }
    };
    if (Buffer.isBuffer(request.body)) {
      for (const alert of parseEachAlert(request.body, contentType)) {
        each(() => {
          if (alert instanceof InputError) throw alert;
          return { objectId: alert.objectId, modality: 'alert', content: alert.content, format: alert.content.context.format };
        });
      }
    } else {
      (request.body as unknown[]).forEach((item, index) => each(() => {
        const modality = detectModality(item as Body);
        const ensembleModel = modality === 'spectrum' ? modelFor('spectrum') : undefined;
        const [observation, ...more] = parseObservations(modality, item as Body, { contentType: 'application/json', spectrumLimits: ensembleModel && spectrumLimitsOf(ensembleModel) });
        if (more.length > 0) throw new InputError('More than one observation', [{ pointer: `/${index}`, detail: 'an item holds one input' }]);
        return observation;
      }));
    }

    const items: Item[] = [];
    const jobs: (Job | undefined)[] = [];
    for (const [index, entry] of parsed.entries()) {
      if (entry instanceof InputError) {
        items.push(rejected(index, entry));
        jobs.push(undefined);
        continue;
      }
      try {
        const job = await submitObservation(store, queue.queue, { observation: entry.observation, model: entry.model, alpha: query.alpha }, request.log);
        metrics.jobsSubmitted.inc({ modality: entry.observation.modality, format: entry.observation.format });
        items.push({ index, status: job.status, jobId: job.id, objectId: job.objectId, links: jobLinks(job) });
        jobs.push(job);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        items.push(rejected(index, error));
        jobs.push(undefined);
      }
    }
    const accepted = jobs.filter(Boolean).length;
    if (accepted === 0) {
      return sendProblem(reply, {
        title: 'No item accepted', status: 422, detail: `all ${items.length} items were refused`,
        errors: items.flatMap((item) => (item.error?.errors ?? []).map((p) => ({ pointer: `/${item.index}${p.pointer}`, detail: p.detail }))),
      });
    }
    if (query.wait > 0) {
      const deadline = Date.now() + Math.min(query.wait, config.WAIT_MAX_MS);
      await Promise.all(jobs.map(async (job, i) => {
        if (!job) return;
        const finished = await waitForJob(store, events, job.id, Math.max(0, deadline - Date.now()));
        if (!finished) return;
        items[i].status = finished.status;
        items[i].links = jobLinks(finished);
        if (finished.classificationId) {
          const classification = await store.getClassification(finished.classificationId);
          if (classification) items[i].result = await formatClassification(service, classification, query.format).catch(() => undefined);
        }
      }));
    }
    metrics.inputsRejected.inc({ status: 'batch-item' }, items.length - accepted);
    return reply.code(202).send({ accepted, rejected: items.length - accepted, items });
  });
};

export default batchRoutes;
