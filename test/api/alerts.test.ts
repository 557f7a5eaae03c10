/**
 * Alerts and light curves through POST /classify and /classify/batch with the committed light-curve model:
 * real ZTF, Rubin and ELAsTiCC alerts and SkyPortal photometry classified; broken ones refused, nothing stored.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { assertFiveComponents } from '../helpers/assertions.js';
import { fixture, fixtureBytes } from '../helpers/fixtures.js';
import { rowCounts } from '../helpers/row-counts.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';
import { startTestInstance, type TestInstance } from '../helpers/service.js';

let instance: TestInstance;
let classes: string[];
let elasticcIds: Record<string, number>;
before(async () => {
  instance = await startTestInstance();
  const card = instance.service.models.get('lightcurve-astranet').card;
  classes = card.classes.fine;
  elasticcIds = card.classes.elasticc ?? {};
});
after(async () => instance?.close());

const jsonGz = (path: string): Record<string, unknown>[] => JSON.parse(gunzipSync(fixtureBytes(`alerts/${path}`)).toString('utf8'));

describe('single alerts and light curves', () => {
  it('classifies a ZTF Avro alert packet (ZTF17aabwnkw) with all five components', async () => {
    const res = await instance.app.inject({
      method: 'POST', url: '/classify?wait=20000', headers: { 'content-type': 'application/avro' },
      payload: fixtureBytes('alerts/skyportal/541234765015015012.avro'),
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body);
    assert.equal(body.objectId, 'ZTF17aabwnkw');
    assertFiveComponents(body.classification.result, classes);
    const [datapoint] = await instance.service.store.getDatapoints(body.classification.datapointIds);
    assert.equal(datapoint.modality, 'alert');
  });

  it('classifies SkyPortal photometry (SN 2021gvm, CSV) as a light curve', async () => {
    const res = await instance.app.inject({
      method: 'POST', url: '/classify?wait=20000&objectId=ZTF21aaqjmps', headers: { 'content-type': 'text/csv' },
      payload: fixture('alerts/skyportal/ZTF21aaqjmps_phot.csv'),
    });
    assert.equal(res.statusCode, 200, res.body);
    assertFiveComponents(JSON.parse(res.body).classification.result, classes);
  });

  it('classifies AT2017gfo (Pan-STARRS1, SDSS u and 2MASS photometry): PS1 and SDSS in the model\'s slots, 2MASS kept but unused', async () => {
    const csv = fixture('alerts/skyportal/AT2017gfo_optical.csv');
    const res = await instance.app.inject({ method: 'POST', url: '/classify?wait=20000&objectId=AT2017gfo', headers: { 'content-type': 'text/csv' }, payload: csv });
    assert.equal(res.statusCode, 200, res.body);
    assertFiveComponents(JSON.parse(res.body).classification.result, classes);
    const [datapoint] = await instance.service.store.getDatapoints(JSON.parse(res.body).classification.datapointIds);
    assert.ok('points' in datapoint.content);
    const bands = new Set(datapoint.content.points.map((p) => p.band));
    assert.ok(bands.has('2massks') && bands.has('ps1::g') && bands.has('sdssu'), [...bands].join(' '));
  });

  it('refuses photometry only in bands the model has no slot for (2MASS) with 422, storing nothing', async () => {
    const before = rowCounts(instance.dataDir);
    const res = await instance.app.inject({
      method: 'POST', url: '/classify?objectId=X2', headers: { 'content-type': 'text/csv' },
      payload: 'mjd,flux,fluxerr,zp,magsys,filter\n57983.7,319,12,23.9,ab,2massh\n57984.7,300,12,23.9,ab,2massj\n',
    });
    assert.equal(res.statusCode, 422, res.body);
    assert.match(JSON.parse(res.body).errors[0].detail, /no usable measurement/);
    assert.deepEqual(rowCounts(instance.dataDir), before);
  });

  it('answers an ELAsTiCC alert in the brokerClassification shape', async () => {
    const [alert] = jsonGz('fink-science/test_elasticc_earlysnia.first20.json.gz');
    const res = await instance.app.inject({ method: 'POST', url: '/classify?wait=20000', payload: alert });
    assert.equal(res.statusCode, 200, res.body);
    const { classification } = JSON.parse(res.body);
    const message = JSON.parse((await instance.app.inject({ url: `/classifications/${classification.id}?format=elasticc` })).body);
    assert.equal(String(message.alertId), String(alert.alertId));
    assert.equal(String(message.diaSourceId), String((alert.diaSource as { diaSourceId: unknown }).diaSourceId));
    assert.equal(message.brokerName, 'Candela');
    assert.match(message.classifierName, /^lightcurve-astranet /);
    const ids = new Set(Object.values(elasticcIds));
    assert.ok(message.classifications.length > 0 && message.classifications.every((c: { classId: number }) => ids.has(c.classId)));
    const total = message.classifications.reduce((s: number, c: { probability: number }) => s + c.probability, 0);
    assert.ok(total > 0.99 && total <= 1.0001, `probabilities sum to ${total}`);
  });

  const broken: [string, string, string, number][] = [
    ['a truncated Avro container', 'malformed/truncated.avro', 'application/avro', 400],
    ['a corrupted Avro header', 'malformed/corrupt-header.avro', 'application/avro', 400],
    ['a Confluent frame with an unknown schema id', 'malformed/confluent-unknown-id.bin', 'application/avro', 422],
    ['a ZTF alert with a null candidate (refused by the body schema)', 'malformed/ztf-null-candidate.json', 'application/json', 400],
    ['photometry in an unknown band', 'malformed/phot-band-ztfq.json', 'application/json', 422],
    ['photometry made only of upper limits', 'malformed/phot-only-limits.csv', 'text/csv', 422],
    ['an Avro file that is not an alert (AMPEL report)', 'skyportal/ampel_report.avro', 'application/avro', 422],
  ];
  for (const [name, path, type, status] of broken) {
    it(`refuses ${name} with ${status}, storing nothing`, async () => {
      const before = rowCounts(instance.dataDir);
      const res = await instance.app.inject({ method: 'POST', url: '/classify?objectId=X1', headers: { 'content-type': type }, payload: fixtureBytes(`alerts/${path}`) });
      assert.equal(res.statusCode, status, res.body);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.ok(JSON.parse(res.body).errors.length > 0);
      assert.deepEqual(rowCounts(instance.dataDir), before);
    });
  }
});

describe('batches of alerts', () => {
  it('takes 1,020 real ZTF alerts in one request and answers a job per alert', async () => {
    const alerts = jsonGz('fink-science/alerts.json.gz');
    const items = Array.from({ length: 20 }, () => alerts).flat();
    const before = rowCounts(instance.dataDir);
    const res = await instance.app.inject({ method: 'POST', url: '/classify/batch', payload: items });
    assert.equal(res.statusCode, 202, res.body.slice(0, 500));
    const body = JSON.parse(res.body);
    assert.equal(body.items.length, 1020);
    assert.equal(body.accepted, 1020);
    assert.equal(new Set(body.items.map((i: { jobId: string }) => i.jobId)).size, 1020);
    assert.equal(rowCounts(instance.dataDir).jobs, before.jobs + 1020);
  });

  it('keeps the good alerts of a batch that holds a broken one', async () => {
    const alerts = jsonGz('fink-science/rubin_sample_data_10_0.json.gz');
    const broken = JSON.parse(fixture('alerts/malformed/ztf-null-candidate.json'));
    const res = await instance.app.inject({ method: 'POST', url: '/classify/batch?wait=20000&format=elasticc', payload: [alerts[0], broken, alerts[1]] });
    assert.equal(res.statusCode, 202, res.body.slice(0, 500));
    const body = JSON.parse(res.body);
    assert.deepEqual(body.items.map((i: { status: string }) => i.status), ['completed', 'rejected', 'completed']);
    assert.ok(body.items[1].error.errors.some((e: { pointer: string }) => e.pointer.startsWith('/candidate')));
    assert.ok(body.items[0].result.classifications.length > 0);
  });
});

describe('every real alert file in the shared data', { skip: skipWithoutSharedData }, () => {
  const shared = `${sharedData}alerts/`;
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(avro|json)$/.test(name) && !/schema|\.avsc/.test(name)) files.push(path);
    }
  };
  walk(shared);
  for (const path of files) {
    it(`${path.slice(shared.length)} is classified or refused with a precise 4xx`, async () => {
      const type = path.endsWith('.avro') ? 'application/avro' : 'application/json';
      const res = await instance.app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': type }, payload: readFileSync(path) });
      assert.ok(res.statusCode === 202 || (res.statusCode >= 400 && res.statusCode < 500), `${res.statusCode}: ${res.body.slice(0, 300)}`);
      const body = JSON.parse(res.body);
      if (res.statusCode === 202) {
        for (const item of body.items) assert.ok(item.jobId || item.error?.errors?.length > 0, JSON.stringify(item));
      } else {
        assert.ok(body.errors?.length > 0, res.body);
      }
    });
  }
});
