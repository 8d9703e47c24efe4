// Shared test fixtures: a service on a temporary SQLite file, and valid sample records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createService, type Service } from '../src/service.ts';

export interface TestService extends Service {
  dataDir: string;
  close(): Promise<void>;
}

export function tempDir(prefix = 'ingestor-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestService(env: Record<string, string> = {}, logger = pino({ level: 'silent' })): Promise<TestService> {
  const dataDir = env.DATA_DIR ?? tempDir();
  const config = loadConfig({ ...env, DATA_DIR: dataDir });
  const service = await createService(config, { logger });
  await service.app.ready();
  return {
    ...service,
    dataDir,
    async close() {
      await service.app.close();
      await service.store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let sequence = 0;
export const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++sequence}`;

export function transaction(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transaction_id: uniqueId('tx'),
    timestamp: '2026-11-22T10:00:00Z',
    account_id: 'acc-1',
    customer_id: uniqueId('cust'),
    amount: 42.5,
    currency: 'EUR',
    transaction_type: 'purchase',
    region: 'eu',
    merchant_id: 'm-7',
    category: 'groceries',
    channel: 'pos',
    ...overrides,
  };
}

export function claim(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    claim_id: uniqueId('cl'),
    timestamp: '2026-11-22T10:00:00Z',
    policy_number: 'POL-1',
    claim_amount: 1200,
    claim_type: 'auto',
    claim_status: 'submitted',
    customer_id: uniqueId('cust'),
    incident_date: '2026-11-20',
    region: 'na',
    ...overrides,
  };
}

export const json = { 'content-type': 'application/json' };
