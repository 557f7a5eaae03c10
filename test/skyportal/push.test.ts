/** Results pushed into a (fake, contract-enforcing) SkyPortal: a tdtax classification and an annotation. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestInstance, type TestInstance } from '../helpers/service.js';
import { classify, settledDeliveries, subscribe } from '../webhooks/helpers.js';
import { apiToken, startFakeSkyPortal, taxonomyId, taxonomyNames, type FakeSkyPortal } from './fake-skyportal.js';

let candela: TestInstance;
let skyportal: FakeSkyPortal;

before(async () => {
  candela = await startTestInstance({ WEBHOOK_ALLOW_PRIVATE: true, DELIVERY_ATTEMPTS: 3, DELIVERY_BACKOFF_BASE_MS: 20 });
  skyportal = await startFakeSkyPortal();
});
after(async () => {
  await skyportal.close();
  await candela.close();
});

describe('push to SkyPortal', () => {
  it('posts the classification (tdtax name, ml: true) and the full result as an annotation, with the token header', async () => {
    const subscription = await subscribe(candela.app, {
      target: 'skyportal', url: skyportal.url, secret: apiToken,
      skyportal: { taxonomyId, origin: 'candela-test', groupIds: [4] }, rule: { objectIdPattern: '^ZTF21push$' },
    });
    assert.equal(subscription.secret, apiToken, 'returned once, at creation');
    const shown = await candela.app.inject({ method: 'GET', url: `/webhooks/${subscription.id}` });
    assert.ok(!shown.body.includes(apiToken), 'never again');
    assert.equal(shown.json().secretHint, `…${apiToken.slice(-4)}`);

    const classificationId = await classify(candela.app, 'ZTF21push');
    const deliveries = await settledDeliveries(candela.app, subscription.id, 2);
    assert.deepEqual(deliveries.map((d) => d.status), ['succeeded', 'succeeded'], JSON.stringify(skyportal.refusals));
    const stored = (await candela.app.inject({ method: 'GET', url: `/classifications/${classificationId}` })).json();
    const card = (await candela.app.inject({ method: 'GET', url: `/models/${stored.model.name}` })).json();

    assert.equal(skyportal.classifications.length, 1);
    const [pushed] = skyportal.classifications;
    const expectedName = card.classes?.tdtax?.[stored.result.prediction.class] ?? stored.result.prediction.class;
    assert.deepEqual(pushed, {
      obj_id: 'ZTF21push',
      classification: expectedName,
      taxonomy_id: taxonomyId,
      probability: stored.result.prediction.probability,
      ml: true,
      origin: 'candela-test',
      group_ids: [4],
    });
    assert.ok(taxonomyNames.has(pushed.classification as string));

    assert.equal(skyportal.annotations.length, 1);
    const [annotation] = skyportal.annotations;
    assert.equal(annotation.objId, 'ZTF21push');
    assert.equal(annotation.body.origin, 'candela-test');
    const data = annotation.body.data as Record<string, unknown>;
    assert.equal(data.classificationId, classificationId);
    for (const part of ['prediction', 'conformal', 'predictionSet', 'intervals', 'uncertainty', 'anomaly', 'decision']) {
      assert.deepEqual(data[part], stored.result[part], part);
    }
  });

  it('does not retry a refused token (401) or a name outside the taxonomy (400)', async () => {
    const wrongToken = await subscribe(candela.app, {
      target: 'skyportal', url: skyportal.url, secret: 'not-the-token-0000', skyportal: { taxonomyId }, rule: { objectIdPattern: '^ZTF21refused$' },
    });
    const wrongTaxonomy = await subscribe(candela.app, {
      target: 'skyportal', url: skyportal.url, secret: apiToken, skyportal: { taxonomyId: taxonomyId + 1 }, rule: { objectIdPattern: '^ZTF21refused$' },
    });
    await classify(candela.app, 'ZTF21refused');
    for (const deliveries of [await settledDeliveries(candela.app, wrongToken.id, 2), await settledDeliveries(candela.app, wrongTaxonomy.id, 2)]) {
      for (const delivery of deliveries) assert.equal(delivery.attempts, 1, `${delivery.kind}: ${delivery.lastError}`);
    }
    const tokenErrors = (await settledDeliveries(candela.app, wrongToken.id, 2)).map((d) => d.attemptLog[0].statusCode);
    assert.deepEqual(tokenErrors, [401, 401]);
    const taxonomyDelivery = (await settledDeliveries(candela.app, wrongTaxonomy.id, 2)).find((d) => d.kind === 'skyportal-classification')!;
    assert.equal(taxonomyDelivery.status, 'dead');
    assert.match(taxonomyDelivery.lastError!, /HTTP 400.*no taxonomy/);
  });
});
