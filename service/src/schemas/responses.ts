// Response schemas: documented in /openapi.json and used by Fastify to serialize replies.
import { Type, type Static } from 'typebox';
import { PROBLEM_CONTENT_TYPE } from '../problem.ts';
import { Claim, Transaction } from './records.ts';

export const FRAUD_RULES = ['high_amount', 'velocity', 'high_claim', 'late_report'] as const;
export type FraudRule = (typeof FRAUD_RULES)[number];

export const FraudResult = Type.Object({
  flagged: Type.Boolean(),
  rules: Type.Array(Type.Enum([...FRAUD_RULES])),
});
export type FraudResult = Static<typeof FraudResult>;

export const FieldError = Type.Object({
  field: Type.String({ description: 'JSON pointer-like path of the failing field, for example /amount' }),
  message: Type.String(),
});
export type FieldError = Static<typeof FieldError>;

/** RFC 9457 problem details. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldError)),
  },
  { title: 'Problem', additionalProperties: true },
);
export type Problem = Static<typeof Problem>;

const PROBLEM_RESPONSES: Record<number, { description: string; headers?: Record<string, object> }> = {
  400: { description: 'The request is invalid; `errors` names each failing field' },
  401: {
    description: 'An API key is missing or not valid (only when INGEST_API_KEYS is set)',
    headers: { 'www-authenticate': { type: 'string', description: 'Bearer' } },
  },
  404: { description: 'No such record' },
  409: { description: 'The id was already ingested with a different payload; the first version stays' },
  413: { description: 'The body is over BODY_LIMIT_BYTES' },
  414: { description: 'The path is longer than the router accepts' },
  415: { description: 'The body is not application/json' },
  500: { description: 'An unexpected error, logged; no internals in the answer' },
  503: {
    description: 'Overloaded or not ready: retry after Retry-After seconds',
    headers: { 'retry-after': { type: 'string', pattern: '^[0-9]+$', description: 'Seconds to wait before retrying' } },
  },
};

/**
 * Route response schemas for problem answers, under the media type they are sent with,
 * application/problem+json (RFC 9457), not application/json: the OpenAPI document then says what
 * clients really receive, and Fastify picks the serializer by the same media type.
 */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => {
    const { description, headers } = PROBLEM_RESPONSES[status] ?? { description: 'Problem details' };
    return [status, { description, ...(headers ? { headers } : {}), content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } } }];
  }));
}

export const IngestAccepted = Type.Object({
  id: Type.String(),
  status: Type.Enum(['accepted', 'duplicate']),
  fraud: FraudResult,
});
export type IngestAccepted = Static<typeof IngestAccepted>;

export const BatchItemResult = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  id: Type.Optional(Type.String()),
  status: Type.Enum(['accepted', 'duplicate', 'rejected', 'conflict']),
  fraud: Type.Optional(FraudResult),
  errors: Type.Optional(Type.Array(FieldError)),
});
export type BatchItemResult = Static<typeof BatchItemResult>;

export const BatchResponse = Type.Object({
  summary: Type.Object({
    accepted: Type.Integer(),
    duplicate: Type.Integer(),
    rejected: Type.Integer(),
    conflict: Type.Integer(),
  }),
  results: Type.Array(BatchItemResult),
});
export type BatchResponse = Static<typeof BatchResponse>;

const storedFields = {
  fraud: FraudResult,
  received_at: Type.String({ format: 'date-time', description: 'When the service committed the record' }),
};
export const StoredTransaction = Type.Object({ ...Transaction.properties, ...storedFields }, { title: 'StoredTransaction' });
export const StoredClaim = Type.Object({ ...Claim.properties, ...storedFields }, { title: 'StoredClaim' });

export const Health = Type.Object({ status: Type.String() });
