// Business: transactions and claims ingested by type, currency and region, the distribution of
// transaction amounts, rejected records by reason, and duplicates.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../../service/src/telemetry/catalog.ts';
import {
  INGESTOR, datasourceVariable, heatmapPanel, histogram, instanceVariable, labelVariable, newDashboard, prom, promInstant,
  promTable, regionVariable, row, statPanel, tablePanel, timeseriesPanel,
} from '../panels.ts';

const tx = catalog.transactionsIngested.prometheus.series;
const claims = catalog.claimsIngested.prometheus.series;
const rejected = catalog.recordsRejected.prometheus.series;
const stored = catalog.storeRecords.prometheus.series;
const amount = histogram(catalog.transactionAmount);

/** Selected instances and regions. */
const SEL = `${INGESTOR}, region=~"$region"`;
const rate = (series: string, outcome: string) => `rate(${series}{${SEL}, outcome="${outcome}"}[$__rate_interval])`;
const total = (series: string, outcome: string) => `increase(${series}{${SEL}, outcome="${outcome}"}[$__range])`;
/** Amount selector: transaction.amount has a currency but no region. */
const AMOUNT = `${INGESTOR}, currency=~"$currency"`;

export function businessDashboard(): dashboard.Dashboard {
  return newDashboard('okit-business', 'Business: transactions and claims',
    'Records ingested by type, currency and region, transaction amounts, rejections and duplicates.')
    .withVariable(datasourceVariable())
    .withVariable(instanceVariable(tx))
    .withVariable(regionVariable(tx))
    .withVariable(labelVariable({
      name: 'currency',
      label: 'Currency',
      selector: `${amount.count}{${INGESTOR}}`,
      labelName: 'currency',
      description: 'Currency of the transactions (ISO 4217). Amounts are only comparable within one currency.',
    }))

    .withRow(row('Totals over the selected time range'))
    .withPanel(statPanel({
      title: 'Transactions accepted',
      description: 'Transactions accepted (stored, first time seen) over the selected time range, in the selected regions.',
      unit: units.Short,
      queries: [promInstant(`sum(${total(tx, 'accepted')})`, 'transactions')],
    }))
    .withPanel(statPanel({
      title: 'Claims accepted',
      description: 'Insurance claims accepted over the selected time range, in the selected regions.',
      unit: units.Short,
      queries: [promInstant(`sum(${total(claims, 'accepted')})`, 'claims')],
    }))
    .withPanel(statPanel({
      title: 'Duplicates',
      description: 'Records sent again with the same id and content (answered 200 duplicate, stored once), transactions and claims together, over the selected time range.',
      unit: units.Short,
      thresholds: [[null, 'green'], [1, 'orange']],
      // `or` keeps both metrics' series (their label sets differ) and works when one has none.
      queries: [promInstant(`sum(${total(tx, 'duplicate')} or ${total(claims, 'duplicate')})`, 'duplicates')],
    }))
    .withPanel(statPanel({
      title: 'Records rejected',
      description: 'Records refused (400 or 409) over the selected time range, all reasons. The rejection counter has no region, so the region filter does not apply.',
      unit: units.Short,
      thresholds: [[null, 'green'], [1, 'orange']],
      queries: [promInstant(`sum(increase(${rejected}{${INGESTOR}}[$__range]))`, 'rejected')],
    }))

    .withRow(row('Transactions'))
    .withPanel(timeseriesPanel({
      title: 'Transactions accepted by type',
      description: 'Transactions accepted per second, by transaction type (purchase, debit, credit, transfer, withdrawal, refund).',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [prom(`sum by (transaction_type) (${rate(tx, 'accepted')})`, '{{transaction_type}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Transactions accepted by currency',
      description: 'Transactions accepted per second, by currency.',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [prom(`sum by (currency) (${rate(tx, 'accepted')})`, '{{currency}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Transactions accepted by region',
      description: 'Transactions accepted per second, by region.',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [prom(`sum by (region) (${rate(tx, 'accepted')})`, '{{region}}')],
    }))
    .withPanel(tablePanel({
      title: 'Transactions by type, currency and region',
      description: 'Transactions accepted over the selected time range, one row per type, currency and region, largest first.',
      unit: units.Short,
      w: 24,
      queries: [promTable(`sum by (transaction_type, currency, region) (${total(tx, 'accepted')})`)],
    }))

    .withRow(row('Claims'))
    .withPanel(timeseriesPanel({
      title: 'Claims accepted by type',
      description: 'Insurance claims accepted per second, by claim type (auto, home, health, life, travel).',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [prom(`sum by (claim_type) (${rate(claims, 'accepted')})`, '{{claim_type}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Claims accepted by status',
      description: 'Insurance claims accepted per second, by the claim status they arrived with (submitted, under_review, approved, rejected).',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [prom(`sum by (claim_status) (${rate(claims, 'accepted')})`, '{{claim_status}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Claims accepted by region',
      description: 'Insurance claims accepted per second, by region.',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [prom(`sum by (region) (${rate(claims, 'accepted')})`, '{{region}}')],
    }))

    .withRow(row('Transaction amounts'))
    .withPanel(heatmapPanel({
      title: 'Transaction amounts',
      description: "How many accepted transactions fell in each amount bucket (1 to 100,000, in the transaction's currency units) over time. Pick one currency: amounts in different currencies are not comparable. No region filter: the histogram has no region.",
      unit: units.Short,
      yUnit: units.Short,
      queries: [
        prom(`sum by (le) (increase(${amount.bucket}{${AMOUNT}}[$__rate_interval]))`, '{{le}}')
          .format(prometheus.PromQueryFormat.Heatmap),
      ],
    }))
    .withPanel(timeseriesPanel({
      title: 'Amount percentiles by currency',
      description: 'Median and 95th percentile of accepted transaction amounts, per currency, interpolated from the buckets. Dashed line: 10,000, the default high_amount fraud threshold.',
      unit: units.Short,
      thresholds: [[null, 'green'], [10000, 'red']],
      queries: [
        prom(`histogram_quantile(0.5, sum by (le, currency) (rate(${amount.bucket}{${AMOUNT}}[$__rate_interval])))`, 'p50 {{currency}}'),
        prom(`histogram_quantile(0.95, sum by (le, currency) (rate(${amount.bucket}{${AMOUNT}}[$__rate_interval])))`, 'p95 {{currency}}'),
      ],
    }))

    .withRow(row('Rejections and duplicates'))
    .withPanel(timeseriesPanel({
      title: 'Rejected records by reason',
      description: 'Records refused per second, by record type and reason (missing_field, invalid_field, unknown_currency, conflict, ...). No region filter: the counter has no region.',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      thresholds: [[null, 'green'], [1, 'orange']],
      queries: [prom(`sum by (record_type, reason) (rate(${rejected}{${INGESTOR}}[$__rate_interval]))`, '{{record_type}} {{reason}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Duplicates by region',
      description: 'Records sent again with the same id and content (outcome="duplicate"), per second, by record kind and region. Retries after timeouts show up here.',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [
        prom(`sum by (region) (${rate(tx, 'duplicate')})`, 'transactions {{region}}'),
        prom(`sum by (region) (${rate(claims, 'duplicate')})`, 'claims {{region}}'),
      ],
    }))
    .withPanel(statPanel({
      title: 'Records stored',
      description: 'Records committed in the store of each selected instance, by record type (the ingest.store.records gauge).',
      unit: units.Short,
      w: 8,
      h: 8,
      queries: [promInstant(`sum by (record_type) (${stored}{${INGESTOR}})`, '{{record_type}}')],
    }))
    .build();
}
