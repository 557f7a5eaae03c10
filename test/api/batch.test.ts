/** POST /classify/batch: per-item jobs and errors; one bad item never fails the others. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { realSpectrumBody } from '../helpers/fixtures.js';
import { rowCounts } from '../helpers/row-counts.js';
import { startTestInstance, type TestInstance } from '../helpers/service.js';

let instance: TestInstance;
before(async () => {
  instance = await startTestInstance();
});
after(async () => instance?.close());

describe('POST /classify/batch with JSON items', () => {
  it('accepts the good items, refuses the bad ones with their reasons, and stores only the good', async () => {
    const before = rowCounts(instance.dataDir);
    const items = [
      realSpectrumBody('BATCH-1'),
      { ...realSpectrumBody('BATCH-2'), fluxes: [1, 2, 3] },
      realSpectrumBody('BATCH-3'),
      { ...realSpectrumBody('BATCH-4'), wavelengths: realSpectrumBody().wavelengths.map((w) => w * 0.45) },
      { mjd: [59000.1], flux: [12], fluxerr: [1], filter: ['ztfq'], zp: 23.9, magsys: 'ab', obj_id: 'BATCH-5' },
    ];
    const res = await instance.app.inject({ method: 'POST', url: '/classify/batch?wait=20000', payload: items });
    assert.equal(res.statusCode, 202, res.body);
    const body = JSON.parse(res.body);
    assert.equal(body.accepted, 2);
    assert.equal(body.rejected, 3);
    assert.deepEqual(body.items.map((i: { status: string }) => i.status), ['completed', 'rejected', 'completed', 'rejected', 'rejected']);
    assert.equal(body.items[1].error.status, 422);
    assert.ok(body.items[1].error.errors.some((e: { pointer: string }) => e.pointer === '/fluxes'));
    assert.ok(body.items[3].error.errors.some((e: { pointer: string }) => e.pointer === '/wavelengths'));
    assert.ok(body.items[4].error.errors.some((e: { pointer: string }) => e.pointer === '/filter/0'), JSON.stringify(body.items[4].error));
    assert.equal(body.items[0].result.objectId, 'BATCH-1');
    const afterCounts = rowCounts(instance.dataDir);
    assert.equal(afterCounts.jobs, before.jobs + 2);
    assert.equal(afterCounts.datapoints, before.datapoints + 2);
    assert.equal(afterCounts.classifications, before.classifications + 2);
  });

  it('answers 422 and stores nothing when every item is refused', async () => {
    const before = rowCounts(instance.dataDir);
    const res = await instance.app.inject({ method: 'POST', url: '/classify/batch', payload: [{ wavelengths: [1], fluxes: [] }, { mjd: [] }] });
    assert.equal(res.statusCode, 422, res.body);
    const problem = JSON.parse(res.body);
    assert.ok(problem.errors.some((e: { pointer: string }) => e.pointer.startsWith('/0')));
    assert.ok(problem.errors.some((e: { pointer: string }) => e.pointer.startsWith('/1')));
    assert.deepEqual(rowCounts(instance.dataDir), before);
  });

  it('refuses a body that is not a list of items', async () => {
    for (const payload of ['{}', '[]', '"text"']) {
      const res = await instance.app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json' }, payload });
      assert.equal(res.statusCode, 400, `${payload}: ${res.body}`);
    }
  });

  it('refuses a CSV or plain-text body with 415, storing nothing: those are single inputs', async () => {
    const before = rowCounts(instance.dataDir);
    for (const type of ['text/csv', 'text/plain']) {
      const res = await instance.app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': type }, payload: 'mjd,flux,fluxerr,zp,magsys,filter\n59000,100,10,23.9,ab,ztfg\n' });
      assert.equal(res.statusCode, 415, `${type}: ${res.body}`);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.match(res.json().detail, /POST \/classify/);
    }
    assert.deepEqual(rowCounts(instance.dataDir), before);
  });
});
