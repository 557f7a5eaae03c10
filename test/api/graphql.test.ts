/** GraphQL: queries by object, classification, job and trace; limits; the live subscription. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { realSpectrumBody } from '../helpers/fixtures.js';
import { startTestInstance, type TestInstance } from '../helpers/service.js';

let instance: TestInstance;
let classification: { id: string; jobId: string; traceId: string };
before(async () => {
  instance = await startTestInstance({ GRAPHQL_MAX_DEPTH: 6, GRAPHQL_MAX_COMPLEXITY: 1000 });
  const res = await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', payload: realSpectrumBody('ZTF-graphql') });
  classification = JSON.parse(res.body).classification;
});
after(async () => instance?.close());

async function graphql(query: string, variables: Record<string, unknown> = {}) {
  const res = await instance.app.inject({ method: 'POST', url: '/graphql', payload: { query, variables } });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

describe('GraphQL queries', () => {
  it('gives an object with its journal and classifications', async () => {
    const { body } = await graphql(`query ($id: ID!) { object(id: $id) {
      objectId journal { event jobId classificationId }
      classifications(first: 5) { nodes { id prediction { class probability } decision { value } } pageInfo { hasNextPage } }
    } }`, { id: 'ZTF-graphql' });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.deepEqual(body.data.object.journal.map((e: { event: string }) => e.event), ['received', 'classified']);
    assert.equal(body.data.object.classifications.nodes[0].id, classification.id);
    assert.equal(body.data.object.classifications.pageInfo.hasNextPage, false);
  });

  it('gives the five components of a classification, with its job and trace', async () => {
    const { body } = await graphql(`query ($id: ID!) { classification(id: $id) {
      id alpha prediction { class coarseClass probabilities { class probability } }
      conformal { pValue pWrong adMcp { quintile fires fallback } }
      predictionSet { alpha classes size empty }
      intervals { class mean std }
      uncertainty { total aleatoric epistemic }
      anomaly { score scores { name score } }
      decision { value reason }
      job { id status attempts } trace { id content }
    } }`, { id: classification.id });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const c = body.data.classification;
    assert.equal(c.job.id, classification.jobId);
    assert.equal(c.job.status, 'completed');
    assert.equal(c.trace.id, classification.traceId);
    assert.ok(c.anomaly.scores.length >= 10);
    assert.ok(Math.abs(c.conformal.pValue + c.conformal.pWrong - 1) < 1e-9);
  });

  it('finds classifications by trace and by filter, with cursor pagination', async () => {
    await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', payload: realSpectrumBody('ZTF-graphql') });
    const first = await graphql(`query ($t: ID!) { trace(id: $t) { id classifications(first: 1) { nodes { id } pageInfo { hasNextPage endCursor } } } }`, { t: classification.traceId });
    const page1 = first.body.data.trace.classifications;
    assert.equal(page1.pageInfo.hasNextPage, true);
    const second = await graphql(`query ($f: ClassificationFilter, $after: String) { classifications(filter: $f, first: 1, after: $after) { nodes { id objectId } } }`,
      { f: { traceId: classification.traceId }, after: page1.pageInfo.endCursor });
    assert.notEqual(second.body.data.classifications.nodes[0].id, page1.nodes[0].id);
    const filtered = await graphql(`{ classifications(filter: {objectId: "ZTF-graphql", class: "no-such-class"}) { nodes { id } } }`);
    assert.deepEqual(filtered.body.data.classifications.nodes, []);
  });

  it('returns null for unknown ids and lists models', async () => {
    const { body } = await graphql(`{ job(id: "nope") { id } trace(id: "nope") { id } models { name members classes } }`);
    assert.equal(body.data.job, null);
    assert.equal(body.data.trace, null);
    assert.ok(body.data.models[0].members >= 3);
  });

  it('refuses queries that are too deep', async () => {
    const { body } = await graphql(`{ object(id: "ZTF-graphql") { classifications(first: 1) { nodes { object { classifications(first: 1) { nodes { object { objectId } } } } } } } }`);
    assert.ok(body.errors?.some((e: { message: string }) => /depth/i.test(e.message)), JSON.stringify(body));
  });

  it('refuses queries that cost too much', async () => {
    const { body } = await graphql(`{ classifications(first: 100) { nodes { intervals { class mean std lower upper } anomaly { scores { name score } } prediction { probabilities { class probability } } } } }`);
    assert.ok(body.errors?.some((e: { message: string }) => /cost/.test(e.message)), JSON.stringify(body));
  });
});

describe('GraphQL subscription', () => {
  it('delivers classificationCompleted live, filtered by object', async () => {
    await instance.app.listen({ port: 0, host: '127.0.0.1' });
    const address = instance.app.server.address() as { port: number };
    const ws = new WebSocket(`ws://127.0.0.1:${address.port}/graphql`, 'graphql-transport-ws');
    const messages: any[] = [];
    const received = new Promise<any>((resolve, reject) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data));
        messages.push(message);
        if (message.type === 'connection_ack') {
          ws.send(JSON.stringify({
            id: '1', type: 'subscribe',
            payload: { query: 'subscription { classificationCompleted(objectId: "ZTF-live") { id objectId decision { value } } }' },
          }));
          // Give the server a moment to register the subscription, then classify two objects.
          setTimeout(() => {
            void instance.app.inject({ method: 'POST', url: '/classify', payload: realSpectrumBody('ZTF-other') });
            void instance.app.inject({ method: 'POST', url: '/classify', payload: realSpectrumBody('ZTF-live') });
          }, 200);
        }
        if (message.type === 'next') resolve(message.payload.data.classificationCompleted);
      });
      ws.on('error', reject);
      setTimeout(() => reject(new Error(`no event; got ${JSON.stringify(messages)}`)), 20000);
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    const event = await received;
    ws.close();
    assert.equal(event.objectId, 'ZTF-live');
    assert.ok(['COMMIT', 'ABSTAIN', 'ALERT'].includes(event.decision.value));
    const stored = JSON.parse((await instance.app.inject({ url: `/classifications/${event.id}` })).body);
    assert.equal(stored.objectId, 'ZTF-live');
  });
});
