/**
 * `classifications` (AMPEL t2): the full confidence-aware output, linked to object, job, datapoints and
 * trace. `decision` and `predictedClass` are copies of `result.decision.value` and
 * `result.prediction.class`, kept at the top level for the list filters and their indexes. The unique
 * index on `jobId` is what makes completion idempotent: one job, one classification, whatever the attempts.
 */
import { Schema } from 'mongoose';
import type { Decision } from '../src/confidence/result.js';
import { DECISIONS } from './enums.js';

export interface ClassificationDoc {
  _id: string;
  jobId: string;
  objectId: string;
  traceId: string;
  model: { name: string; version: string };
  datapointIds: string[];
  options: { alpha: number };
  result: Record<string, unknown>;
  decision: Decision;
  predictedClass: string;
  createdAt: Date;
}

const modelRefSchema = new Schema(
  {
    name: { type: String, required: true },
    version: { type: String, required: true },
  },
  { _id: false },
);

const runtimeOptionsSchema = new Schema(
  {
    alpha: { type: Number, required: true, min: 0, max: 1 },
  },
  { _id: false },
);

export const classificationSchema = new Schema<ClassificationDoc>(
  {
    _id: { type: String, required: true, minlength: 1 },
    jobId: { type: String, required: true, unique: true },
    objectId: { type: String, required: true },
    traceId: { type: String, required: true },
    model: { type: modelRefSchema, required: true },
    datapointIds: { type: [String], required: true },
    options: { type: runtimeOptionsSchema, required: true },
    result: { type: Schema.Types.Mixed, required: true },
    decision: { type: String, required: true, enum: DECISIONS },
    predictedClass: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'classifications', versionKey: false, minimize: false },
);

// Every list query sorts by (createdAt DESC, _id DESC); each filter gets an index with that suffix.
classificationSchema.index({ objectId: 1, createdAt: -1, _id: -1 });
classificationSchema.index({ traceId: 1, createdAt: -1, _id: -1 });
classificationSchema.index({ decision: 1, createdAt: -1, _id: -1 });
classificationSchema.index({ predictedClass: 1, createdAt: -1, _id: -1 });
classificationSchema.index({ createdAt: -1, _id: -1 });

export const CLASSIFICATION_MODEL = 'Classification';
