/** Parsing and validation of spectra, on real files and on broken copies of them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/inputs/input-error.js';
import { spectrumFromAscii, spectrumFromSkyPortal, type SpectrumLimits } from '../../src/inputs/spectrum.js';
import { fixture, realSpectrumBody } from '../helpers/fixtures.js';

const limits: SpectrumLimits = { wavelengthMin: 3850, wavelengthMax: 9000, minPoints: 20, maxMaskedFraction: 0.5 };

function rejects(run: () => unknown, status: number, pointer: RegExp) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.statusCode, status);
    assert.ok(error.problems.some((p) => pointer.test(p.pointer)), `no problem at ${pointer}: ${JSON.stringify(error.problems)}`);
    return true;
  });
}

describe('ASCII spectra', () => {
  it('reads a CSV with a column-name line (SN 2021gvm, LT/SPRAT)', () => {
    const parsed = spectrumFromAscii(fixture('skyportal/ZTF21aaqjmps_spec.csv'), { objectId: 'ZTF21aaqjmps' }, limits);
    assert.equal(parsed.content.wavelengths.length, 433);
    assert.equal(parsed.content.wavelengths[0], 4020);
    assert.equal(parsed.content.fluxes[0], 1.21168);
    assert.equal(parsed.content.errors, undefined);
    assert.equal(parsed.objectId, 'ZTF21aaqjmps');
  });

  it('says which columns it expects when a table is neither a spectrum nor photometry (an ALeRCE detections CSV)', () => {
    const alerce = 'objectId,fid,candid,parent_candid,aimagerat,isdiffpos,magpsf,sigmapsf\nZTF19abcdefg,1,1021,1020,0.1,t,18.2,0.05\n';
    assert.throws(() => spectrumFromAscii(alerce, { objectId: 'x' }, limits), (error: InputError) => {
      assert.equal(error.statusCode, 400);
      assert.equal(error.problems[0].pointer, '/line/1');
      assert.match(error.problems[0].detail, /not a spectrum's \(wavelength, flux.*nor SkyPortal photometry's \(mjd, filter/);
      return true;
    });
  });

  it('reads a SNIFS file with a FITS-like header and a "# wl fl err" column line', () => {
    const parsed = spectrumFromAscii(fixture('skyportal/zac_spec.dat'), {}, limits);
    assert.equal(parsed.objectId, '2021zac');
    assert.equal(parsed.content.instrument, 'SNIFS');
    assert.equal(parsed.content.observedAt, '2021-09-18T14:48:08');
    assert.equal(parsed.content.errors?.length, parsed.content.wavelengths.length);
    assert.equal(parsed.content.wavelengths[0], 3402.86);
  });

  it('picks wavelength and flux by name and ignores other columns (spec.csv has instrument_id)', () => {
    const parsed = spectrumFromAscii(fixture('skyportal/spec.csv'), { objectId: 'x' }, limits);
    assert.equal(parsed.content.errors, undefined);
    assert.equal(parsed.content.wavelengths[0], 3315.61709372);
  });

  it('reads SEDM headers (INSTRUME) and lets explicit metadata win', () => {
    const parsed = spectrumFromAscii(fixture('skyportal/ZTF20abwdwoa_20200902_P60_v1.ascii'), { objectId: 'ZTF20abwdwoa', redshift: 0.05 }, limits);
    assert.equal(parsed.content.instrument, 'SEDM-P60');
    assert.equal(parsed.objectId, 'ZTF20abwdwoa');
    assert.equal(parsed.content.redshift, 0.05);
  });

  it('sorts an unsorted spectrum, keeping fluxes with their wavelengths', () => {
    const sorted = spectrumFromAscii(fixture('skyportal/ZTF21aaqjmps_spec.csv'), {}, limits);
    const shuffled = spectrumFromAscii(fixture('malformed/unsorted_valid.csv'), {}, limits);
    assert.deepEqual(shuffled.content, sorted.content);
  });

  it('rejects an upload cut mid-line', () => rejects(() => spectrumFromAscii(fixture('malformed/truncated_upload.csv'), {}, limits), 400, /^\/line\/\d+$/));
  it('rejects a ragged row, naming its line', () => rejects(() => spectrumFromAscii(fixture('malformed/ragged_columns.csv'), {}, limits), 400, /^\/line\/101$/));
  it('rejects a repeated wavelength', () => rejects(() => spectrumFromAscii(fixture('malformed/duplicate_wavelength.csv'), {}, limits), 422, /^\/wavelengths$/));
  it('rejects a spectrum with most fluxes missing', () => rejects(() => spectrumFromAscii(fixture('malformed/mostly_nan.csv'), {}, limits), 422, /^\/fluxes$/));
  it('rejects a spectrum outside the model window', () => rejects(() => spectrumFromAscii(fixture('malformed/out_of_window.csv'), {}, limits), 422, /^\/wavelengths$/));
  it('rejects a spectrum in nm (SkyPortal spectrum_with_nan.txt) as outside the window', () =>
    rejects(() => spectrumFromAscii(fixture('skyportal/spectrum_with_nan.txt'), {}, limits), 422, /^\/wavelengths$/));
  it('rejects binary data (a ZTF Avro alert) as unreadable', () =>
    rejects(() => spectrumFromAscii(fixture('skyportal/541385122515015008.avro'), {}, limits), 400, /^\/line\//));
  it('rejects an empty body', () => rejects(() => spectrumFromAscii('\n# only a comment\n', {}, limits), 422, /^\/wavelengths$/));
});

describe('SkyPortal JSON spectra', () => {
  it('keeps null fluxes as missing values and metadata as given', () => {
    const body = realSpectrumBody();
    body.fluxes[3] = null as unknown as number;
    const parsed = spectrumFromSkyPortal({ ...body, redshift: 0.03 }, limits);
    assert.equal(parsed.content.fluxes[3], null);
    assert.equal(parsed.content.redshift, 0.03);
    assert.equal(parsed.content.instrument, 'SPRAT');
    assert.equal(parsed.objectId, 'ZTF21aaqjmps');
  });
  it('rejects unequal lengths', () => rejects(() => spectrumFromSkyPortal(JSON.parse(fixture('malformed/unequal_lengths.json')), limits), 422, /^\/fluxes$/));
  it('rejects errors of another length', () => {
    const body = realSpectrumBody();
    rejects(() => spectrumFromSkyPortal({ ...body, errors: body.fluxes.slice(1) }, limits), 422, /^\/errors$/);
  });
  it('rejects non-positive wavelengths, naming the index', () => {
    const body = realSpectrumBody();
    body.wavelengths[5] = -1;
    rejects(() => spectrumFromSkyPortal(body, limits), 422, /^\/wavelengths\/5$/);
  });
  it('rejects too few points', () => {
    const body = realSpectrumBody();
    rejects(() => spectrumFromSkyPortal({ ...body, wavelengths: body.wavelengths.slice(0, 5), fluxes: body.fluxes.slice(0, 5) }, limits), 422, /^\/wavelengths$/);
  });
});
