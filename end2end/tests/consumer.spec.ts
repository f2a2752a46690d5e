// A consumer's side in a real browser: sign up, create an application, generate a client
// secret (shown once) and exchange it at /oauth2/token for a signed access token.
import { test, expect } from '@playwright/test';
import { hydrated, signUp } from './helpers';

test('a consumer gets client credentials and a token', async ({ page, request }) => {
  await signUp(page, 'consumer');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
  await hydrated(page);
  await page.getByLabel('Name').first().fill('Online store');
  await page.getByRole('button', { name: 'Create application' }).click();
  const card = page.locator('[data-testid="application"][data-name="Online store"]');
  await expect(card).toBeVisible();
  await expect(page.getByLabel('Name').first()).toHaveValue('');
  await card.getByTestId('generate-secret').click();
  const shown = page.getByTestId('new-client-secret');
  const clientId = (await shown.getByTestId('client-id').innerText()).trim();
  const secret = (await shown.getByTestId('client-secret').innerText()).trim();
  expect(clientId).toMatch(/^ghc_/);
  expect(secret).toMatch(/^ghs_/);
  await expect(card).toContainText(clientId);
  await expect(card).not.toContainText(secret);

  const answer = await request.post('/oauth2/token', {
    form: { grant_type: 'client_credentials' },
    headers: { Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
  expect(answer.status()).toBe(200);
  const body = await answer.json();
  expect(body.token_type).toBe('Bearer');
  expect(body.access_token.split('.')).toHaveLength(3);
  const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
  expect(claims.aud).toBe('gatehouse-gateways');

  // Regenerated with an overlap: the old secret works beside the new one for an hour, so the
  // software using it can be moved over without a failed call.
  await card.getByTestId('keep-previous').selectOption('3600');
  await card.getByTestId('generate-secret').click();
  await expect(shown.getByTestId('previous-secret-until')).toContainText('The previous secret works too until');
  const renewed = (await shown.getByTestId('client-secret').innerText()).trim();
  expect(renewed).not.toBe(secret);
  await expect(card.getByTestId('previous-secret-works')).toContainText('previous secret works until');
  for (const works of [secret, renewed]) {
    const answer = await request.post('/oauth2/token', {
      form: { grant_type: 'client_credentials' },
      headers: { Authorization: `Basic ${Buffer.from(`${clientId}:${works}`).toString('base64')}` },
    });
    expect(answer.status()).toBe(200);
  }
});
