// Every tab of an API's workspace, loaded directly by URL, hydrates without an error — a
// hydration mismatch panics the wasm and leaves a page that no longer reacts — and the two
// tabs that load in the browser (the docs list, the source view's as-you-type check) work; so
// does a large API's portal page, whose operations load in the browser as they are opened.
import { test, expect, type Page } from '@playwright/test';
import { creator, hydrated, publisher, rest, signIn } from './helpers';

const DEFINITION = `openapi: 3.0.3
info:
  title: Hydration Check
  version: 1.0.0
servers:
  - url: http://127.0.0.1:9/h
paths:
  /things:
    get:
      summary: List things
      responses:
        '200':
          description: ok
`;

const TABS = ['overview', 'design', 'source', 'settings', 'docs', 'revisions', 'deploy', 'lifecycle', 'versions'];

function collectErrors(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message.slice(0, 300)}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`${page.url()}: ${m.text().slice(0, 300)}`);
  });
  return errors;
}

test('every tab of an API page hydrates when opened by its URL, and the browser-loaded parts work', async ({ page, request }) => {
  const imported = await rest(request, creator.token, 'POST', '/apis/import?context=/hydration/v1', DEFINITION, 'application/yaml');
  await rest(request, creator.token, 'POST', `/apis/${imported.id}/revisions`, { note: 'first' });
  const errors = collectErrors(page);
  await signIn(page, creator.email, creator.password);
  // Twice over: the mismatches this guards against did not happen on every load.
  for (let round = 0; round < 2; round++) {
    for (const tab of TABS) {
      await page.goto(`/publisher/apis/${imported.id}?tab=${tab}`);
      await hydrated(page);
    }
  }
  expect(errors).toEqual([]);

  // An operation's editor opened by its URL loads its form in the browser.
  await page.goto(`/publisher/apis/${imported.id}?tab=design&op=${encodeURIComponent('GET /things')}`);
  await hydrated(page);
  await expect(page.getByTestId('op-summary')).toHaveValue('List things');

  // The docs list arrives after hydration, and again after a page is written.
  await page.goto(`/publisher/apis/${imported.id}?tab=docs`);
  await hydrated(page);
  await expect(page.getByText('No pages yet.')).toBeVisible();
  // Never deployed: the page says its pages go with the next revision.
  await expect(page.getByTestId('docs-shown')).toContainText('Pages go with the next revision');
  await page.getByLabel('Title').fill('Getting started');
  await page.getByLabel('Markdown').fill('Call **GET /things**.');
  await page.getByRole('button', { name: 'Save page' }).click();
  await expect(page.getByTestId('doc-page')).toContainText('Getting started');
  // Edit loads the page into the form; saving rewrites that page rather than adding one.
  await expect(page.getByLabel('Title')).toHaveValue('');
  await page.getByTestId('edit-doc').click();
  await expect(page.getByLabel('Markdown')).toHaveValue('Call **GET /things**.');
  await page.getByLabel('Title').fill('First steps');
  await page.getByLabel('Markdown').fill('Call **GET /things** first.');
  await page.getByRole('button', { name: 'Save page' }).click();
  await expect(page.getByTestId('doc-page')).toHaveCount(1);
  await expect(page.getByTestId('doc-page')).toContainText('First steps');
  await expect(page.getByTestId('doc-page')).toContainText('Call GET /things first.');

  // The source view checks what is typed, a moment after typing stops.
  await page.goto(`/publisher/apis/${imported.id}?tab=source`);
  await hydrated(page);
  await page.getByTestId('source-editor').fill('openapi: 3.0.3\ninfo:\n  title: Broken\n  version: 1.0.0\npaths:\n  /x:\n    get:\n      responses:\n        "200":\n          $ref: "#/components/responses/Missing"\n');
  await expect(page.getByTestId('source-validation')).toContainText('This definition would be refused');
  expect(errors).toEqual([]);
});

test('a large API\'s portal page starts from an outline and loads an operation as it is opened', async ({ page, request }) => {
  // Over the 100 operations a page sends whole (PortalApi::WHOLE_UP_TO).
  const paths: Record<string, unknown> = {};
  for (let n = 0; n < 120; n++) {
    paths[`/items/${n}/{itemId}`] = {
      get: {
        summary: `Read item ${n}`,
        description: `Reads **item** ${n}.`,
        parameters: [{ name: 'itemId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'the item', content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } } },
      },
    };
  }
  const definition = {
    openapi: '3.0.3',
    info: { title: 'Large Reference', version: '1.0.0' },
    servers: [{ url: 'http://127.0.0.1:9/large' }],
    paths,
    components: {
      schemas: {
        Item: { type: 'object', properties: { label: { type: 'string' }, keeper: { $ref: '#/components/schemas/Keeper' } } },
        Keeper: { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
      },
    },
  };
  const imported = await rest(request, creator.token, 'POST', '/apis/import?context=/large/v1', JSON.stringify(definition), 'application/yaml');
  await rest(request, publisher.token, 'POST', `/apis/${imported.id}/lifecycle`, { action: 'publish' });

  // The page itself carries each operation's line, not its details.
  const served = await (await request.get(`/portal/apis/${imported.id}`)).text();
  expect(served).toContain('Read item 7');
  expect(served).not.toContain('Reads');

  const errors = collectErrors(page);
  const loads: string[] = [];
  page.on('request', (r) => { if (r.url().includes('load_portal_operation')) loads.push(r.url()); });
  await page.goto(`/portal/apis/${imported.id}`);
  await hydrated(page);
  await expect(page.getByTestId('reference-operation')).toHaveCount(120);
  const operation = page.getByTestId('reference-operation').filter({ hasText: '/items/7/{itemId}' });
  await operation.locator('summary').click();
  await expect(operation.locator('.markdown')).toContainText('Reads item 7.');
  await expect(operation.getByTestId('operation-security')).toBeVisible();
  await expect(operation.locator('table')).toContainText('itemId');
  // The schema it answers with, and the one reached through it, resolved.
  await expect(operation).toContainText('Item');
  await expect(operation).toContainText('Keeper');
  await expect(operation).toContainText('email');
  // Closed and opened again, it stays as loaded.
  await operation.locator('summary').click();
  await operation.locator('summary').click();
  await expect(operation.locator('.markdown')).toContainText('Reads item 7.');
  await page.waitForLoadState('networkidle');
  expect(loads).toHaveLength(1);
  expect(errors).toEqual([]);
});
