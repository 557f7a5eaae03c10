/** Shared JSON Schemas of follow-up delivery (webhooks, SkyPortal push), registered with the others in schemas.ts. */
const string = { type: 'string' } as const;
const probability = { type: 'number', minimum: 0, maximum: 1 } as const;
const count = { type: 'integer', minimum: 0, maximum: 1000 } as const;

export const webhookRuleSchema = {
  $id: 'WebhookRule',
  type: 'object',
  description: 'Conditions over a result; every condition given must hold. An empty rule matches every result.',
  properties: {
    decisions: { type: 'array', items: { type: 'string', enum: ['COMMIT', 'ABSTAIN', 'ALERT'] }, minItems: 1, uniqueItems: true },
    classes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, minItems: 1, maxItems: 100, uniqueItems: true, description: 'the predicted fine class is one of these' },
    minProbability: { ...probability, description: 'the predicted class has at least this probability' },
    maxPValue: { ...probability, description: 'conformal p-value p_M strictly below this' },
    minSetSize: count,
    maxSetSize: count,
    minAnomalyScore: probability,
    modalities: { type: 'array', items: { type: 'string', enum: ['spectrum', 'lightcurve', 'alert'] }, minItems: 1, uniqueItems: true },
    objectIdPattern: { type: 'string', minLength: 1, maxLength: 200, description: 'a regular expression the object id must match' },
  },
  additionalProperties: false,
} as const;

export const skyPortalPushSchema = {
  $id: 'SkyPortalPush',
  type: 'object',
  description: 'Where results go in SkyPortal (target "skyportal")',
  properties: {
    taxonomyId: { type: 'integer', minimum: 1, description: "SkyPortal's id of the tdtax taxonomy" },
    origin: { type: 'string', minLength: 1, maxLength: 100, default: 'candela' },
    groupIds: { type: 'array', items: { type: 'integer', minimum: 1 }, maxItems: 100 },
  },
  required: ['taxonomyId'],
  additionalProperties: false,
} as const;

export const webhookSchema = {
  $id: 'Webhook',
  type: 'object',
  properties: {
    id: string,
    target: { type: 'string', enum: ['webhook', 'skyportal'] },
    url: string,
    rule: { $ref: 'WebhookRule#' },
    active: { type: 'boolean' },
    secretHint: { type: 'string', description: 'the last characters of the secret; the secret itself is returned only once, at creation' },
    skyportal: { $ref: 'SkyPortalPush#' },
    createdAt: string,
    updatedAt: string,
    links: { type: 'object', additionalProperties: string },
  },
  required: ['id', 'target', 'url', 'rule', 'active', 'secretHint', 'createdAt', 'updatedAt'],
} as const;

export const deliverySchema = {
  $id: 'Delivery',
  type: 'object',
  properties: {
    id: { type: 'string', description: 'sent as X-Candela-Delivery; the same on every attempt' },
    kind: { type: 'string', enum: ['webhook', 'skyportal-classification', 'skyportal-annotation', 'analysis-callback'] },
    webhookId: string,
    classificationId: string,
    url: string,
    payload: { description: 'the JSON body sent' },
    status: { type: 'string', enum: ['pending', 'delivering', 'succeeded', 'dead'], description: '"dead": dead-lettered after the last attempt or a final refusal' },
    attempts: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    nextAttemptAt: string,
    leaseUntil: string,
    invalidAfter: string,
    lastError: string,
    createdAt: string,
    updatedAt: string,
    attemptLog: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          number: { type: 'integer' }, startedAt: string, durationMs: { type: 'number' }, statusCode: { type: 'integer' }, error: string,
          outcome: { type: 'string', enum: ['succeeded', 'retry', 'dead'] }, retryInMs: { type: 'number' }, retryAfterHonoured: { type: 'boolean' },
        },
        required: ['number', 'startedAt', 'outcome'],
      },
    },
    links: { type: 'object', additionalProperties: string },
  },
  required: ['id', 'kind', 'url', 'status', 'attempts', 'maxAttempts', 'createdAt'],
} as const;

export const deliverySchemas = [webhookRuleSchema, skyPortalPushSchema, webhookSchema, deliverySchema];
