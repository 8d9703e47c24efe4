// Fraud: flagged records by rule and region, the fraud ratio, the trend against an earlier
// period, and the flagged records' logs and traces.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../../service/src/telemetry/catalog.ts';
import {
  INGESTOR, SERVICE_NAME, customVariable, datasourceVariable, instanceVariable, logQuery, logsPanel, newDashboard, prom,
  promInstant, promTable, regionVariable, row, statPanel, tablePanel, textVariable, timeseriesPanel, traceById, tracesPanel,
} from '../panels.ts';

const flagged = catalog.fraudFlagged.prometheus.series;
const tx = catalog.transactionsIngested.prometheus.series;
const claims = catalog.claimsIngested.prometheus.series;

const SEL = `${INGESTOR}, region=~"$region"`;
const flaggedRate = (range: string, by = '', offset = '') => `sum${by}(rate(${flagged}{${SEL}}[${range}]${offset}))`;
/** Accepted records of both kinds; `or` keeps both metrics' series, whose label sets differ. */
const acceptedRate = (range: string, by = '') =>
  `sum${by}(rate(${tx}{${SEL}, outcome="accepted"}[${range}]) or rate(${claims}{${SEL}, outcome="accepted"}[${range}]))`;
/** Now against `$compare` earlier; `> 0` leaves no value (not +Inf) when there was nothing then. */
const trend = (by = '') => `${flaggedRate('$window', by)} / (${flaggedRate('$window', by, ' offset $compare')} > 0)`;

/** A multiplier: 1.5× means half as many again. */
const TIMES = 'suffix:×';

/** The log line the ingestor writes (at warn, with trace_id) for each flagged record. */
const FLAGGED_LOG = 'record flagged by fraud rules';

