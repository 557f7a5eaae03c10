/** GraphQL at /graphql (GraphiQL at /graphiql), with live `classificationCompleted` subscriptions. */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import mercurius from 'mercurius';
import { complexityRule } from './complexity.js';
import { completedTopic, resolvers } from './resolvers.js';

export const graphqlSchema = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

const graphqlPlugin: FastifyPluginAsync = async (app) => {
  const service = app.candela;
  await app.register(mercurius, {
    schema: graphqlSchema,
    resolvers: resolvers(service) as never,
    graphiql: true,
    subscription: true,
    queryDepth: service.config.GRAPHQL_MAX_DEPTH,
    validationRules: [complexityRule(service.config.GRAPHQL_MAX_COMPLEXITY)],
  });

  const unsubscribe = service.events.subscribe((event) => {
    if (event.type !== 'classification.completed' || !event.classificationId) return;
    void service.store.getClassification(event.classificationId).then((classification) => {
      if (classification) void app.graphql.pubsub.publish({ topic: completedTopic, payload: { classificationCompleted: classification } });
    }).catch((error) => app.log.error({ err: error }, 'could not publish a classification to subscribers'));
  });
  app.addHook('onClose', async () => unsubscribe());
};

export default graphqlPlugin;
