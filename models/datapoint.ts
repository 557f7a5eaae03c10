/** `datapoints` (AMPEL t0): immutable input measurements, `_id` = SHA-256 of the canonical content. */
import { Schema } from 'mongoose';
import type { Modality } from '../src/provenance/records.js';
import { MODALITIES } from './enums.js';

export interface DatapointDoc {
  _id: string;
  objectId: string;
  modality: Modality;
  content: Record<string, unknown>;
  source: { format: string; originId?: string };
  createdAt: Date;
}

const sourceSchema = new Schema(
  {
    format: { type: String, required: true },
    originId: { type: String },
  },
  { _id: false },
);

export const datapointSchema = new Schema<DatapointDoc>(
  {
    _id: { type: String, required: true, minlength: 1 },
    objectId: { type: String, required: true, immutable: true },
    modality: { type: String, required: true, enum: MODALITIES, immutable: true },
    content: { type: Schema.Types.Mixed, required: true, immutable: true },
    source: { type: sourceSchema, required: true, immutable: true },
    createdAt: { type: Date, required: true, immutable: true },
  },
  { collection: 'datapoints', versionKey: false, minimize: false },
);

datapointSchema.index({ objectId: 1 });

export const DATAPOINT_MODEL = 'Datapoint';
