/**
 * One entry for every alert format: `parseAlert(body, contentType)` recognises an Avro object-container
 * file (`Obj\x01`), a Confluent-framed Avro datum (magic byte 0 + schema id) or JSON (bytes, text or an
 * already-parsed object), picks the survey from the writer schema's name (or, for JSON, from the fields),
 * and returns the canonical light curve. Anything else is an `InputError`: 415 for a content type that is not
 * an alert, 400 for bytes that cannot be read, 422 for a readable document that is not a usable alert.
 */
import { InputError } from '../input-error.js';
import type { LightCurveContent } from '../lightcurve.js';
import { isConfluent, isContainer, readConfluent, readContainer, type DecodedAvro } from './avro.js';
import { asRecord, type AlertOptions } from './fields.js';
import { diaFlavour, diaLightCurve } from './lsst.js';
import { ZTF_V402_SCHEMA_ID, ztfV402Schema } from './ztf-schema.js';
import { isZtfAlert, ztfLightCurve } from './ztf.js';

export type { AlertOptions } from './fields.js';

export type AlertSurvey = 'ztf' | 'lsst' | 'elasticc';

export interface ParsedAlert {
  objectId: string;
  content: LightCurveContent;
}

export interface ParseAlertOptions extends AlertOptions {
  /** Reject an alert of another survey (e.g. a Rubin packet sent where a ZTF one is expected). */
  expect?: AlertSurvey;
}

/** Writer schemas known by Confluent schema id. ZTF v4.02 is Candela's own id 402 (see ztf-schema.ts). */
export const defaultWriterSchemas: ReadonlyMap<number, unknown> = new Map([[ZTF_V402_SCHEMA_ID, ztfV402Schema]]);

const avroTypes = new Set(['application/avro', 'avro/binary', 'application/vnd.apache.avro+binary', 'application/x-avro-binary', 'application/octet-stream']);
const jsonTypes = new Set(['application/json', 'text/json', 'application/vnd.apache.avro+json']);

type Body = Uint8Array | string | Record<string, unknown> | unknown[];

/** Exactly one alert; a container or JSON array holding several is refused (use `parseAlerts`). */
export function parseAlert(body: Body, contentType?: string, options: ParseAlertOptions = {}): ParsedAlert {
  const all = parseAlerts(body, contentType, options);
  if (all.length !== 1) {
    throw new InputError('Invalid alert', [{ pointer: '', detail: `holds ${all.length} alerts where one is expected; send several to the batch endpoint` }]);
  }
  return all[0];
}

/** Every alert of a body: an Avro container may hold several records, a JSON body may be an array. */
export function parseAlerts(body: Body, contentType?: string, options: ParseAlertOptions = {}): ParsedAlert[] {
  return parseEachAlert(body, contentType, options).map((result) => {
    if (result instanceof InputError) throw result;
    return result;
  });
}

/**
 * Like `parseAlerts`, but one bad alert among many does not spoil the others: each record or array item gives
 * its alert or its own error (pointers prefixed with `/avro/record/i` or `/i`). A body that cannot be read
 * at all still throws.
 */
export function parseEachAlert(body: Body, contentType?: string, options: ParseAlertOptions = {}): (ParsedAlert | InputError)[] {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (type && !avroTypes.has(type) && !jsonTypes.has(type)) {
    throw new InputError('Unsupported media type', [{
      pointer: '/content-type',
      detail: `is "${type}"; alerts are accepted as ${[...avroTypes, ...jsonTypes].join(', ')}`,
    }], 415);
  }
  if (typeof body === 'object' && !(body instanceof Uint8Array)) return fromJson(body, options);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.length === 0) throw new InputError('Unreadable alert', [{ pointer: '', detail: 'is empty' }], 400);
  if (isContainer(bytes)) return fromAvro(readContainer(bytes), options);
  const first = bytes.subarray(0, 64).toString('latin1').trimStart()[0];
  if (first === '{' || first === '[') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw new InputError('Unreadable alert', [{ pointer: '', detail: `is not valid JSON: ${(error as Error).message}` }], 400);
    }
    return fromJson(parsed as Record<string, unknown>, options);
  }
  if (isConfluent(bytes)) return fromAvro(readConfluent(bytes, options.writerSchemas ?? defaultWriterSchemas), options);
  throw new InputError('Unreadable alert', [{
    pointer: '',
    detail: `starts with bytes ${bytes.subarray(0, 4).toString('hex')}: neither an Avro container ("Obj\\x01"), a Confluent frame (magic byte 0) nor JSON`,
  }], 400);
}

