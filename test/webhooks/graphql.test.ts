/** Webhook subscriptions over GraphQL: the same checks, secrets shown once, deliveries with their attempts. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestInstance, type TestInstance } from '../helpers/service.js';
import { classify, settledDeliveries } from './helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

let candela: TestInstance;
let receiver: Receiver;

before(async () => {
  candela = await startTestInstance({ WEBHOOK_ALLOW_PRIVATE: true });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await candela.close();
});

async function graphql(query: string, variables: Record<string, unknown> = {}) {
  const response = await candela.app.inject({ method: 'POST', url: '/graphql', payload: { query, variables } });
  return response.json();
}

describe('webhooks over GraphQL', () => {
  it('creates a subscription, lists it without its secret, and shows its deliveries with every attempt', async () => {
    const created = await graphql(`mutation ($input: WebhookInput!) { createWebhook(input: $input) { secret webhook { id active rule secretHint } } }`, {
      input: { url: receiver.url, rule: { objectIdPattern: '^ZTF-gql$', decisions: ['COMMIT', 'ABSTAIN', 'ALERT'] } },
    });
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const { secret, webhook } = created.data.createWebhook;
    assert.equal(webhook.secretHint, `…${secret.slice(-4)}`);

    await classify(candela.app, 'ZTF-gql');
    await settledDeliveries(candela.app, webhook.id);
    const listed = await graphql(`{ webhooks { id secretHint deliveries { nodes { id status attempts attemptLog { number outcome statusCode } } } } }`);
    assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
    assert.ok(!JSON.stringify(listed).includes(secret));
    const [delivery] = listed.data.webhooks.find((w: { id: string }) => w.id === webhook.id).deliveries.nodes;
    assert.equal(delivery.id, receiver.requests[0].headers['x-candela-delivery']);
    assert.deepEqual(delivery.attemptLog, [{ number: 1, outcome: 'succeeded', statusCode: 200 }]);

    const redelivered = await graphql(`mutation ($w: ID!, $d: ID!) { redeliver(webhookId: $w, deliveryId: $d) { id status } }`, { w: webhook.id, d: delivery.id });
    assert.equal(redelivered.data.redeliver.id, delivery.id);
    await receiver.received(2);

    const paused = await graphql(`mutation ($id: ID!) { updateWebhook(id: $id, changes: { active: false }) { active } }`, { id: webhook.id });
    assert.equal(paused.data.updateWebhook.active, false);
    assert.equal((await graphql(`mutation ($id: ID!) { deleteWebhook(id: $id) }`, { id: webhook.id })).data.deleteWebhook, true);
    assert.equal((await graphql(`query ($id: ID!) { webhook(id: $id) { id } }`, { id: webhook.id })).data.webhook, null);
  });

  it('refuses what REST refuses, naming the field, and stores nothing', async () => {
    const before = (await graphql('{ webhooks { id } }')).data.webhooks.length;
    const badRule = await graphql(`mutation { createWebhook(input: { url: "https://example.org/h", rule: { minProbability: 3 } }) { secret } }`);
    assert.match(badRule.errors[0].message, /\/rule\/minProbability/);
    const badPattern = await graphql(`mutation { createWebhook(input: { url: "https://example.org/h", rule: { objectIdPattern: "(" } }) { secret } }`);
    assert.match(badPattern.errors[0].message, /\/rule\/objectIdPattern/);
    assert.equal((await graphql('{ webhooks { id } }')).data.webhooks.length, before);
  });
});
