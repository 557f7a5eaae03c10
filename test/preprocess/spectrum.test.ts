/** The preprocessing arithmetic on cases small enough to check by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/inputs/input-error.js';
import { percentile, preprocessSpectrum, savitzkyGolay, type SpectrumPreprocessing } from '../../src/preprocess/spectrum.js';

const params: SpectrumPreprocessing = {
  kind: 'spectrum-grid-v1',
  wavelengthMin: 4000,
  wavelengthMax: 4010,
  length: 11,
  scale: { low: 0, high: 100 },
  derivative: { window: 3, order: 1, coefficients: [-0.5, 0, 0.5] },
  limits: { minPoints: 2, minCoverage: 0.5 },
};

describe('percentile', () => {
  it('interpolates linearly between order statistics, as numpy does', () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([10, 20, 30, 40, 50], 5), 12); // position 0.2
    assert.equal(percentile([10, 20, 30, 40, 50], 95), 48); // position 3.8
    assert.equal(percentile([7], 95), 7);
  });
});

describe('Savitzky–Golay correlation', () => {
  it('applies the coefficients in "dot" order and repeats the edge values', () => {
    const d = savitzkyGolay(Float64Array.from([0, 1, 4, 9]), [-0.5, 0, 0.5]);
    assert.deepEqual(Array.from(d), [0.5, 2, 4, 2.5]); // edges: (1-0)/2, (9-4)/2
  });
});

describe('preprocessSpectrum', () => {
  it('interpolates onto the grid, scales to [0, 1], masks pixels outside the input', () => {
    // Flux rises linearly from 0 at 4000 Å to 6 at 4006 Å; the grid runs 4000..4010 in 1 Å steps.
    const t = preprocessSpectrum({ wavelengths: [4000, 4003, 4006], fluxes: [0, 3, 6] }, params);
    const L = params.length;
    const flux = Array.from(t.x.subarray(0, L));
    const valid = Array.from(t.x.subarray(2 * L));
    assert.deepEqual(valid, [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    flux.slice(0, 7).forEach((v, i) => assert.ok(Math.abs(v - i / 6) < 1e-7, `pixel ${i}: ${v}`));
    assert.deepEqual(flux.slice(7), [0, 0, 0, 0]);
    const derivative = Array.from(t.x.subarray(L, 2 * L));
    assert.ok(Math.abs(derivative[3] - 1 / 6) < 1e-7);
    assert.deepEqual(derivative.slice(7), [0, 0, 0, 0]);
    assert.equal(t.coverage, 7 / 11);
    assert.deepEqual(Array.from(t.meta), [0, 0, 0, 0]);
  });

  it('skips missing fluxes and carries redshift and phase with their validity bits', () => {
    const t = preprocessSpectrum({ wavelengths: [4000, 4003, 4006, 4010], fluxes: [0, null, 6, 10], redshift: 0.25, phase: -3 }, params);
    assert.ok(Math.abs(t.x[3] - 0.3) < 1e-7); // interpolated across the gap: 3 / 10
    assert.deepEqual(Array.from(t.meta), [0.25, 1, -3, 1]);
  });

  it('refuses too little coverage and flat spectra', () => {
    assert.throws(() => preprocessSpectrum({ wavelengths: [4000, 4002], fluxes: [1, 2] }, params), InputError);
    assert.throws(() => preprocessSpectrum({ wavelengths: [4000, 4010], fluxes: [2, 2] }, params), /flat/);
  });
});
