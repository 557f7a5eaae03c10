/** The subscription API: CRUD, secrets shown once, SSRF refusals and bad input named by field, nothing stored. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestInstance, type TestInstance } from '../helpers/service.js';

let candela: TestInstance;

before(async () => {
  candela = await startTestInstance(); // WEBHOOK_ALLOW_PRIVATE is false by default
});
after(async () => {
  await candela.close();
});

const post = (payload: unknown) => candela.app.inject({ method: 'POST', url: '/webhooks', payload: payload as object });
const list = async () => (await candela.app.inject({ method: 'GET', url: '/webhooks' })).json().items as { id: string }[];

async function refused(payload: unknown, status: number, pointer: string, detail?: RegExp) {
  const response = await post(payload);
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
  const problem = response.json();
  assert.ok(problem.errors.some((e: { pointer: string; detail: string }) => e.pointer === pointer && (!detail || detail.test(e.detail))), JSON.stringify(problem.errors));
}

describe('webhook subscriptions', () => {
  it('refuses loopback, private and link-local targets, and bad input, naming the field; stores nothing', async () => {
    await refused({ url: 'http://127.0.0.1:8080/hook' }, 422, '/url', /loopback, private or link-local/);
    await refused({ url: 'http://169.254.169.254/latest' }, 422, '/url');
    await refused({ url: 'http://localhost/hook' }, 422, '/url', /resolves to/);
    await refused({ url: 'ftp://example.org/hook' }, 422, '/url', /http or https/);
    await refused({ url: 'https://example.org/hook', rule: { objectIdPattern: '(' } }, 422, '/rule/objectIdPattern');
    await refused({ url: 'https://example.org/hook', rule: { decisions: ['MAYBE'] } }, 400, '/rule/decisions/0');
    await refused({ url: 'https://example.org/hook', rule: { minProbability: 2 } }, 400, '/rule/minProbability');
    await refused({ url: 'https://example.org/hook', rule: { colour: 'red' } }, 400, '/rule');
    await refused({ url: 'https://example.org/hook', secret: 'short' }, 400, '/secret');
    await refused({ rule: {} }, 400, '/url');
    await refused({ url: 'https://example.org/', target: 'skyportal', secret: 'a-skyportal-token-1234' }, 422, '/skyportal');
    assert.deepEqual(await list(), []);
  });

  it('creates, shows the secret once, lists, changes and deletes a subscription', async () => {
    const created = await post({ url: 'https://93.184.215.14/hook', rule: { decisions: ['ALERT'] } });
    assert.equal(created.statusCode, 201, created.body);
    const webhook = created.json();
    assert.match(webhook.secret, /^whsec_/);
    assert.equal(webhook.secretHint, `…${webhook.secret.slice(-4)}`);
    assert.equal(created.headers.location, `/webhooks/${webhook.id}`);
    assert.equal(webhook.active, true);

    const shown = await candela.app.inject({ method: 'GET', url: `/webhooks/${webhook.id}` });
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.json().secret, undefined);
    assert.ok(!shown.body.includes(webhook.secret));
    assert.deepEqual((await list()).map((w) => w.id), [webhook.id]);
    assert.ok(!JSON.stringify(await list()).includes(webhook.secret));

    const changed = await candela.app.inject({ method: 'PATCH', url: `/webhooks/${webhook.id}`, payload: { active: false, rule: {}, secret: 'a-new-secret-of-some-length' } });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual([changed.json().active, changed.json().rule, changed.json().secretHint], [false, {}, '…ngth']);
    assert.ok(!changed.body.includes('a-new-secret'));

    const privateUrl = await candela.app.inject({ method: 'PATCH', url: `/webhooks/${webhook.id}`, payload: { url: 'http://10.0.0.8/hook' } });
    assert.equal(privateUrl.statusCode, 422);
    assert.equal((await candela.app.inject({ method: 'GET', url: `/webhooks/${webhook.id}` })).json().url, 'https://93.184.215.14/hook');
    assert.equal((await candela.app.inject({ method: 'PATCH', url: `/webhooks/${webhook.id}`, payload: {} })).statusCode, 400);

    assert.equal((await candela.app.inject({ method: 'DELETE', url: `/webhooks/${webhook.id}` })).statusCode, 204);
    assert.equal((await candela.app.inject({ method: 'GET', url: `/webhooks/${webhook.id}` })).statusCode, 404);
    assert.equal((await candela.app.inject({ method: 'DELETE', url: `/webhooks/${webhook.id}` })).statusCode, 404);
    assert.equal((await candela.app.inject({ method: 'GET', url: `/webhooks/${webhook.id}/deliveries` })).statusCode, 404);
  });
});
