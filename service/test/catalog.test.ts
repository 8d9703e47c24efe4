import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalog, prometheusNames, serviceInstruments } from '../src/telemetry/catalog.ts';

describe('metric catalog', () => {
  it('gives the Prometheus names of the OTLP translation with suffixes', () => {
    assert.equal(catalog.transactionsIngested.prometheus.series, 'financial_transactions_ingested_total');
    assert.equal(catalog.transactionsIngested.prometheus.labels['transaction.type'], 'transaction_type');
    assert.equal(catalog.httpServerRequestDuration.prometheus.bucket, 'http_server_request_duration_seconds_bucket');
    assert.equal(catalog.httpServerRequestDuration.prometheus.labels['http.route'], 'http_route');
    assert.equal(catalog.storeCommitDuration.prometheus.count, 'ingest_store_commit_duration_seconds_count');
    assert.equal(catalog.transactionAmount.prometheus.bucket, 'transaction_amount_bucket');
    assert.equal(catalog.storeRecords.prometheus.series, 'ingest_store_records');
    assert.equal(catalog.heapUsed.prometheus.series, 'v8js_memory_heap_used_bytes');
    assert.equal(catalog.eventLoopUtilization.prometheus.series, 'nodejs_eventloop_utilization_ratio');
    assert.equal(prometheusNames({ name: 'a.b', kind: 'counter', unit: 's', description: '', attributes: [], source: 'ingestor' }).series, 'a_b_seconds_total');
  });

  it('has the required instruments', () => {
    const names = serviceInstruments.map((m) => m.name);
    for (const name of ['financial.transactions.ingested', 'insurance.claims.ingested', 'fraud.flagged', 'ingest.records.rejected',
      'ingest.batch.size', 'ingest.store.commit.duration', 'transaction.amount', 'ingest.store.records', 'http.server.request.duration']) {
      assert.ok(names.includes(name), name);
    }
  });

  it('has durations in seconds and sorted buckets', () => {
    for (const m of Object.values(catalog)) {
      if (/duration/.test(m.name)) assert.equal(m.unit, 's', m.name);
      if ('buckets' in m && m.buckets) assert.deepEqual([...m.buckets].sort((a, b) => a - b), [...m.buckets], m.name);
    }
  });

  it('allows no id-like attribute on any metric', () => {
    for (const m of Object.values(catalog)) {
      for (const a of m.attributes) assert.doesNotMatch(a, /(^|[._])id$|customer|account|policy/, `${m.name}: ${a}`);
    }
  });
});
