// Calling an API from the portal: an approved API is served by its group's local gateway
// (started by `gatehouse serve`); a consumer subscribes, and the operation's try-it console
// sends the request through the gateway with the application's token and shows the answer.
import { test, expect } from '@playwright/test';
import { creator, hydrated, publisher, rest, signUp } from './helpers';

test('a consumer calls an operation through the gateway from the try-it console', async ({ page, request }) => {
  // The backend is Gatehouse's own health endpoint: a real HTTP service on this machine.
  const baseURL = test.info().project.use.baseURL as string;
  const definition = `openapi: 3.0.3
info:
  title: Health Check
  version: 1.0.0
servers:
  - url: ${baseURL}
paths:
  /healthz:
    get:
      summary: Is it up
      responses:
        '200':
          description: ok
`;
  await rest(request, publisher.token, 'POST', '/gateway-groups', { name: 'tryit-apis', host: 'tryit.example.com' });
  const api = await rest(request, creator.token, 'POST', '/apis/import?context=/health/v1', definition, 'application/yaml');
  await rest(request, creator.token, 'PUT', `/apis/${api.id}/group`, { group: 'tryit-apis' });
  await rest(request, creator.token, 'POST', `/apis/${api.id}/revisions`, {});
  const approval = await rest(request, creator.token, 'POST', '/approvals', { api_id: api.id, revision: 1 });
  await rest(request, publisher.token, 'POST', `/approvals/${approval.id}/approve`, {});

  await signUp(page, 'tryit');
  await page.goto('/applications');
  await hydrated(page);
  await page.getByLabel('Name').first().fill('Monitor');
  await page.getByRole('button', { name: 'Create application' }).click();
  await expect(page.locator('[data-testid="application"][data-name="Monitor"]')).toBeVisible();

  await page.goto(`/portal/apis/${api.id}`);
  await hydrated(page);
  await page.getByTestId('subscribe-tier').selectOption('Gold');
  await page.getByTestId('subscribe-button').click();
  await expect(page.getByTestId('subscribed')).toContainText('Monitor is subscribed with tier Gold');

  const operation = page.getByTestId('reference-operation').first();
  await operation.locator('summary').click();
  await operation.getByTestId('try-open').click();
  await expect(operation.getByTestId('try-application')).toContainText('Monitor');
  // The group's gateway starts within a few seconds of the group's creation; send until it answers.
  await expect(async () => {
    await operation.getByTestId('try-send').click();
    await expect(operation.getByTestId('try-status')).toHaveText('200', { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await expect(operation.getByTestId('try-body')).toContainText('ok');
  await expect(operation.getByTestId('try-result')).toContainText('/health/v1/healthz');
});