/** Runs `parse`, turning an InputError into a result located under `prefix` (when several items share a body). */
function each(parse: () => ParsedAlert, prefix: string | undefined): ParsedAlert | InputError {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return prefix === undefined ? error : prefixed(error, prefix);
  }
}

function fromJson(parsed: unknown, options: ParseAlertOptions): (ParsedAlert | InputError)[] {
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) throw new InputError('Empty alert list', [{ pointer: '', detail: 'is an empty array' }]);
    return parsed.map((item, i) => each(() => one(asRecord(item, ''), 'json', undefined, options), `/${i}`));
  }
  return [each(() => one(asRecord(parsed, ''), 'json', undefined, options), undefined)];
}

function fromAvro(decoded: DecodedAvro, options: ParseAlertOptions): (ParsedAlert | InputError)[] {
  const survey = surveyOfSchema(decoded.schemaName);
  if (!survey) {
    throw new InputError('Not an alert', [{
      pointer: decoded.framing === 'container' ? '/avro/header/avro.schema' : '/avro/schemaId',
      detail: `names the record "${decoded.schemaName}", which is not an alert schema (expected ztf.alert, lsst.vN_M.alert or elasticc.v0_9_1.alert)`,
    }]);
  }
  if (decoded.records.length === 0) throw new InputError('Empty alert', [{ pointer: '/avro/block', detail: 'the container holds no record' }]);
  const format = decoded.framing === 'container' ? 'avro' : 'avro-confluent';
  const several = decoded.records.length > 1;
  return decoded.records.map((record, i) =>
    each(() => one(asRecord(record, ''), format, decoded.schemaName, options, survey), several ? `/avro/record/${i}` : undefined));
}

function surveyOfSchema(name: string): AlertSurvey | undefined {
  if (/^ztf\.(alert\.)?alert$/.test(name) || name === 'BabamulZtfAlert' || /(^|\.)ztf[^.]*\.alert$/i.test(name)) return 'ztf';
  if (/^lsst\.v\d+_\d+\.alert$/.test(name)) return 'lsst';
  if (/^elasticc\.v\d+(_\d+)*\.alert$/.test(name)) return 'elasticc';
  return undefined;
}

function one(record: Record<string, unknown>, encoding: string, schemaName: string | undefined, options: ParseAlertOptions, fromSchema?: AlertSurvey): ParsedAlert {
  const survey: AlertSurvey | undefined = fromSchema ?? (isZtfAlert(record) ? 'ztf' : diaFlavour(record));
  if (!survey) {
    throw new InputError('Not an alert', [{
      pointer: '',
      detail: 'has neither a ZTF "candidate" nor a "diaSource" with Rubin (band, psfFlux) or ELAsTiCC (filterName, psFlux) fields',
    }]);
  }
  if (options.expect && options.expect !== survey) {
    throw new InputError('Wrong alert schema', [{
      pointer: schemaName ? (encoding === 'avro' ? '/avro/header/avro.schema' : '/avro/schemaId') : '',
      detail: `is a ${survey} alert${schemaName ? ` (${schemaName})` : ''} where a ${options.expect} alert is expected`,
    }]);
  }
  const format = `${survey}-${encoding}`;
  const content = survey === 'ztf' ? ztfLightCurve(record, format, schemaName, options) : diaLightCurve(record, survey, format, schemaName, options);
  return { objectId: content.context.objectId, content };
}

function prefixed(error: InputError, prefix: string): InputError {
  const out = new InputError(error.message.split(':')[0], error.problems.map((p) => ({ ...p, pointer: `${prefix}${p.pointer}` })), error.statusCode);
  return out;
}