export function fraudDashboard(): dashboard.Dashboard {
  return newDashboard('okit-fraud', 'Fraud',
    'Records flagged by the fraud rules, by rule and region; the fraud ratio; whether a wave is growing; and the flagged records\' logs and traces.')
    .withVariable(datasourceVariable())
    // From the transactions counter: fraud.flagged has no series before the first flag.
    .withVariable(instanceVariable(tx))
    .withVariable(regionVariable(tx))
    .withVariable(customVariable('window', 'Window', ['30m', '1h', '6h', '1d'],
      'Window over which the trend panels average the flagged rate.'))
    .withVariable(customVariable('compare', 'Compare with', ['1d', '7d', '30m', '1h', '6h'],
      'How far back the earlier period lies: 1d compares with the same time yesterday; equal to the window compares with the window just before.'))
    .withVariable(textVariable('trace_id', 'Trace id',
      'A trace id to show in the trace panel: copy it from a flagged record\'s log line.'))

    .withRow(row('Now'))
    .withPanel(statPanel({
      title: 'Rule hits',
      description: 'Fraud rule hits over the selected time range. A record flagged by two rules counts twice (fraud.flagged counts once per rule).',
      unit: units.Short,
      thresholds: [[null, 'green'], [1, 'orange']],
      queries: [promInstant(`sum(increase(${flagged}{${SEL}}[$__range]))`, 'rule hits')],
    }))
    .withPanel(statPanel({
      title: 'Fraud ratio',
      description: 'Rule hits per accepted record (transactions and claims) over the last $window. Green under 1%, red from 5%.',
      unit: units.PercentUnit,
      thresholds: [[null, 'green'], [0.01, 'orange'], [0.05, 'red']],
      queries: [promInstant(`${flaggedRate('$window')} / ${acceptedRate('$window')}`, 'ratio')],
    }))
    .withPanel(statPanel({
      title: 'Trend: now vs $compare earlier',
      description: 'Flagged rate over the last $window divided by the same window $compare earlier: above 1× the wave is growing, below 1× it is fading. No value when nothing was flagged then.',
      unit: TIMES,
      thresholds: [[null, 'green'], [1.2, 'orange'], [2, 'red']],
      queries: [promInstant(trend(), 'trend')],
    }))
    .withPanel(statPanel({
      title: 'Flagged rate',
      description: 'Rule hits per second over the last $window.',
      unit: units.RecordsPerSecond,
      queries: [promInstant(flaggedRate('$window'), 'rule hits/s')],
    }))

    .withRow(row('Trend'))
    .withPanel(timeseriesPanel({
      title: 'Flagged rate, now and $compare earlier',
      description: 'Rule hits per second averaged over $window, and the same curve shifted by $compare: where the solid line rises above the earlier one, this wave is bigger than the last.',
      unit: units.RecordsPerSecond,
      queries: [
        prom(flaggedRate('$window'), 'now'),
        prom(flaggedRate('$window', '', ' offset $compare'), '$compare earlier'),
      ],
    }))
    .withPanel(timeseriesPanel({
      title: 'Trend by rule',
      description: 'Per rule, the flagged rate over $window divided by the same rate $compare earlier (1× = unchanged). Dashed lines: 1.2× and 2×. A rule with no hits then draws no line.',
      unit: TIMES,
      min: 0,
      thresholds: [[null, 'green'], [1.2, 'orange'], [2, 'red']],
      queries: [prom(trend(' by (rule) '), '{{rule}}')],
    }))

    .withRow(row('Where'))
    .withPanel(timeseriesPanel({
      title: 'Flagged by rule',
      description: 'Rule hits per second, by rule (high_amount, velocity, high_claim, late_report).',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [prom(flaggedRate('$__rate_interval', ' by (rule) '), '{{rule}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Flagged by region',
      description: 'Rule hits per second, by region.',
      unit: units.RecordsPerSecond,
      stack: true,
      w: 8,
      queries: [prom(flaggedRate('$__rate_interval', ' by (region) '), '{{region}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Fraud ratio by region',
      description: 'Rule hits per accepted record, by region. Dashed lines: 1% and 5%.',
      unit: units.PercentUnit,
      min: 0,
      w: 8,
      thresholds: [[null, 'green'], [0.01, 'orange'], [0.05, 'red']],
      queries: [prom(`${flaggedRate('$__rate_interval', ' by (region) ')} / ${acceptedRate('$__rate_interval', ' by (region) ')}`, '{{region}}')],
    }))
    .withPanel(tablePanel({
      title: 'Rule hits by rule, region and record type',
      description: 'Rule hits over the selected time range, one row per rule, region and record type (transaction, claim), largest first.',
      unit: units.Short,
      w: 24,
      queries: [promTable(`sum by (rule, region, record_type) (increase(${flagged}{${SEL}}[$__range]))`)],
    }))

    .withRow(row('Flagged records: logs and traces'))
    .withPanel(logsPanel({
      title: 'Flagged records (logs)',
      description: [
        `The ingestor's "${FLAGGED_LOG}" log lines (Loki), newest first, with record id, customer, rules and region as`,
        'structured metadata. Each line carries the trace_id of its trace: open the line and follow "Open trace" (the Loki',
        "datasource's derived field) to see it in Tempo, or paste it into the Trace id variable for the panel below.",
      ].join(' '),
      queries: [logQuery(`{service_name="${SERVICE_NAME}"} |= "${FLAGGED_LOG}" | service_instance_id=~"$instance" | region=~"$region"`)],
    }))
    .withPanel(tracesPanel({
      title: 'Trace of a flagged record',
      description: [
        'The trace whose id is in the Trace id variable, from Tempo (nothing to show until one is entered). It is looked up by id because this kit runs Tempo 1.5,',
        'which searches by tag (/api/search?tags=) but has no TraceQL, while Grafana 13 sends every Tempo search as TraceQL',
        '(it migrates the old tag-search query type too), which Tempo 1.5 does not filter by. A flagged record\'s trace has',
        'the fraud.flagged event, or a fraud.flagged span (attribute app.fraud.rules) linked to its unsampled request.',
      ].join(' '),
      queries: [traceById('$trace_id')],
    }))
    .build();
}
