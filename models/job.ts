/** `jobs`: the request, its options, status history, attempts, errors and the lease of a running job. */
import { Schema } from 'mongoose';
import type { JobStatus, Modality } from '../src/provenance/records.js';
import { JOB_STATUSES, MODALITIES } from './enums.js';

export interface JobDoc {
  _id: string;
  objectId: string;
  modality: Modality;
  datapointIds: string[];
  options: { alpha: number; model: string };
  status: JobStatus;
  attempts: number;
  history: { status: JobStatus; at: Date; detail?: string }[];
  error?: { title: string; detail: string };
  classificationId?: string;
  leaseUntil?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const optionsSchema = new Schema(
  {
    alpha: { type: Number, required: true, min: 0, max: 1 },
    model: { type: String, required: true },
  },
  { _id: false },
);

const historySchema = new Schema(
  {
    status: { type: String, required: true, enum: JOB_STATUSES },
    at: { type: Date, required: true },
    detail: { type: String },
  },
  { _id: false },
);

const errorSchema = new Schema(
  {
    title: { type: String, required: true },
    detail: { type: String, required: true },
  },
  { _id: false },
);

export const jobSchema = new Schema<JobDoc>(
  {
    _id: { type: String, required: true, minlength: 1 },
    objectId: { type: String, required: true },
    modality: { type: String, required: true, enum: MODALITIES },
    datapointIds: { type: [String], required: true },
    options: { type: optionsSchema, required: true },
    status: { type: String, required: true, enum: JOB_STATUSES },
    attempts: { type: Number, required: true, min: 0, default: 0 },
    history: { type: [historySchema], default: [] },
    error: { type: errorSchema },
    classificationId: { type: String },
    leaseUntil: { type: Date },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'jobs', versionKey: false, minimize: false, suppressReservedKeysWarning: true },
);

/** The reconciler's two questions: queued jobs not touched for a while, running jobs whose lease ended. */
jobSchema.index({ status: 1, updatedAt: 1 });
jobSchema.index({ status: 1, leaseUntil: 1 });
jobSchema.index({ objectId: 1 });

export const JOB_MODEL = 'Job';
