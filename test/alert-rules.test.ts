// The alert rules are valid, and their unit tests (ops/prometheus/alerts.test.yml) pass: each alert
// fires on the series that mean trouble and stays quiet before. test/business-metrics.test.ts feeds a
// really induced payout escalation through the same rules.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ALERT_RULES_PATH, promtool } from './support/promtool';

test('the alert rules pass promtool check and their unit tests', async () => {
  assert.match(await promtool(['check', 'rules', ALERT_RULES_PATH]), /SUCCESS: 7 rules found/);
  assert.match(await promtool(['test', 'rules', fileURLToPath(new URL('../ops/prometheus/alerts.test.yml', import.meta.url))]), /SUCCESS/);
});
