import { expect, type APIRequestContext, type Page } from '@playwright/test';

export const admin = {
  email: process.env.E2E_ADMIN_EMAIL ?? 'admin@e2e.test',
  password: process.env.E2E_ADMIN_PASSWORD ?? 'e2e-admin-password',
};

export const creator = { email: 'creator@e2e.test', password: process.env.E2E_CREATOR_PASSWORD ?? '', token: process.env.E2E_CREATOR_TOKEN ?? '' };
export const publisher = { email: 'publisher@e2e.test', password: process.env.E2E_PUBLISHER_PASSWORD ?? '', token: process.env.E2E_PUBLISHER_TOKEN ?? '' };

type Watched = Page & { gatehouseErrors?: string[] };

/** Prints browser-side panics and errors into the test output, once per page, and keeps the
 * uncaught ones (a wasm panic ends in one) for `hydrated` to refuse. */
function watchErrors(page: Page): string[] {
  const watched = page as Watched;
  if (watched.gatehouseErrors) return watched.gatehouseErrors;
  const uncaught: string[] = [];
  watched.gatehouseErrors = uncaught;
  page.on('pageerror', (e) => {
    console.log(`browser error on ${page.url()}: ${e.message.slice(0, 500)}`);
    uncaught.push(`${page.url()}: ${e.message.slice(0, 300)}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) console.log(`browser console on ${page.url()}: ${m.text().slice(0, 300)}`);
  });
  return uncaught;
}

/** Waits until the wasm has hydrated the page, so client-side handlers are attached, and fails
 * if the page has raised an uncaught error (a hydration mismatch panics the wasm, after which
 * the page no longer reacts, though its server-rendered forms still post). */
export async function hydrated(page: Page) {
  const uncaught = watchErrors(page);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  // Resources still loading after hydration can replace the nodes a test is about to click.
  await page.waitForLoadState('networkidle');
  expect(uncaught, 'the browser raised no uncaught error').toEqual([]);
}

export function uniqueEmail(prefix: string) {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@e2e.test`;
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/signin');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toContainText(email);
}

/** Signs up a new consumer in the browser and returns their email. */
export async function signUp(page: Page, prefix: string) {
  const email = uniqueEmail(prefix);
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.locator('input[name="password"]').fill('a long enough password');
  await page.locator('input[name="password_again"]').fill('a long enough password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('who')).toContainText(email);
  return email;
}

/** A REST call with a personal access token, for set-up a spec does not test in the UI. */
export async function rest(request: APIRequestContext, token: string, method: string, path: string, data?: unknown, contentType = 'application/json') {
  const response = await request.fetch(`/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
    data: typeof data === 'string' ? data : data === undefined ? undefined : JSON.stringify(data),
  });
  expect(response.ok(), `${method} ${path}: ${await response.text()}`).toBeTruthy();
  return response.status() === 204 ? null : response.json();
}

/**
 * Imports a one-operation API whose backend is Gatehouse's own /healthz (a real HTTP service
 * on this machine) into a new gateway group, and approves it. Returns the API and the group.
 */
export async function deployHealthApi(request: APIRequestContext, baseURL: string, group: string, context: string, title: string) {
  const definition = `openapi: 3.0.3
info:
  title: ${title}
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
  return deployApi(request, group, context, definition);
}

/**
 * Imports `definition` (YAML) at `context` into a new gateway group with a local gateway, and
 * approves its first revision. Returns the API and the group.
 */
export async function deployApi(
  request: APIRequestContext,
  group: string,
  context: string,
  definition: string,
  // Changes the imported API's policies before its first revision is cut.
  changePolicies?: (policies: any) => void,
) {
  const created = await rest(request, publisher.token, 'POST', '/gateway-groups', { name: group, host: `${group}.example.com` });
  const api = await rest(request, creator.token, 'POST', `/apis/import?context=${context}`, definition, 'application/yaml');
  if (changePolicies) {
    const detail = await rest(request, creator.token, 'GET', `/apis/${api.id}`);
    changePolicies(detail.policies);
    await rest(request, creator.token, 'PUT', `/apis/${api.id}/settings`, {
      context: detail.context,
      description: detail.description,
      tags: detail.tags,
      visibility: detail.visibility,
      endpoints: detail.endpoints,
      policies: detail.policies,
      edit_version: detail.edit_version,
    });
  }
  await rest(request, creator.token, 'PUT', `/apis/${api.id}/group`, { group });
  await rest(request, creator.token, 'POST', `/apis/${api.id}/revisions`, {});
  const approval = await rest(request, creator.token, 'POST', '/approvals', { api_id: api.id, revision: 1 });
  await rest(request, publisher.token, 'POST', `/approvals/${approval.id}/approve`, {});
  return { api, group: created };
}

/**
 * The signed-in consumer, who has no application yet, creates `application` in the API's
 * subscribe panel and subscribes it with Gold.
 */
export async function subscribe(page: Page, apiId: string, application: string) {
  await page.goto(`/portal/apis/${apiId}`);
  await hydrated(page);
  // A consumer with no application yet creates its first one in the subscribe panel.
  const first = page.getByTestId('first-application');
  await first.getByLabel('Application name').fill(application);
  await first.getByRole('button', { name: 'Create application' }).click();
  await expect(page.getByTestId('subscribe-application').locator('option:checked')).toHaveText(application);
  await page.getByTestId('subscribe-tier').selectOption('Gold');
  await page.getByTestId('subscribe-button').click();
  await expect(page.getByTestId('subscribed')).toContainText(`${application} is subscribed with tier Gold`);
}

/**
 * [subscribe], then opens the first operation's try-it console and sends until the group's
 * gateway answers 200 (it starts within seconds of the group's creation). Returns the
 * operation's locator.
 */
export async function subscribeAndTry(page: Page, apiId: string, application: string) {
  await subscribe(page, apiId, application);
  const operation = page.getByTestId('reference-operation').first();
  await operation.locator('summary').click();
  await operation.getByTestId('try-open').click();
  // The console picks the subscribed application by itself (selected, not only listed).
  await expect(operation.getByTestId('try-application').locator('option:checked')).toHaveText(application);
  await expect(async () => {
    await operation.getByTestId('try-send').click();
    await expect(operation.getByTestId('try-status')).toHaveText('200', { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  return operation;
}
