/**
 * POST /classify end to end on the embedded default (SQLite, in-process queue, CPU) with the committed
 * spectrum artifact: the five-component answer, its provenance, and refusals that write nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { isSpectrum } from '../../src/preprocess/index.js';
import { fixture, fixtureBytes, realSpectrumBody } from '../helpers/fixtures.js';
import { assertFiveComponents } from '../helpers/assertions.js';
import { rowCounts } from '../helpers/row-counts.js';
import { startTestInstance, type TestInstance } from '../helpers/service.js';

let instance: TestInstance;
before(async () => {
  instance = await startTestInstance({ BODY_LIMIT_BYTES: 256 * 1024 });
});
after(async () => instance?.close());

const json = (res: LightMyRequestResponse) => JSON.parse(res.body);

describe('POST /classify', () => {
  it('classifies a SkyPortal spectrum JSON and answers 200 within ?wait with all five components', async () => {
    const res = await instance.app.inject({ method: 'POST', url: '/classify?wait=20000&alpha=0.1', payload: realSpectrumBody() });
    assert.equal(res.statusCode, 200, res.body);
    const body = json(res);
    assert.equal(body.status, 'completed');
    assert.equal(body.objectId, 'ZTF21aaqjmps');
    assert.equal(body.classification.options.alpha, 0.1);
    assert.equal(body.classification.result.predictionSet.alpha, 0.1);
    assertFiveComponents(body.classification.result, instance.service.models.get('spectrum-astranet').card.classes.fine);
    assert.match(res.headers.location as string, /^\/jobs\//);
  });

  it('accepts plain ASCII, answers 202, and the job completes', async () => {
    const res = await instance.app.inject({
      method: 'POST',
      url: '/classify?objectId=SN2021zac',
      headers: { 'content-type': 'text/plain' },
      payload: fixture('skyportal/zac_spec.dat'),
    });
    assert.equal(res.statusCode, 202, res.body);
    const accepted = json(res);
    assert.equal(accepted.objectId, 'SN2021zac');
    let job;
    for (let i = 0; i < 200; i++) {
      job = json(await instance.app.inject({ url: accepted.links.self }));
      if (job.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(job.status, 'completed');
    assert.equal(job.attempts, 1);
    const classification = json(await instance.app.inject({ url: job.links.classification }));
    assert.equal(classification.datapointIds.length, 1);
    assert.equal(classification.objectId, 'SN2021zac');
  });

  it('finds the result again by object id and by trace id', async () => {
    const res = await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', payload: realSpectrumBody('ZTF-provenance') });
    const { classification } = json(res);
    const object = json(await instance.app.inject({ url: '/objects/ZTF-provenance' }));
    assert.deepEqual(object.journal.map((e: { event: string }) => e.event), ['received', 'classified']);
    assert.equal(object.journal[1].classificationId, classification.id);
    assert.equal(object.journal[1].traceId, classification.traceId);
    const list = json(await instance.app.inject({ url: '/objects/ZTF-provenance/classifications' }));
    assert.deepEqual(list.items.map((c: { id: string }) => c.id), [classification.id]);
    const trace = json(await instance.app.inject({ url: `/traces/${classification.traceId}?first=100` }));
    assert.equal(trace.trace.id, classification.traceId);
    assert.equal(trace.trace.content.model.name, 'spectrum-astranet');
    assert.ok(trace.classifications.items.some((c: { id: string }) => c.id === classification.id));
  });

  it('stores a resubmitted spectrum once as a datapoint and classifies it again', async () => {
    const before = rowCounts(instance.dataDir);
    const first = json(await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', payload: realSpectrumBody('ZTF-twice') }));
    const second = json(await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', payload: realSpectrumBody('ZTF-twice') }));
    const afterCounts = rowCounts(instance.dataDir);
    assert.equal(afterCounts.datapoints, before.datapoints + 1);
    assert.equal(afterCounts.jobs, before.jobs + 2);
    assert.deepEqual(first.classification.datapointIds, second.classification.datapointIds);
    assert.notEqual(first.classification.id, second.classification.id);
    assert.deepEqual(first.classification.result, second.classification.result);
  });
});

describe('missing values', () => {
  it('keeps a non-finite flux (1e999 overflows to Infinity) as a missing value and classifies the rest', async () => {
    const res = await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', headers: { 'content-type': 'application/json' }, payload: fixture('malformed/overflow_flux.json') });
    assert.equal(res.statusCode, 200, res.body);
    const [datapointId] = json(res).classification.datapointIds;
    const [datapoint] = await instance.service.store.getDatapoints([datapointId]);
    assert.ok(isSpectrum(datapoint.content));
    assert.equal(datapoint.content.fluxes[10], null);
    assert.equal(datapoint.content.fluxes.filter((f) => f === null).length, 1);
  });
});

describe('bad input: a 4xx problem+json naming the field, and nothing stored', () => {
  const json = (path: string) => ({ headers: { 'content-type': 'application/json' }, payload: fixture(path) });
  const text = (path: string) => ({ headers: { 'content-type': 'text/plain' }, payload: fixture(path) });
  const cases: { name: string; url?: string; request: { headers: Record<string, string>; payload: string | Buffer }; status: number; pointer?: RegExp }[] = [
    { name: 'fluxes as strings', request: json('malformed/string_fluxes.json'), status: 400, pointer: /^\/fluxes\/0$/ },
    { name: 'unequal lengths', request: json('malformed/unequal_lengths.json'), status: 422, pointer: /^\/fluxes$/ },
    { name: 'a NaN literal (not JSON)', request: json('malformed/nan_literal.json'), status: 400 },
    { name: 'truncated JSON', request: json('malformed/truncated.json'), status: 400 },
    { name: 'an empty JSON body', request: { headers: { 'content-type': 'application/json' }, payload: '' }, status: 400 },
    { name: 'an empty object', request: { headers: { 'content-type': 'application/json' }, payload: '{}' }, status: 422, pointer: /^\/mjd$/ },
    { name: 'empty arrays', request: { headers: { 'content-type': 'application/json' }, payload: '{"wavelengths":[],"fluxes":[]}' }, status: 400, pointer: /^\/wavelengths$/ },
    { name: 'an upload cut mid-line', request: text('malformed/truncated_upload.csv'), status: 400, pointer: /^\/line\// },
    { name: 'a ragged row', request: text('malformed/ragged_columns.csv'), status: 400, pointer: /^\/line\/101$/ },
    { name: 'a repeated wavelength', request: text('malformed/duplicate_wavelength.csv'), status: 422, pointer: /^\/wavelengths$/ },
    { name: 'mostly NaN', request: text('malformed/mostly_nan.csv'), status: 422, pointer: /^\/fluxes$/ },
    { name: 'out of the model window', request: text('malformed/out_of_window.csv'), status: 422, pointer: /^\/wavelengths$/ },
    { name: 'in nm, not Å (SkyPortal spectrum_with_nan.txt)', request: text('skyportal/spectrum_with_nan.txt'), status: 422, pointer: /^\/wavelengths$/ },
    { name: 'a flat spectrum', request: text('malformed/flat.csv'), status: 422, pointer: /^\/fluxes$/ },
    { name: 'an empty text body', request: { headers: { 'content-type': 'text/plain' }, payload: '' }, status: 400 },
    { name: 'an Avro alert declared a spectrum', url: '/classify?type=spectrum', request: { headers: { 'content-type': 'application/avro' }, payload: fixtureBytes('skyportal/541385122515015008.avro') }, status: 415 },
    { name: 'an unsupported media type', request: { headers: { 'content-type': 'application/xml' }, payload: '<spectrum/>' }, status: 415 },
    { name: 'a light curve sent to a spectrum model', url: '/classify?model=spectrum-astranet&objectId=ZTF21aaqjmps', request: { headers: { 'content-type': 'text/csv' }, payload: fixture('alerts/skyportal/ZTF21aaqjmps_phot.csv') }, status: 422, pointer: /^\?model$/ },
    { name: 'alpha outside (0, 1)', url: '/classify?alpha=1.5', request: { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(realSpectrumBody()) }, status: 400, pointer: /^\?alpha$/ },
    { name: 'an unknown query parameter', url: '/classify?alhpa=0.1', request: { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(realSpectrumBody()) }, status: 400 },
    { name: 'an unknown model', url: '/classify?model=nope', request: { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(realSpectrumBody()) }, status: 404, pointer: /^\?model$/ },
    { name: 'an object id with a slash', request: { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(realSpectrumBody('a/b')) }, status: 400, pointer: /^\/obj_id$/ },
    { name: 'a negative redshift', request: { headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ...realSpectrumBody(), redshift: -0.1 }) }, status: 400, pointer: /^\/redshift$/ },
    { name: 'a body over the size limit', request: { headers: { 'content-type': 'text/plain' }, payload: fixture('skyportal/ZTF21aaqjmps_spec.csv').repeat(60) }, status: 413 },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} with ${c.status}`, async () => {
      const before = rowCounts(instance.dataDir);
      const res = await instance.app.inject({ method: 'POST', url: c.url ?? '/classify', ...c.request });
      assert.equal(res.statusCode, c.status, res.body);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      const problem = JSON.parse(res.body);
      assert.equal(problem.status, c.status);
      assert.ok(problem.title && problem.detail);
      if (c.pointer) assert.ok(problem.errors?.some((e: { pointer: string }) => c.pointer!.test(e.pointer)), JSON.stringify(problem.errors));
      assert.deepEqual(rowCounts(instance.dataDir), before);
    });
  }
});

describe('reading results', () => {
  for (const url of ['/jobs/nope', '/classifications/nope', '/objects/nope', '/objects/nope/classifications', '/traces/nope', '/models/nope', '/nowhere']) {
    it(`answers 404 problem+json for ${url}`, async () => {
      const res = await instance.app.inject({ url });
      assert.equal(res.statusCode, 404);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    });
  }

  it('rejects a cursor it did not issue', async () => {
    await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', payload: realSpectrumBody('ZTF-cursor') });
    const res = await instance.app.inject({ url: '/objects/ZTF-cursor/classifications?after=bm9wZQ' });
    assert.equal(res.statusCode, 400);
  });

  it('pages through an object\'s classifications without losing or repeating any', async () => {
    for (let i = 0; i < 3; i++) await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', payload: realSpectrumBody('ZTF-pages') });
    const seen: string[] = [];
    let url = '/objects/ZTF-pages/classifications?first=2';
    for (;;) {
      const page = json(await instance.app.inject({ url }));
      seen.push(...page.items.map((c: { id: string }) => c.id));
      if (!page.pageInfo.hasNextPage) break;
      url = `/objects/ZTF-pages/classifications?first=2&after=${page.pageInfo.endCursor}`;
    }
    assert.equal(seen.length, 3);
    assert.equal(new Set(seen).size, 3);
  });

  it('lists the models and serves their cards', async () => {
    const models = json(await instance.app.inject({ url: '/models' }));
    assert.ok(models.some((m: { name: string }) => m.name === 'spectrum-astranet'));
    const card = json(await instance.app.inject({ url: '/models/spectrum-astranet' }));
    assert.equal(card.modality, 'spectrum');
    assert.ok(card.files['classifier.onnx']);
  });

  it('reports health, readiness and Prometheus metrics', async () => {
    assert.equal((await instance.app.inject({ url: '/healthz' })).statusCode, 200);
    const ready = await instance.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    const metrics = await instance.app.inject({ url: '/metrics' });
    assert.match(metrics.body, /candela_classifications_total\{model="spectrum-astranet",decision="(COMMIT|ABSTAIN|ALERT)"\} \d+/);
    assert.match(metrics.body, /candela_inference_batch_size_count\{model="spectrum-astranet"\} \d+/);
  });
});
