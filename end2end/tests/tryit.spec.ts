// Calling an API from the portal: an approved API is served by its group's local gateway
// (started by `gatehouse serve`); a consumer subscribes, and the operation's try-it console
// sends the request through the gateway with the application's token and shows the answer.
import { test, expect } from '@playwright/test';
import { deployHealthApi, hydrated, signUp, subscribeAndTry } from './helpers';

test('a consumer calls an operation through the gateway from the try-it console', async ({ page, request }) => {
  const { api } = await deployHealthApi(request, test.info().project.use.baseURL as string, 'tryit-apis', '/health/v1', 'Health Check');
  // A visitor is asked to sign in first: the server sends the call for an account.
  await page.goto(`/portal/apis/${api.id}`);
  await hydrated(page);
  const visitor = page.getByTestId('reference-operation').first();
  await visitor.locator('summary').click();
  await visitor.getByTestId('try-open').click();
  await expect(visitor.getByTestId('try-sign-in')).toContainText('Sign in');
  await expect(visitor.getByTestId('try-send')).toHaveCount(0);
  await signUp(page, 'tryit');
  const operation = await subscribeAndTry(page, api.id, 'Monitor');
  await expect(operation.getByTestId('try-body')).toContainText('ok');
  await expect(operation.getByTestId('try-result')).toContainText('/health/v1/healthz');
});
