// Analytics from real traffic: calls go through the group's local gateway (a consumer's from the
// try-it console, anonymous ones straight to the gateway); the publisher's overview draws the
// charts, the range picker redraws them, CSV downloads, an alert on the traffic fires; a
// consumer sees only their applications.
import { test, expect, type Page } from '@playwright/test';
import { creator, deployHealthApi, hydrated, publisher, signIn, signUp, subscribeAndTry } from './helpers';
import { readFile } from 'node:fs/promises';

async function totalRequests(page: Page) {
  return Number(await page.getByTestId('total-requests').textContent());
}

test('dashboards show gateway traffic, by range, as CSV, and scoped to the viewer', async ({ page, request, browser }) => {
  test.setTimeout(120_000);
  const { api, group } = await deployHealthApi(request, test.info().project.use.baseURL as string, 'analytics-apis', '/status/v1', 'Status Board');

  // A consumer subscribes and calls the API three times from the try-it console.
  await signUp(page, 'analytics');
  const operation = await subscribeAndTry(page, api.id, 'Status widget');
  for (let i = 0; i < 2; i++) {
    await operation.getByTestId('try-send').click();
    await expect(operation.getByTestId('try-status')).toHaveText('200');
  }
  // Two calls without a credential, straight to the gateway: auth failures, no application.
  for (let i = 0; i < 2; i++) {
    const anonymous = await request.get(`http://127.0.0.1:${group.port}/status/v1/healthz`);
    expect(anonymous.status()).toBe(401);
  }

  // The gateway flushes its events every 500 ms; let the last batch land.
  await page.waitForTimeout(1500);

  // The publisher's overview: every chart drawn, with its series.
  const publisherContext = await browser.newContext();
  const board = await publisherContext.newPage();
  await signIn(board, publisher.email, publisher.password);
  await expect(async () => {
    await board.goto('/analytics?range=1h');
    expect(await totalRequests(board)).toBeGreaterThanOrEqual(5);
  }).toPass({ timeout: 20_000 });
  await hydrated(board);
  const traffic = board.locator('[data-panel="traffic"] svg');
  await expect(traffic).toHaveAttribute('data-series', '5');
  await expect(board.locator('[data-panel="latency"] svg')).toHaveAttribute('data-series', '4');
  await expect(board.locator('[data-panel="top_apis"] svg')).toContainText('Status Board');
  expect(await traffic.locator('polygon, path').count()).toBeGreaterThan(0);
  await expect(board.getByTestId('chart')).toHaveCount(10);
  const publisherTotal = await totalRequests(board);

  // The range picker redraws the charts with other buckets.
  const hourly = await traffic.innerHTML();
  await board.getByTestId('range-picker').getByRole('link', { name: '24 hours' }).click();
  await expect(board).toHaveURL(/range=24h/);
  await expect(board.getByTestId('range-picker').getByRole('link', { name: '24 hours' })).toHaveAttribute('aria-current', 'page');
  await expect(async () => expect(await board.locator('[data-panel="traffic"] svg').innerHTML()).not.toEqual(hourly)).toPass({ timeout: 10_000 });

  const dayTotal = await totalRequests(board);
  expect(dayTotal).toBeGreaterThanOrEqual(publisherTotal);

  // Each chart's data downloads as CSV.
  const download = board.waitForEvent('download');
  await board.locator('[data-panel="traffic"]').getByTestId('csv').click();
  const csv = await readFile(await (await download).path(), 'utf8');
  const [header, ...rows] = csv.trim().split('\n');
  expect(header.startsWith('bucket_start,requests,success,client_error,server_error,throttled,auth_failure')).toBeTruthy();
  expect(rows.reduce((sum, row) => sum + Number(row.split(',')[1]), 0)).toBe(dayTotal);

  // An alert on the API's auth failures: checked when added, it fires at once (two anonymous
  // calls in the last hour), and the history says so; removed, it is gone.
  await expect(board.getByTestId('alerts-summary')).toContainText('0 defined, none firing.');
  await board.getByTestId('alerts-link').click();
  await expect(board).toHaveURL(/\/analytics\/alerts$/);
  await hydrated(board);
  const form = board.getByTestId('new-alert');
  await form.getByLabel('Name').fill('Status auth failures');
  await form.getByLabel('Traffic of').selectOption(api.id);
  await form.getByLabel('Metric').selectOption('auth_failures');
  await form.getByLabel('Threshold').fill('1');
  await form.getByLabel('Over the last').selectOption('60');
  await form.getByRole('button', { name: 'Add alert' }).click();
  const row = board.getByTestId('alert').filter({ hasText: 'Status auth failures' });
  await expect(row).toContainText('Status Board');
  await expect(row).toContainText('Auth failures above 1 request over 1 hour');
  await expect(row.getByTestId('alert-state')).toContainText(/Firing since .* \(\d+ requests\)/);
  await expect(board.getByTestId('alert-history')).toContainText('Status auth failures');
  // The dashboards say which alerts fire.
  await board.getByRole('link', { name: '← Analytics' }).click();
  await expect(board.getByTestId('alerts-summary')).toContainText('1 firing: Status auth failures.');
  await board.getByTestId('alerts-link').click();
  await hydrated(board);
  // A threshold the metric cannot take is refused, saying which.
  await form.getByLabel('Name').fill('Impossible');
  await form.getByLabel('Metric').selectOption('error_rate');
  await form.getByLabel('Threshold').fill('150');
  await form.getByRole('button', { name: 'Add alert' }).click();
  await expect(board.getByRole('alert')).toContainText('a percentage cannot be above 100');
  await row.getByRole('button', { name: 'Remove alert Status auth failures' }).click();
  await expect(board.getByText('No alerts yet.')).toBeVisible();
  await publisherContext.close();

  // The API's creator watches it too: their own APIs to choose from, not every API's traffic.
  const creatorContext = await browser.newContext();
  const owner = await creatorContext.newPage();
  await signIn(owner, creator.email, creator.password);
  await owner.goto('/analytics/alerts');
  await hydrated(owner);
  const choices = owner.getByTestId('new-alert').getByLabel('Traffic of').locator('option');
  await expect(choices.filter({ hasText: 'Status Board' })).toHaveCount(1);
  await expect(choices.filter({ hasText: 'Every API' })).toHaveCount(0);
  await creatorContext.close();

  // The consumer sees their application's calls only (not the anonymous ones).
  await page.goto('/analytics?range=1h');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: "My applications' usage" })).toBeVisible();
  const own = await totalRequests(page);
  expect(own).toBeGreaterThanOrEqual(3);
  expect(own).toBeLessThanOrEqual(publisherTotal - 2);
  await expect(page.locator('[data-panel="tier_usage"] svg')).toContainText('Status widget');

  // Another consumer has no traffic at all.
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await signUp(other, 'analytics-other');
  await other.goto('/analytics?range=1h');
  await expect(other.getByTestId('total-requests')).toHaveText('0');
  // No empty charts: one panel says what would fill them.
  await expect(other.getByTestId('no-traffic')).toContainText('No calls from your applications in this range.');
  await expect(other.getByTestId('no-traffic').getByRole('link', { name: 'Browse the portal' })).toBeVisible();
  await expect(other.getByTestId('chart')).toHaveCount(0);
  // Alerts are the publishers': a consumer gets no link and the page says why.
  await expect(other.getByTestId('alerts-link')).toHaveCount(0);
  await other.goto('/analytics/alerts');
  await expect(other.getByTestId('forbidden')).toBeVisible();
  await otherContext.close();
});
