// Subscribing in a real browser: a consumer subscribes an application with Gold from the API's
// portal page, gets a token with curl that carries the subscription, and a subscription with a
// tier that needs approval waits until a publisher approves it in the approval queue, and so
// does moving the first application up to that tier; a publisher suspends one application's
// subscription and resumes it.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { creator, hydrated, publisher, rest, signIn, signUp } from './helpers';

const DEFINITION = `openapi: 3.0.3
info:
  title: Weather Forecasts
  version: 1.0.0
  description: Forecasts by city.
servers:
  - url: http://127.0.0.1:9/weather
paths:
  /forecasts/{city}:
    get:
      summary: Forecast for a city
      parameters:
        - name: city
          in: path
          required: true
          schema: { type: string }
      responses:
        '200':
          description: ok
          content:
            application/json:
              example: { city: Oslo, celsius: 4 }
`;

test('a consumer subscribes with Gold, gets a token with curl, and an approval-tier subscription waits for a publisher', async ({ page, request, browser }) => {
  // Set-up through REST (tested elsewhere): a tier that needs approval, a published API offering it and Gold.
  await rest(request, publisher.token, 'POST', '/tiers', { name: 'Partner', requests_per_minute: 20000, description: 'For partners', needs_approval: true });
  const imported = await rest(request, creator.token, 'POST', '/apis/import?context=/weather/v1', DEFINITION, 'application/yaml');
  const detail = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  await rest(request, creator.token, 'PUT', `/apis/${imported.id}/settings`, {
    context: detail.context, description: 'Forecasts by city', tags: ['weather'], visibility: 'public',
    endpoints: detail.endpoints, policies: { ...detail.policies, tiers: ['Gold', 'Partner'] }, edit_version: detail.edit_version,
  });
  await rest(request, publisher.token, 'POST', `/apis/${imported.id}/lifecycle`, { action: 'publish' });

  // The consumer signs up, creates two applications and subscribes the first with Gold.
  await signUp(page, 'subscriber');
  for (const name of ['Weather app', 'Partner app']) {
    await page.goto('/applications');
    await hydrated(page);
    await page.getByLabel('Name').first().fill(name);
    await page.getByRole('button', { name: 'Create application' }).click();
    await expect(page.locator(`[data-testid="application"][data-name="${name}"]`)).toBeVisible();
  }
  await page.goto(`/portal/apis/${imported.id}`);
  await hydrated(page);
  const panel = page.getByTestId('subscribe');
  await expect(panel).toContainText('Partner');
  await expect(panel).toContainText('needs approval');
  await panel.getByTestId('subscribe-application').selectOption({ label: 'Weather app' });
  await panel.getByTestId('subscribe-tier').selectOption('Gold');
  await panel.getByTestId('subscribe-button').click();
  await expect(page.getByTestId('subscribed')).toContainText('Weather app is subscribed with tier Gold');

  // The second application asks for Partner, which waits for approval.
  await panel.getByTestId('subscribe-application').selectOption({ label: 'Partner app' });
  await panel.getByTestId('subscribe-tier').selectOption('Partner');
  await panel.getByTestId('subscribe-button').click();
  await expect(page.getByTestId('subscribed')).toContainText('a publisher must approve it');

  // The dashboard shows both, and the client secret for the Gold subscription.
  await page.goto('/applications');
  await hydrated(page);
  const weather = page.locator('[data-testid="application"][data-name="Weather app"]');
  await expect(weather.getByTestId('subscription-status')).toHaveText('active');
  const partner = page.locator('[data-testid="application"][data-name="Partner app"]');
  await expect(partner.getByTestId('subscription-status')).toHaveText('waiting for approval');
  await weather.getByTestId('generate-secret').click();
  const shown = page.getByTestId('new-client-secret');
  const clientId = (await shown.getByTestId('client-id').innerText()).trim();
  const secret = (await shown.getByTestId('client-secret').innerText()).trim();

  // The curl command the page shows, run as copied into a shell.
  const command = (await shown.getByTestId('token-command').innerText()).trim();
  expect(command).toContain(`${clientId}:${secret}`);
  const answer = JSON.parse(execFileSync('sh', ['-c', `${command} -fsS`]).toString());
  expect(answer.token_type).toBe('Bearer');
  const claims = JSON.parse(Buffer.from(answer.access_token.split('.')[1], 'base64url').toString());
  expect(claims.subscriptions).toEqual([{ api_id: imported.id, tier: 'Gold' }]);

  // A publisher approves the Partner request in the queue.
  const reviewer = await browser.newPage();
  await signIn(reviewer, publisher.email, publisher.password);
  await reviewer.goto('/publisher/approvals');
  await hydrated(reviewer);
  const requestCard = reviewer.locator('[data-testid="approval-request"][data-kind="subscription"]');
  await expect(requestCard.getByTestId('request-application')).toHaveText('Partner app');
  await expect(requestCard.getByTestId('request-tier')).toHaveText('Partner');
  await requestCard.getByTestId('approve').click();
  await expect(reviewer.getByTestId('approved')).toContainText('Partner app may now call Weather Forecasts 1.0.0 with tier Partner');

  await page.reload();
  await hydrated(page);
  await expect(page.locator('[data-testid="application"][data-name="Partner app"]').getByTestId('subscription-status')).toHaveText('active');

  // Weather app moves up to Partner from the API page: the request waits for a publisher while
  // calls go on at Gold, and once approved the dashboard shows the new tier.
  await page.goto(`/portal/apis/${imported.id}`);
  await hydrated(page);
  const again = page.getByTestId('subscribe');
  // The tier select starts at the tier the chosen application has.
  await again.getByTestId('subscribe-application').selectOption({ label: 'Partner app' });
  await expect(again.getByTestId('subscribe-tier').locator('option:checked')).toHaveText('Partner');
  await again.getByTestId('subscribe-application').selectOption({ label: 'Weather app' });
  await expect(again.getByTestId('subscribe-button')).toHaveText('Change tier');
  await expect(again.getByTestId('subscribe-tier').locator('option:checked')).toHaveText('Gold');
  await again.getByTestId('subscribe-tier').selectOption('Partner');
  await again.getByTestId('subscribe-button').click();
  await expect(page.getByTestId('tier-changed')).toContainText('Weather app asked for tier Partner: calls go on at Gold');
  await expect(again.getByTestId('my-subscriptions')).toContainText('Gold (asked for Partner)');
  await reviewer.reload();
  await hydrated(reviewer);
  const change = reviewer.locator('[data-testid="approval-request"][data-kind="subscription"]');
  await expect(change.getByTestId('request-application')).toHaveText('Weather app');
  await expect(change.getByTestId('request-tier')).toHaveText('Partner (now Gold)');
  await change.getByTestId('approve').click();
  await expect(reviewer.getByTestId('approved')).toContainText('Weather app may now call Weather Forecasts 1.0.0 with tier Partner');
  await page.goto('/applications');
  await hydrated(page);
  await expect(page.locator('[data-testid="application"][data-name="Weather app"]').getByTestId('subscription-tier')).toHaveText('Partner');

  // The publisher sees who subscribes, with each application's owner, and suspends one,
  // saying why; the consumer reads the reason and cannot unsubscribe round it.
  await reviewer.goto(`/publisher/apis/${imported.id}?tab=subscribers`);
  await hydrated(reviewer);
  const row = reviewer.getByTestId('subscriber').filter({ hasText: 'Partner app' });
  await expect(row).toContainText('@');
  await expect(row).toContainText('Partner');
  await row.getByLabel('Why suspend Partner app').fill('the partner contract has ended');
  await row.getByTestId('suspend').click();
  await expect(row.getByTestId('subscriber-status')).toContainText('suspended by a publisher');
  await expect(row.getByTestId('subscriber-status')).toContainText('the partner contract has ended');
  await page.reload();
  await hydrated(page);
  const suspended = page.locator('[data-testid="application"][data-name="Partner app"]').getByTestId('subscription');
  await expect(suspended.getByTestId('subscription-status')).toHaveText('suspended by a publisher');
  await expect(suspended).toContainText('the partner contract has ended');
  await expect(suspended.getByRole('button', { name: 'Unsubscribe' })).toHaveCount(0);
  // Only publishers suspend (the creator who owns the API is refused), and resuming restores it.
  const weatherSub = (await rest(request, publisher.token, 'GET', `/subscriptions?api_id=${imported.id}`)).items.find((s: { application_name: string }) => s.application_name === 'Weather app');
  const refused = await request.post(`/api/v1/subscriptions/${weatherSub.id}/suspend`, { headers: { authorization: `Bearer ${creator.token}` }, data: { reason: 'no' } });
  expect(refused.status()).toBe(403);
  await row.getByTestId('resume').click();
  await expect(row.getByTestId('subscriber-status')).toHaveText('active');
  await page.reload();
  await hydrated(page);
  await expect(page.locator('[data-testid="application"][data-name="Partner app"]').getByTestId('subscription-status')).toHaveText('active');
});
