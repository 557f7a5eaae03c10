import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import mercurius from 'mercurius';
import type { Service } from '../src/service.js';
import type { Classification, ClassificationFilter, Job, Trace } from '../src/provenance/records.js';
import { webhookResolvers } from './webhook-resolvers.js';

export const completedTopic = 'CLASSIFICATION_COMPLETED';

function literal(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.STRING:
    case Kind.BOOLEAN:
    case Kind.ENUM:
      return node.value;
    case Kind.LIST:
      return node.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value)]));
    default:
      return null;
  }
}

const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literal,
});

const asList = (record: Record<string, number>, key: 'probability' | 'score') =>
  Object.entries(record).map(([name, value]) => (key === 'probability' ? { class: name, probability: value } : { name, score: value }));

type PageArgs = { first: number; after?: string };
const maxPage = 100;

export function resolvers(service: Service) {
  const { store, models } = service;
  const page = async (filter: ClassificationFilter, { first, after }: PageArgs) => {
    const result = await store.listClassifications(filter, Math.min(Math.max(first, 1), maxPage), after);
    return { nodes: result.items, pageInfo: { hasNextPage: result.nextCursor !== undefined, endCursor: result.nextCursor ?? null } };
  };

  const webhooks = webhookResolvers(service);
  return {
    JSON: JSONScalar,
    Mutation: webhooks.Mutation,
    Webhook: webhooks.Webhook,
    Delivery: webhooks.Delivery,
    Query: {
      ...webhooks.Query,
      object: (_: unknown, { id }: { id: string }) => store.getObject(id),
      classification: (_: unknown, { id }: { id: string }) => store.getClassification(id),
      job: (_: unknown, { id }: { id: string }) => store.getJob(id),
      trace: (_: unknown, { id }: { id: string }) => store.getTrace(id),
      classifications: (_: unknown, args: PageArgs & { filter?: ClassificationFilter }) => page(args.filter ?? {}, args),
      models: () =>
        models.all().map((m) => ({
          name: m.card.name,
          version: m.card.version,
          modality: m.card.modality,
          classes: m.card.classes.fine,
          members: m.card.ensemble.members,
          executionProvider: m.executionProvider,
          traceId: m.trace.id,
          card: m.card,
        })),
    },
    Subscription: {
      classificationCompleted: {
        subscribe: mercurius.withFilter(
          (_: unknown, __: { objectId?: string }, { pubsub }: { pubsub: { subscribe(topic: string): Promise<unknown> } }) => pubsub.subscribe(completedTopic),
          (payload: { classificationCompleted: Classification }, args: { objectId?: string }) =>
            !args.objectId || payload.classificationCompleted.objectId === args.objectId,
        ),
      },
    },
    AstroObject: {
      classifications: (object: { objectId: string }, args: PageArgs) => page({ objectId: object.objectId }, args),
    },
    Trace: {
      classifications: (trace: Trace, args: PageArgs) => page({ traceId: trace.id }, args),
    },
    Job: {
      alpha: (job: Job) => job.options.alpha,
      model: (job: Job) => job.options.model,
      classification: (job: Job) => (job.classificationId ? store.getClassification(job.classificationId) : null),
    },
    Classification: {
      alpha: (c: Classification) => c.options.alpha,
      prediction: (c: Classification) => ({
        ...c.result.prediction,
        probabilities: asList(c.result.prediction.probabilities, 'probability'),
        coarseProbabilities: asList(c.result.prediction.coarseProbabilities, 'probability'),
      }),
      conformal: (c: Classification) => c.result.conformal,
      predictionSet: (c: Classification) => c.result.predictionSet,
      intervals: (c: Classification) => c.result.intervals,
      uncertainty: (c: Classification) => c.result.uncertainty,
      anomaly: (c: Classification) => ({ ...c.result.anomaly, scores: asList(c.result.anomaly.scores, 'score') }),
      decision: (c: Classification) => c.result.decision,
      object: (c: Classification) => store.getObject(c.objectId),
      job: (c: Classification) => store.getJob(c.jobId),
      trace: (c: Classification) => store.getTrace(c.traceId),
    },
  };
}

