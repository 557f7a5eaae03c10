/** Alert parsers on real ZTF, Rubin and ELAsTiCC alerts (licence-compatible copies in test/fixtures/alerts) and broken copies. */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { parseAlert, parseAlerts } from '../../../src/inputs/alerts/index.js';
import { InputError } from '../../../src/inputs/input-error.js';
import { countKinds, fluxToMag } from '../../../src/inputs/lightcurve.js';
import { fixture, fixtureBytes } from '../../helpers/fixtures.js';

const bytes = (path: string) => fixtureBytes(`alerts/${path}`);
const jsonGz = (path: string): Record<string, unknown>[] => JSON.parse(gunzipSync(bytes(path)).toString('utf8'));

function rejects(run: () => unknown, status: number, pointer: RegExp, detail?: RegExp) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.statusCode, status, error.message);
    assert.ok(error.problems.some((p) => pointer.test(p.pointer) && (!detail || detail.test(p.detail))), `no problem at ${pointer}: ${JSON.stringify(error.problems)}`);
    return true;
  });
}

describe('ZTF alert packets (Avro containers)', () => {
  it('reads ZTF17aabwnkw (SkyPortal test alert): 14 detections, 1 upper limit, context', () => {
    const { objectId, content } = parseAlert(bytes('skyportal/541234765015015012.avro'), 'application/avro');
    assert.equal(objectId, 'ZTF17aabwnkw');
    assert.deepEqual(countKinds(content), { detection: 14, forced: 0, upperlimit: 1 });
    assert.equal(content.context.sourceId, '541234765015015012'); // > 2^53, kept exact
    assert.equal(content.context.format, 'ztf-avro');
    assert.deepEqual(content.context.realBogus, { score: 0.7733333110809326, name: 'rb' });
    assert.equal(content.context.starGalaxy, 1);
    assert.equal(content.context.ra, 189.883275);
    // The candidate: JD 2458295.7347685, r band, magpsf 17.845998764038086 ± 0.07628266513347626.
    const candidate = content.points.find((p) => p.sourceId === '541234765015015012')!;
    assert.equal(candidate.band, 'ztfr');
    assert.ok(Math.abs(candidate.mjd - 58295.2347685) < 1e-6);
    assert.ok(Math.abs(fluxToMag(candidate.flux!) - 17.845998764038086) < 1e-9);
    assert.ok(Math.abs(candidate.fluxErr! / candidate.flux! - (0.07628266513347626 * Math.LN10) / 2.5) < 1e-12);
    const sorted = content.points.every((p, i) => i === 0 || content.points[i - 1].mjd <= p.mjd);
    assert.ok(sorted);
  });

  it('reads ZTF18aaypnsi: 10 detections and 15 upper limits at diffmaglim', () => {
    const { content } = parseAlert(fixtureBytes('skyportal/541385122515015008.avro'), 'avro/binary');
    assert.deepEqual(countKinds(content), { detection: 10, forced: 0, upperlimit: 15 });
    const limit = content.points.find((p) => p.kind === 'upperlimit')!;
    assert.equal(limit.flux, null);
    assert.ok(limit.limitingMag! > 15 && limit.limitingMag! < 23);
  });

  it('reads ZTF18abajfvr', () => {
    const { objectId, content } = parseAlert(bytes('skyportal/541443293415015009.avro'));
    assert.equal(objectId, 'ZTF18abajfvr');
    assert.deepEqual(countKinds(content), { detection: 3, forced: 0, upperlimit: 0 });
  });

  it('reads the BOOM/Babamul enriched alert ZTF26aauybpk: detections, non-detections and forced photometry', () => {
    const { objectId, content } = parseAlert(bytes('skyportal/babamul_alert.avro'), 'application/avro');
    assert.equal(objectId, 'ZTF26aauybpk');
    assert.deepEqual(countKinds(content), { detection: 66, forced: 114, upperlimit: 52 });
    assert.equal(content.context.schema, 'BabamulZtfAlert');
    assert.deepEqual(content.context.realBogus, { score: 0.9998722076416016, name: 'drb' });
    // candidate: i band, magpsf 19.753803253173828, psfFlux 45548978176 (1e-9 µJy units): the two agree.
    const candidate = content.points.find((p) => p.sourceId === '3458293962815015016')!;
    assert.equal(candidate.band, 'ztfi');
    assert.ok(Math.abs(fluxToMag(candidate.flux!) - 19.753803253173828) < 1e-6);
  });

  it('rejects the pre-survey simulated packet without objectId, and accepts it with one given', () => {
    rejects(() => parseAlert(bytes('skyportal/87704463155000.avro')), 422, /^\/objectId$/, /alertId 87704463155000/);
    const { content } = parseAlert(bytes('skyportal/87704463155000.avro'), undefined, { objectId: 'sim-1' });
    assert.equal(content.context.objectId, 'sim-1');
    assert.equal(content.points.find((p) => p.kind === 'detection')!.band, 'ztfg');
  });

  it('rejects an AMPEL report (an Avro file that is not an alert)', () =>
    rejects(() => parseAlert(bytes('skyportal/ampel_report.avro'), 'application/avro'), 422, /^\/avro\/header\/avro.schema$/, /LSSTReport/));
});

