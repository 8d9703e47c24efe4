// The record schemas: one definition feeds request validation (ingest/validate.ts), the
// TypeScript types, and the OpenAPI document served at /openapi.json.
import { Type, type Static } from 'typebox';

export const REGIONS = ['na', 'eu', 'apac', 'latam', 'mea'] as const;
export const TRANSACTION_TYPES = ['purchase', 'debit', 'credit', 'transfer', 'withdrawal', 'refund'] as const;
export const CHANNELS = ['web', 'mobile', 'pos', 'atm'] as const;
export const CLAIM_TYPES = ['auto', 'home', 'health', 'life', 'travel'] as const;
export const CLAIM_STATUSES = ['submitted', 'under_review', 'approved', 'rejected'] as const;

/** Largest amount accepted: keeps out Infinity (`1e309` parses to it) and absurd values. */
export const MAX_AMOUNT = 1_000_000_000_000;

const Identifier = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 128,
    pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
    description: `${description}: letters, digits and . _ : - (at most 128)`,
  });

const Amount = (description: string) =>
  Type.Number({ exclusiveMinimum: 0, maximum: MAX_AMOUNT, description });

const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339 date-time with offset' });

export const Region = Type.Enum([...REGIONS], { description: 'Sales region' });

export const Transaction = Type.Object(
  {
    transaction_id: Identifier('Unique id of the transaction'),
    timestamp: Timestamp,
    account_id: Identifier('Account id'),
    customer_id: Identifier('Customer id'),
    amount: Amount("Amount in the currency's units, > 0"),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, three capitals' }),
    transaction_type: Type.Enum([...TRANSACTION_TYPES]),
    region: Region,
    merchant_id: Type.Optional(Identifier('Merchant id')),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Merchant category' })),
    channel: Type.Optional(Type.Enum([...CHANNELS])),
  },
  { additionalProperties: false, title: 'Transaction' },
);
export type Transaction = Static<typeof Transaction>;

export const Claim = Type.Object(
  {
    claim_id: Identifier('Unique id of the claim'),
    timestamp: Timestamp,
    policy_number: Identifier('Policy number'),
    claim_amount: Amount('Claimed amount, > 0'),
    claim_type: Type.Enum([...CLAIM_TYPES]),
    claim_status: Type.Enum([...CLAIM_STATUSES]),
    customer_id: Identifier('Customer id'),
    incident_date: Type.String({ format: 'date', description: 'RFC 3339 full-date, not after the timestamp' }),
    region: Region,
  },
  { additionalProperties: false, title: 'Claim' },
);
export type Claim = Static<typeof Claim>;

export const BatchRequest = (record: typeof Transaction | typeof Claim, maxRecords: number) =>
  Type.Object(
    {
      records: Type.Array(record, {
        minItems: 1,
        maxItems: maxRecords,
        description: `Up to ${maxRecords} records; each is validated and stored on its own`,
      }),
    },
    { additionalProperties: false },
  );
