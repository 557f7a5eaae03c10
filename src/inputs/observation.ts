/**
 * One door for every input: decide what a body is (spectrum, light curve, alert) from the client's `type`
 * or from the body itself, then parse it into an `Observation` with the right parser.
 */
import type { Observation } from '../intake.js';
import type { Modality } from '../provenance/records.js';
import { parseAlerts } from './alerts/index.js';
import { InputError } from './input-error.js';
import { parsePhotometry } from './photometry.js';
import { spectrumFromAscii, spectrumFromSkyPortal, type AsciiMetadata, type SkyPortalSpectrum, type SpectrumLimits } from './spectrum.js';

export type Body = Buffer | string | Record<string, unknown> | unknown[];

const alertKeys = ['candidate', 'diaSource', 'alertId', 'prvDiaSources'];

function looksLikeAlert(value: unknown): boolean {
  return typeof value === 'object' && value !== null && alertKeys.some((k) => k in value);
}

/** The modality a body holds, when the client did not say. */
export function detectModality(body: Body): Modality {
  if (Buffer.isBuffer(body)) return 'alert';
  if (typeof body === 'string') {
    const header = body.split(/\r?\n/).find((line) => line.trim() !== '' && !line.trim().startsWith('#')) ?? '';
    return /\bmjd\b/i.test(header) && /\b(filter|band)\b/i.test(header) ? 'lightcurve' : 'spectrum';
  }
  if (Array.isArray(body)) return looksLikeAlert(body[0]) ? 'alert' : 'lightcurve';
  if ('wavelengths' in body) return 'spectrum';
  return looksLikeAlert(body) ? 'alert' : 'lightcurve';
}

export interface ObservationOptions extends AsciiMetadata {
  contentType: string;
  /** Needed for spectra: the model's window and minimum sampling. */
  spectrumLimits?: SpectrumLimits;
}

/** Every observation in the body: several for an Avro container or JSON array of alerts, one otherwise. */
export function parseObservations(modality: Modality, body: Body, options: ObservationOptions): Observation[] {
  switch (modality) {
    case 'spectrum': {
      if (Buffer.isBuffer(body) || Array.isArray(body)) throw notA('spectrum', options.contentType);
      if (!options.spectrumLimits) throw new Error('spectrum limits are needed to parse a spectrum');
      const spectrum = typeof body === 'string'
        ? spectrumFromAscii(body, options, options.spectrumLimits)
        : spectrumFromSkyPortal(body as unknown as SkyPortalSpectrum, options.spectrumLimits);
      return [{ objectId: spectrum.objectId, modality, content: spectrum.content, format: typeof body === 'string' ? 'ascii' : 'skyportal-json' }];
    }
    case 'lightcurve': {
      const photometry = parsePhotometry(body, options.contentType, { objectId: options.objectId });
      return [{ objectId: photometry.objectId, modality, content: photometry.content, format: photometry.content.context.format }];
    }
    case 'alert':
      return parseAlerts(body, options.contentType, { objectId: options.objectId }).map((alert) => ({
        objectId: alert.objectId,
        modality,
        content: alert.content,
        format: alert.content.context.format,
      }));
  }
}

function notA(what: string, contentType: string): InputError {
  return new InputError('Unsupported media type', [{ pointer: '/content-type', detail: `a ${what} is sent as JSON or text, not as ${contentType}` }], 415);
}