describe('ZTF alerts as JSON (Fink export of 51 real alerts, schema 3.3)', () => {
  const alerts = jsonGz('fink-science/alerts.json.gz');
  it('parses all 51', () => {
    const parsed = alerts.map((a) => parseAlert(a));
    assert.equal(parsed.length, 51);
    const total = parsed.reduce((n, p) => n + countKinds(p.content).detection, 0);
    assert.equal(total, 66);
    assert.equal(parsed[0].objectId, 'ZTF19abbsjqp');
    assert.equal(parsed[0].content.context.sourceId, '975188143515015117');
    assert.deepEqual(parsed[0].content.context.realBogus?.name, 'drb');
  });
  it('parses a JSON text body and an array body the same way', () => {
    const one = parseAlert(JSON.stringify(alerts[0]), 'application/json');
    assert.deepEqual(one, parseAlert(alerts[0]));
    assert.equal(parseAlerts(JSON.stringify(alerts.slice(0, 3)), 'application/json').length, 3);
    rejects(() => parseAlert(alerts.slice(0, 2)), 422, /^$/, /2 alerts/);
  });
});

describe('Rubin alerts (Fink export, LSST schema v10.0)', () => {
  const alerts = jsonGz('fink-science/rubin_sample_data_10_0.json.gz');
  it('parses the 22 object alerts with nJy → µJy and reliability', () => {
    const ok = alerts.filter((a) => (a.diaSource as Record<string, unknown>).diaObjectId);
    assert.equal(ok.length, 22);
    const first = parseAlert(alerts[0]);
    assert.equal(first.objectId, '169813006680588318');
    assert.equal(first.content.context.survey, 'lsst');
    assert.equal(first.content.context.realBogus?.name, 'reliability');
    const p = first.content.points.find((x) => x.sourceId === '169813006680588318')!;
    assert.equal(p.band, 'lssti');
    assert.ok(Math.abs(p.flux! - 1.6222264404296875) < 1e-12); // psfFlux 1622.2264404296875 nJy
    for (const a of ok) assert.ok(countKinds(parseAlert(a).content).detection >= 1);
  });
  it('rejects the 3 solar-system sources (no diaObjectId) with a pointer', () => {
    const ss = alerts.filter((a) => !(a.diaSource as Record<string, unknown>).diaObjectId);
    assert.equal(ss.length, 3);
    for (const a of ss) rejects(() => parseAlert(a), 422, /^\/diaSource\/diaObjectId$/, /solar-system/);
  });
  it('rejects a Rubin alert where a ZTF one is expected', () =>
    rejects(() => parseAlert(alerts[0], 'application/json', { expect: 'ztf' }), 422, /^$/, /lsst alert where a ztf alert/));
});

