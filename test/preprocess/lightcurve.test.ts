/** lightcurve-grid-v1 arithmetic on light curves small enough to check by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/inputs/input-error.js';
import type { LightCurveContent, LightCurvePoint } from '../../src/inputs/lightcurve.js';
import { preprocessLightCurve, type LightCurvePreprocessing } from '../../src/preprocess/lightcurve.js';

const params: LightCurvePreprocessing = {
  kind: 'lightcurve-grid-v1',
  bands: { g: ['ztfg', 'lsstg'], r: ['ztfr', 'lsstr'], i: ['ztfi', 'lssti'], u: ['lsstu'], z: ['lsstz'], y: ['lssty'] },
  slots: ['g', 'r', 'i', 'u', 'z', 'y'],
  channelsPerSlot: ['flux', 'err', 'mask', 'ulim'],
  binDays: 2,
  preDays: 4,
  length: 6,
  t0SnrFallback: 3,
  clip: 10,
  zeroPoint: 23.9,
  limits: { minPoints: 1, minCoverage: 0 },
};
const L = params.length;
const at = (x: Float32Array, slot: number, ch: number, bin: number) => x[(4 * slot + ch) * L + bin];
const lc = (points: LightCurvePoint[], hostRedshift?: number): LightCurveContent => ({
  points,
  context: { survey: 'ztf', format: 'test', objectId: 'x', ...(hostRedshift === undefined ? {} : { hostRedshift }) },
});

describe('preprocessLightCurve', () => {
  it('anchors the grid at the first detection and averages by inverse variance', () => {
    const t = preprocessLightCurve(lc([
      { mjd: 98.5, band: 'ztfg', kind: 'upperlimit', flux: null, fluxErr: null, limitingMag: 23.9 - 2.5 }, // 10 µJy
      { mjd: 98.9, band: 'ztfg', kind: 'upperlimit', flux: null, fluxErr: null, limitingMag: 23.9 },       // 1 µJy
      { mjd: 100, band: 'ztfg', kind: 'detection', flux: 50, fluxErr: 5 },
      { mjd: 101.9, band: 'lsstg', kind: 'forced', flux: 20, fluxErr: 10 },
      { mjd: 104, band: 'ztfr', kind: 'detection', flux: 100, fluxErr: 10 },
      { mjd: 200, band: 'ztfr', kind: 'detection', flux: 10, fluxErr: 1 }, // outside the grid: only meta
    ], 0.05), params);
    // start = 100 - 4 = 96: bins [96,98) [98,100) [100,102) [102,104) [104,106) [106,108)
    assert.ok(Math.abs(at(t.x, 0, 3, 1) - 1 / 100) < 1e-7); // smallest upper limit / peak
    const w1 = 1 / 25, w2 = 1 / 100;
    assert.ok(Math.abs(at(t.x, 0, 0, 2) - (w1 * 50 + w2 * 20) / (w1 + w2) / 100) < 1e-7);
    assert.ok(Math.abs(at(t.x, 0, 1, 2) - 1 / Math.sqrt(w1 + w2) / 100) < 1e-7);
    assert.equal(at(t.x, 0, 2, 2), 1);
    assert.equal(at(t.x, 1, 0, 4), 1); // peak = max detection flux = 100
    assert.equal(at(t.x, 1, 2, 3), 0);
    assert.equal(t.coverage, 2 / 6);
    assert.ok(Math.abs(t.meta[0] - 2) < 1e-7);
    assert.ok(Math.abs(t.meta[1] - 0.05) < 1e-7);
    assert.equal(t.meta[2], 1);
    assert.equal(t.meta[3], 1); // (200 - 100) / 100
  });

  it('falls back to the first 3-sigma measurement and |flux| peak without detections', () => {
    const t = preprocessLightCurve(lc([
      { mjd: 10, band: 'lssty', kind: 'forced', flux: -2, fluxErr: 1 },
      { mjd: 12, band: 'lssty', kind: 'forced', flux: 4, fluxErr: 1 },
    ]), params);
    // t0 = 12, start = 8: mjd 10 -> bin 1, mjd 12 -> bin 2; peak = max |flux| = 4
    assert.equal(at(t.x, 5, 0, 1), -0.5);
    assert.equal(at(t.x, 5, 0, 2), 1);
    assert.deepEqual(Array.from(t.meta), [Math.fround(Math.log10(4)), 0, 0, 0]);
  });

  it('rejects a light curve with nothing usable as 422 at /points', () => {
    for (const points of [
      [] as LightCurvePoint[],
      [{ mjd: 1, band: 'ztfg', kind: 'upperlimit', flux: null, fluxErr: null, limitingMag: 20 }] as LightCurvePoint[],
      [{ mjd: 1, band: 'ztfg', kind: 'forced', flux: 1, fluxErr: 1 }] as LightCurvePoint[],
    ]) {
      assert.throws(() => preprocessLightCurve(lc(points), params), (e: unknown) =>
        e instanceof InputError && e.statusCode === 422 && e.problems[0].pointer === '/points');
    }
  });

  it('clips flux/peak to ±clip', () => {
    const t = preprocessLightCurve(lc([
      { mjd: 100, band: 'ztfi', kind: 'detection', flux: 1, fluxErr: 0.1 },
      { mjd: 102, band: 'ztfi', kind: 'forced', flux: -50, fluxErr: 1 },
    ]), params);
    assert.equal(at(t.x, 2, 0, 3), -10);
  });
});

describe('bands outside the slots of the card', () => {
  const withPs1 = { ...params, bands: { ...params.bands, g: [...params.bands.g, 'ps1::g'] } };
  const points = (gBand: LightCurvePoint['band']): LightCurvePoint[] => [
    { mjd: 100, band: gBand, kind: 'detection', flux: 50, fluxErr: 5 },
    { mjd: 102, band: 'ztfr', kind: 'detection', flux: 80, fluxErr: 8 },
    { mjd: 103, band: '2massh', kind: 'detection', flux: 900, fluxErr: 9 },
  ];

  it('fills a band the card maps to a slot like that slot\'s own bands, and ignores bands it maps nowhere', () => {
    const viaPs1 = preprocessLightCurve(lc(points('ps1::g')), withPs1);
    const viaLsst = preprocessLightCurve(lc(points('lsstg')), withPs1);
    assert.deepEqual(viaPs1.x, viaLsst.x);
    assert.deepEqual(viaPs1.meta, viaLsst.meta);
    assert.ok(Math.abs(viaPs1.meta[0] - Math.log10(80)) < 1e-6, 'the 2MASS point does not set the peak');
  });

  it('refuses a light curve with no point in a band the model uses', () => {
    assert.throws(() => preprocessLightCurve(lc([{ mjd: 100, band: '2massj', kind: 'detection', flux: 50, fluxErr: 5 }]), withPs1), InputError);
    assert.throws(() => preprocessLightCurve(lc(points('ps1::g').slice(0, 1)), params), InputError, 'ps1::g without the mapping is unused');
  });
});
