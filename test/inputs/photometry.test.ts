/** SkyPortal photometry (column form, row form, CSV) on real SkyPortal demo light curves and broken copies. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/inputs/input-error.js';
import { countKinds } from '../../src/inputs/lightcurve.js';
import { parsePhotometry } from '../../src/inputs/photometry.js';
import { fixture } from '../helpers/fixtures.js';

function rejects(run: () => unknown, status: number, pointer: RegExp) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.statusCode, status, error.message);
    assert.ok(error.problems.some((p) => pointer.test(p.pointer)), `no problem at ${pointer}: ${JSON.stringify(error.problems)}`);
    return true;
  });
}

describe('SkyPortal photometry', () => {
  it('reads SN 2021gvm forced-flux CSV: 126 detections, 48 non-detections, ZTF g/r', () => {
    const { objectId, content } = parsePhotometry(fixture('alerts/skyportal/ZTF21aaqjmps_phot.csv'), 'text/csv', { objectId: 'ZTF21aaqjmps' });
    assert.equal(objectId, 'ZTF21aaqjmps');
    assert.deepEqual(countKinds(content), { detection: 126, forced: 0, upperlimit: 48 });
    assert.equal(content.context.format, 'skyportal-csv');
    // Row "ztfg,59363.2316088001,58.0978831606501,23.9,ab,6.89601100509816": zp 23.9 is already µJy.
    const p = content.points.find((x) => x.mjd === 59363.2316088001)!;
    assert.equal(p.band, 'ztfg');
    assert.equal(p.flux, 58.0978831606501);
    assert.equal(p.fluxErr, 6.89601100509816);
    const limit = content.points.find((x) => x.kind === 'upperlimit')!;
    assert.ok(Math.abs(limit.limitingMag! - (23.9 - 2.5 * Math.log10(5 * limit.fluxErr!))) < 1e-9);
  });

  it('reads the same light curve as a column-form JSON body', () => {
    const csv = parsePhotometry(fixture('alerts/skyportal/ZTF21aaqjmps_phot.csv'), 'text/csv', { objectId: 'ZTF21aaqjmps' });
    const json = parsePhotometry(fixture('alerts/skyportal/ZTF21aaqjmps_phot.json'), 'application/json');
    assert.deepEqual(json.content.points, csv.content.points);
    assert.equal(json.content.context.format, 'skyportal-json-columns');
  });

  it('reads the row form', () => {
    const cols = JSON.parse(fixture('alerts/skyportal/ZTF21aaqjmps_phot.json'));
    const rows = cols.mjd.map((mjd: number, i: number) => ({ obj_id: cols.obj_id, mjd, flux: cols.flux[i], fluxerr: cols.fluxerr[i], zp: 23.9, magsys: 'ab', filter: cols.filter[i] }));
    const parsed = parsePhotometry(rows);
    assert.equal(parsed.objectId, 'ZTF21aaqjmps');
    assert.deepEqual(parsed.content.points, parsePhotometry(cols).content.points);
  });

  it('reads the mag form (iPTF16fil) with limiting_mag kept', () => {
    const { content } = parsePhotometry(fixture('alerts/skyportal/16fil_phot.csv'), undefined, { objectId: 'iPTF16fil' });
    assert.deepEqual(countKinds(content), { detection: 59, forced: 0, upperlimit: 0 });
    const first = content.points[0];
    assert.equal(first.band, 'ztfr');
    assert.ok(Math.abs(first.flux! - 10 ** ((23.9 - 20.52) / 2.5)) < 1e-9);
    assert.equal(first.limitingMag, 21.23);
  });

  it('rescales another zero point to µJy (zp 25 → × 10^(-0.44))', () => {
    const body = { obj_id: 'x', mjd: [1], flux: [1000], fluxerr: [10], zp: 25, magsys: 'ab', filter: 'lsstg' };
    const p = parsePhotometry(body).content.points[0];
    assert.ok(Math.abs(p.flux! - 1000 * 10 ** (-1.1 / 2.5)) < 1e-9);
    assert.equal(p.band, 'lsstg');
  });

  it('reads the kilonova AT2017gfo photometry in its own bands (PS1, SDSS u, 2MASS)', () => {
    const { content } = parsePhotometry(fixture('alerts/skyportal/AT2017gfo_optical.csv'), 'text/csv', { objectId: 'AT2017gfo' });
    const count = (band: string) => content.points.filter((p) => p.band === band).length;
    assert.deepEqual([count('ps1::g'), count('ps1::i'), count('sdssu'), count('2massh'), count('2massks')], [11, 17, 2, 11, 11]);
  });
  it('rejects an unknown band ztfq', () => rejects(() => parsePhotometry(fixture('alerts/malformed/phot-band-ztfq.json')), 422, /^\/filter\/7$/));
  it('rejects unequal array lengths', () => rejects(() => parsePhotometry(fixture('alerts/malformed/phot-unequal.json')), 422, /^\/fluxerr$/));
  it('rejects a non-finite flux (1e999)', () => rejects(() => parsePhotometry(fixture('alerts/malformed/phot-overflow.json')), 422, /^\/flux\/1$/));
  it('rejects a light curve of upper limits only', () => rejects(() => parsePhotometry(fixture('alerts/malformed/phot-only-limits.csv'), 'text/csv', { objectId: 'x' }), 422, /^$/));
  it('rejects Vega magnitudes', () => rejects(() => parsePhotometry(fixture('alerts/malformed/phot-vega.csv'), 'text/csv', { objectId: 'x' }), 422, /^\/line\/2\/magsys$/));
  it('rejects a CSV without an object id, a ragged row and a missing header', () => {
    rejects(() => parsePhotometry(fixture('alerts/skyportal/ZTF26abmjjnm_phot.csv'), 'text/csv'), 422, /^\/objectId$/);
    rejects(() => parsePhotometry('filter,mjd,flux,zp,magsys,fluxerr\nztfg,1,2,23.9,ab', 'text/csv', { objectId: 'x' }), 400, /^\/line\/2$/);
    rejects(() => parsePhotometry('1,2,3\n', 'text/csv', { objectId: 'x' }), 400, /^\/line\/1$/);
    rejects(() => parsePhotometry({ obj_id: 'x', mjd: [], flux: [], fluxerr: [], zp: 23.9, filter: 'ztfg' }), 422, /^$/);
    rejects(() => parsePhotometry('x', 'image/png'), 415, /^\/content-type$/);
  });
});