describe('ELAsTiCC alerts (Fink exports)', () => {
  it('reads 20 simulated SN Ia alerts with forced photometry and host context', () => {
    const parsed = jsonGz('fink-science/test_elasticc_earlysnia.first20.json.gz').map((a) => parseAlert(a));
    assert.equal(parsed.length, 20);
    const first = parsed[0];
    assert.equal(first.objectId, '1702305');
    assert.equal(first.content.context.survey, 'elasticc');
    assert.deepEqual(countKinds(first.content), { detection: 23, forced: 30, upperlimit: 0 });
    assert.ok(Math.abs(first.content.context.hostDistanceArcsec! - 1.3259304761886597) < 1e-12);
    const trigger = first.content.points.find((p) => p.sourceId === '3404610030')!;
    assert.equal(trigger.band, 'lssti');
    assert.ok(Math.abs(trigger.flux! - 2.28764208984375) < 1e-12); // psFlux 2287.64208984375 nJy
  });
  it('reads the AGN and seed-0 samples', () => {
    for (const path of ['fink-science/agn_elasticc_alerts.first5.json.gz', 'fink-science/elasticc_sample_seed0.first10.json.gz']) {
      for (const a of jsonGz(path)) assert.ok(parseAlert(a).content.points.length > 0);
    }
    assert.equal(parseAlert(jsonGz('fink-science/agn_elasticc_alerts.first5.json.gz')[0]).objectId, '4062448');
  });
});

describe('Confluent wire format', () => {
  it('decodes a ZTF v4.02 datum with the built-in schema id 402', () => {
    const { objectId, content } = parseAlert(bytes('malformed/confluent-ztf-v402.bin'), 'application/avro');
    assert.equal(objectId, 'ZTF17aabwnkw');
    assert.equal(content.context.format, 'ztf-avro-confluent');
    assert.equal(content.context.schema, 'ztf.alert 4.02');
    assert.deepEqual(countKinds(content), { detection: 14, forced: 0, upperlimit: 1 });
  });
  it('rejects an unknown schema id', () => rejects(() => parseAlert(bytes('malformed/confluent-unknown-id.bin')), 422, /^\/avro\/schemaId$/, /9999/));
  it('rejects a truncated datum', () => rejects(() => parseAlert(bytes('malformed/confluent-truncated.bin')), 400, /^\/avro\/datum$/));
});

describe('malformed alerts', () => {
  it('rejects a truncated container', () => rejects(() => parseAlert(bytes('malformed/truncated.avro')), 400, /^\/avro\/block\/0$/, /truncated/));
  it('rejects a corrupted header', () => rejects(() => parseAlert(bytes('malformed/corrupt-header.avro')), 400, /^\/avro\/header\/avro.schema$/));
  it('rejects a bad sync marker', () => rejects(() => parseAlert(bytes('malformed/bad-sync.avro')), 400, /^\/avro\/block\/0$/, /sync/));
  it('rejects only the magic', () => rejects(() => parseAlert(Buffer.from('Obj\x01', 'latin1')), 400, /^\/avro\/header$/));
  it('rejects an unknown ZTF filter id', () => rejects(() => parseAlert(fixture('alerts/malformed/ztf-fid4.json')), 422, /^\/candidate\/fid$/));
  it('rejects a null candidate with an empty history', () => rejects(() => parseAlert(fixture('alerts/malformed/ztf-null-candidate.json')), 422, /^\/candidate$/));
  it('rejects a non-finite sigmapsf', () => rejects(() => parseAlert(fixture('alerts/malformed/ztf-nan-sigmapsf.json')), 422, /^\/candidate\/sigmapsf$/));
  it('rejects an alert whose only source has no flux (empty light curve)', () => rejects(() => parseAlert(fixture('alerts/malformed/rubin-no-flux.json')), 422, /^$/, /no photometry/));
  it('rejects the pre-survey simulated alert.json (no objectId)', () => rejects(() => parseAlert(fixture('alerts/skyportal/alert.json'), 'application/json'), 422, /^\/objectId$/));
  it('rejects text that is neither Avro nor JSON, and a CSV content type', () => {
    rejects(() => parseAlert('filter,mjd\nztfg,1'), 400, /^$/);
    rejects(() => parseAlert('{}', 'text/csv'), 415, /^\/content-type$/);
    rejects(() => parseAlert('{"a": 1'), 400, /^$/, /not valid JSON/);
    rejects(() => parseAlert({ hello: 'world' }), 422, /^$/, /neither a ZTF/);
  });
});
