// The publisher's loop in a real browser: a creator imports a real definition, edits an
// operation in the form view and sees it in the source view, cuts two revisions and compares
// them, exports the project and imports it back; a publisher publishes and deprecates
// (confirming); a consumer reaches none of it, and is sent from the deprecated version to the
// next one once that is published; a draft that never went live is deleted.
import { test, expect } from '@playwright/test';
import path from 'node:path';
import fs from 'node:fs';
import { creator, publisher, hydrated, rest, signIn, uniqueEmail } from './helpers';

const petstore = path.resolve(__dirname, '../../../shared/corpus/openapi/oai-petstore/petstore.yaml');

test('design, revise, review and deprecate an API', async ({ browser }) => {
  expect(fs.existsSync(petstore), `corpus document ${petstore}`).toBe(true);
  const creatorPage = await (await browser.newContext()).newPage();
  await signIn(creatorPage, creator.email, creator.password);

  // Import by upload.
  await creatorPage.goto('/publisher/import');
  await hydrated(creatorPage);
  await creatorPage.getByTestId('import-file').setInputFiles(petstore);
  await creatorPage.getByLabel('Context (optional)').fill('/petstore/v1');
  await creatorPage.getByRole('button', { name: 'Import' }).click();
  const result = creatorPage.getByTestId('import-result');
  await expect(result).toContainText('Imported Swagger Petstore 1.0.0');
  await result.getByRole('link', { name: 'Open the API' }).click();
  await expect(creatorPage.getByTestId('api-title')).toContainText('Swagger Petstore');
  const apiUrl = creatorPage.url().split('?')[0];

  // Edit an operation in the form view.
  await creatorPage.goto(`${apiUrl}?tab=design`);
  await hydrated(creatorPage);
  await creatorPage.locator('[data-testid="operation-row"][data-key="GET /pets"]').getByRole('link', { name: 'Edit' }).click();
  await expect(creatorPage).toHaveURL(/op=GET/);
  const editor = creatorPage.getByTestId('operation-editor');
  await expect(editor).toBeVisible();
  await editor.getByTestId('op-summary').fill('List every pet in the store');
  await editor.getByTestId('save-operation').click();
  await expect(creatorPage.locator('[data-testid="operation-row"][data-key="GET /pets"]')).toContainText('List every pet in the store');

  // The source view shows the change.
  await creatorPage.getByRole('link', { name: 'Source' }).click();
  await expect(creatorPage.getByTestId('source-editor')).toHaveValue(/List every pet in the store/);

  // Revision 1.
  await creatorPage.getByRole('link', { name: 'Revisions' }).click();
  await hydrated(creatorPage);
  await creatorPage.getByLabel('Note').fill('first review');
  await creatorPage.getByTestId('cut-revision').click();
  await expect(creatorPage.getByTestId('revisions')).toContainText('first review');
  // The revision's definition reads as text (the page's session signs the download in).
  const definition = await creatorPage.getByTestId('revision-definition').first().getAttribute('href');
  const frozen = await creatorPage.request.get(definition ?? '');
  expect(frozen.status()).toBe(200);
  expect(await frozen.text()).toContain('List every pet in the store');

  // Edit again: add an operation, then revision 2.
  await creatorPage.getByRole('link', { name: 'Design' }).click();
  await hydrated(creatorPage);
  await creatorPage.locator('.add-operation select').selectOption('DELETE');
  await creatorPage.locator('.add-operation').getByLabel('Path').fill('/pets/{petId}');
  await creatorPage.locator('.add-operation').getByLabel('Summary').fill('Remove a pet');
  await creatorPage.getByRole('button', { name: 'Add operation' }).click();
  await expect(creatorPage.locator('[data-testid="operation-row"][data-key="DELETE /pets/{petId}"]')).toBeVisible();
  // The form is empty again for the next operation.
  await expect(creatorPage.locator('.add-operation').getByLabel('Path')).toHaveValue('');
  await expect(creatorPage.locator('.add-operation').getByLabel('Summary')).toHaveValue('');
  // Removing an operation leaves a half-typed new one alone.
  await creatorPage.locator('.add-operation select').selectOption('HEAD');
  await creatorPage.locator('.add-operation').getByLabel('Path').fill('/pets');
  await creatorPage.getByRole('button', { name: 'Add operation' }).click();
  const head = creatorPage.locator('[data-testid="operation-row"][data-key="HEAD /pets"]');
  await expect(head).toBeVisible();
  await creatorPage.locator('.add-operation').getByLabel('Path').fill('/half-typed');
  await head.getByRole('button', { name: 'Remove' }).click();
  await expect(head).toHaveCount(0);
  await expect(creatorPage.locator('.add-operation').getByLabel('Path')).toHaveValue('/half-typed');
  await creatorPage.getByRole('link', { name: 'Revisions' }).click();
  await hydrated(creatorPage);
  await creatorPage.getByLabel('Note').fill('adds delete');
  await creatorPage.getByTestId('cut-revision').click();
  await expect(creatorPage.getByTestId('revisions')).toContainText('adds delete');

  // The diff between them.
  await creatorPage.getByTestId('diff-from').selectOption('1');
  await creatorPage.getByTestId('diff-to').selectOption('2');
  await creatorPage.getByTestId('compare').click();
  const diff = creatorPage.getByTestId('diff');
  await expect(diff).toContainText('Operations added');
  await expect(diff).toContainText('DELETE /pets/{petId}');

  // The project exported comes back in through Import: an operation removed since returns.
  await creatorPage.goto(apiUrl);
  await hydrated(creatorPage);
  const exported = creatorPage.waitForEvent('download');
  await creatorPage.getByRole('link', { name: 'Export project' }).click();
  const archive = await exported;
  expect(archive.suggestedFilename()).toBe('Swagger_Petstore-1.0.0.zip');
  const archiveBytes = await fs.promises.readFile(await archive.path());
  await creatorPage.goto(`${apiUrl}?tab=design`);
  await hydrated(creatorPage);
  const deleteRow = creatorPage.locator('[data-testid="operation-row"][data-key="DELETE /pets/{petId}"]');
  await deleteRow.getByRole('button', { name: 'Remove' }).click();
  await expect(deleteRow).toHaveCount(0);
  await creatorPage.goto('/publisher/import');
  await hydrated(creatorPage);
  await creatorPage.getByTestId('import-file').setInputFiles({ name: archive.suggestedFilename(), mimeType: 'application/zip', buffer: archiveBytes });
  await creatorPage.getByRole('button', { name: 'Import' }).click();
  await expect(creatorPage.getByTestId('import-result')).toContainText('Updated Swagger Petstore 1.0.0');
  await expect(creatorPage.getByTestId('import-result')).toContainText('/petstore/v1');
  await creatorPage.goto(`${apiUrl}?tab=design`);
  await expect(deleteRow).toBeVisible();

  // A creator cannot publish.
  await creatorPage.getByRole('link', { name: 'Lifecycle' }).click();
  await hydrated(creatorPage);
  await expect(creatorPage.locator('[data-action="publish"]')).toHaveCount(0);

  // The publisher publishes, then deprecates with confirmation.
  const publisherPage = await (await browser.newContext()).newPage();
  await signIn(publisherPage, publisher.email, publisher.password);
  await publisherPage.goto(`${apiUrl}?tab=lifecycle`);
  await hydrated(publisherPage);
  await publisherPage.locator('[data-action="publish"]').click();
  await expect(publisherPage.getByTestId('api-title')).toContainText('PUBLISHED');
  await hydrated(publisherPage);
  await publisherPage.locator('[data-action="deprecate"]').click();
  const confirm = publisherPage.getByTestId('confirm');
  await expect(confirm).toContainText('cannot be undone');
  await expect(publisherPage.getByTestId('confirm-subscribers')).toHaveText('No application calls it through an active subscription.');
  await expect(publisherPage.getByTestId('api-title')).toContainText('PUBLISHED');
  await publisherPage.getByTestId('confirm-action').click();
  await expect(publisherPage.getByTestId('api-title')).toContainText('DEPRECATED');

  // The publisher takes the API over from its creator (Endpoints & policies → Owner), with
  // the version the creator has made since (published, for the consumer below).
  const id = apiUrl.split('/').pop();
  const next = await rest(publisherPage.request, creator.token, 'POST', `/apis/${id}/versions`, { version: '2.0.0', context: '/petstore/v2' });
  await rest(publisherPage.request, publisher.token, 'POST', `/apis/${next.id}/lifecycle`, { action: 'publish' });
  await publisherPage.goto(`${apiUrl}?tab=settings`);
  await hydrated(publisherPage);
  await publisherPage.getByTestId('new-owner').fill(publisher.email);
  await publisherPage.getByTestId('all-versions').check();
  await publisherPage.getByTestId('transfer-owner').click();
  await expect(publisherPage.locator('.page-head')).toContainText(`owner ${publisher.email}`);
  expect((await rest(publisherPage.request, creator.token, 'GET', `/apis/${next.id}`)).owner).toBe(publisher.email);

  // A consumer reaches none of it, in the UI or through the REST API.
  const consumerPage = await (await browser.newContext()).newPage();
  const email = uniqueEmail('shopper');
  await consumerPage.goto('/signup');
  await hydrated(consumerPage);
  await consumerPage.getByLabel('Email').fill(email);
  await consumerPage.locator('input[name="password"]').fill('a long enough password');
  await consumerPage.locator('input[name="password_again"]').fill('a long enough password');
  await consumerPage.getByRole('button', { name: 'Sign up' }).click();
  await expect(consumerPage.getByTestId('who')).toContainText(email);
  for (const url of ['/publisher', apiUrl.replace(/^https?:\/\/[^/]+/, '')]) {
    const response = await consumerPage.goto(url);
    expect(response?.status()).toBe(403);
    await expect(consumerPage.getByTestId('forbidden')).toBeVisible();
  }
  const listed = await consumerPage.request.get('/api/v1/apis');
  expect(listed.status()).toBe(403);

  // The deprecated 1.0.0 sends its would-be subscribers to the published 2.0.0.
  await consumerPage.goto(`/portal/apis/${id}`);
  await hydrated(consumerPage);
  await expect(consumerPage.getByTestId('deprecated')).toContainText('takes no new subscriptions');
  await expect(consumerPage.getByTestId('deprecated').getByRole('link', { name: 'version 2.0.0' })).toHaveAttribute('href', `/portal/apis/${next.id}`);
});

const uber = path.resolve(__dirname, '../../../shared/corpus/openapi/oai-v2-uber/uber.json');

test('a Swagger 2.0 API converts to OpenAPI 3.0 and the form edits it', async ({ page, request }) => {
  const text = fs.readFileSync(uber, 'utf8');
  // A context of its own, as other specs' APIs may be live.
  const imported = await rest(request, creator.token, 'POST', `/apis/import?context=/uber-${Date.now()}/v1`, text);
  await signIn(page, creator.email, creator.password);
  await page.goto(`/publisher/apis/${imported.id}?tab=design`);
  await hydrated(page);
  const notice = page.getByTestId('swagger2-notice');
  await expect(notice).toContainText('Swagger 2.0');
  await expect(page.locator('.add-operation')).toHaveCount(0);
  const before = await page.getByTestId('operation-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));

  await notice.getByTestId('convert-openapi3').click();
  await expect(page.getByTestId('swagger2-notice')).toHaveCount(0);
  const after = await page.getByTestId('operation-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
  expect(after).toEqual(before);

  // The form edits it now, and the source view shows OpenAPI 3.0.
  await page.locator('[data-testid="operation-row"][data-key="GET /products"]').getByRole('link', { name: 'Edit' }).click();
  const editor = page.getByTestId('operation-editor');
  await editor.getByTestId('op-summary').fill('Every product type');
  await editor.getByTestId('save-operation').click();
  await expect(page.locator('[data-testid="operation-row"][data-key="GET /products"]')).toContainText('Every product type');
  await page.getByRole('link', { name: 'Source' }).click();
  await expect(page.getByTestId('source-editor')).toHaveValue(/"openapi": "3\.0\.3"/);
});

test('a creator allows calls from a web page (CORS) on the policies tab', async ({ page, request }) => {
  const definition = `openapi: 3.0.3
info:
  title: Web Shop ${Date.now()}
  version: 1.0.0
paths:
  /cart:
    get:
      responses:
        '200':
          description: ok
`;
  const imported = await rest(request, creator.token, 'POST', `/apis/import?context=/web-shop-${Date.now()}/v1`, definition, 'application/yaml');
  await signIn(page, creator.email, creator.password);
  await page.goto(`/publisher/apis/${imported.id}?tab=settings`);
  await hydrated(page);
  const cors = page.getByTestId('cors');
  await cors.getByTestId('cors-enabled').check();
  // Not an origin: the error names what is wrong, nothing is saved.
  await cors.getByTestId('cors-origins').fill('shop.example.com');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toContainText('is not an origin');
  await cors.getByTestId('cors-origins').fill('https://Shop.example.com/');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  // Stored tidied, and shown so after a fresh load.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('cors').getByTestId('cors-origins')).toHaveValue('https://shop.example.com');
  await expect(page.getByTestId('cors').getByTestId('cors-enabled')).toBeChecked();
  const detail = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(detail.policies.cors).toMatchObject({ enabled: true, allow_origins: ['https://shop.example.com'] });
});

/** A private certificate authority's certificate (public; valid until 2126), for backend TLS. */
const STOCK_CA = `-----BEGIN CERTIFICATE-----
MIIBjDCCATOgAwIBAgIUC0EYdue6v87921yOD5dw/Bi8f/AwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQU3RvY2sgcHJpdmF0ZSBDQTAgFw0yNjEyMDYwNTU2MDVaGA8y
MTI2MTExMjA1NTYwNVowGzEZMBcGA1UEAwwQU3RvY2sgcHJpdmF0ZSBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABBdYpsVR7kE/NWfcfNGn6ru+U8Dj4+ZdeHaq
Thlb/Dtbu2u+C87S/JYGDINpYb8/hQJBFG016syAa8CJST2g+j+jUzBRMB0GA1Ud
DgQWBBS9dfCh/n/JP6+ZArQqDDcR6m4cmjAfBgNVHSMEGDAWgBS9dfCh/n/JP6+Z
ArQqDDcR6m4cmjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIFnW
JwtAuhEmKIZMCnKVVymWHLd9oUW/6qKjXuBZ3stHAiAVYJe7tgXq0kNTXUygsi+T
FCGbRxPlxqgjobStGxEU2w==
-----END CERTIFICATE-----`;

test('a creator names the secret the gateway sends the backend, never its value', async ({ page, request }) => {
  const definition = `openapi: 3.0.3
info:
  title: Stock ${Date.now()}
  version: 1.0.0
paths:
  /items:
    get:
      responses:
        '200':
          description: ok
`;
  const imported = await rest(request, creator.token, 'POST', `/apis/import?context=/stock-${Date.now()}/v1`, definition, 'application/yaml');
  await signIn(page, creator.email, creator.password);
  await page.goto(`/publisher/apis/${imported.id}?tab=settings`);
  await hydrated(page);
  const credential = page.getByTestId('backend-auth');
  await expect(credential.getByLabel("Secret's name")).toBeHidden();
  await credential.getByLabel('Credential the gateway sends the backend').selectOption('header');
  await credential.getByLabel('Header', { exact: true }).fill('X-Api-Key');
  // Not a name a variable can have: refused, saying why; nothing is saved.
  await credential.getByLabel("Secret's name").fill('stock key');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toContainText('is not a secret name');
  await credential.getByLabel("Secret's name").fill('stock_key');
  await expect(page.getByTestId('backend-auth-variable')).toHaveText('GATEWAY_BACKEND_SECRET_STOCK_KEY');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('backend-auth').getByLabel('Header', { exact: true })).toHaveValue('x-api-key');
  await expect(page.getByTestId('backend-auth').getByLabel("Secret's name")).toHaveValue('STOCK_KEY');
  const detail = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(detail.endpoints.backend_auth).toEqual({ kind: 'header', name: 'x-api-key', secret: 'STOCK_KEY' });

  // An OAuth2 client instead: the gateway asks a token URL for access tokens with the secret.
  await expect(page.getByTestId('backend-auth-token-url')).toBeHidden();
  await credential.getByLabel('Credential the gateway sends the backend').selectOption('client_credentials');
  await credential.getByLabel('Client ID').fill('stock-gateway');
  await page.getByTestId('backend-auth-token-url').fill('https://idp.example.com/oauth2/token');
  await page.getByTestId('backend-auth-scopes').fill('stock:read  stock:write');
  await credential.getByLabel("Secret's name").fill('stock_client');
  // And a header of the API's own on every backend call.
  await page.getByTestId('set-headers').fill('X-Tenant:  stock');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('backend-auth-kind')).toHaveValue('client_credentials');
  await expect(credential.getByLabel('Client ID')).toHaveValue('stock-gateway');
  await expect(page.getByTestId('backend-auth-scopes')).toHaveValue('stock:read stock:write');
  await expect(page.getByTestId('set-headers')).toHaveValue('x-tenant: stock');
  const client = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(client.endpoints.backend_auth).toEqual({
    kind: 'client_credentials',
    token_url: 'https://idp.example.com/oauth2/token',
    client_id: 'stock-gateway',
    scopes: ['stock:read', 'stock:write'],
    secret: 'STOCK_CLIENT',
  });
  expect(client.endpoints.set_headers).toEqual([{ name: 'x-tenant', value: 'stock' }]);

  // The same client sending its secret in the form, for a provider that takes no HTTP Basic.
  await page.getByTestId('backend-auth-method').selectOption('client_secret_post');
  await expect(page.getByText("in the request's form (client_secret_post)")).toBeVisible();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('backend-auth-method')).toHaveValue('client_secret_post');
  const poster = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(poster.endpoints.backend_auth).toEqual({ ...client.endpoints.backend_auth, authentication: 'client_secret_post' });

  // The same client proving itself with a private key (private_key_jwt) rather than a secret.
  await expect(page.getByTestId('backend-auth-key-id')).toBeHidden();
  await page.getByTestId('backend-auth-method').selectOption('private_key_jwt');
  await expect(credential.getByLabel("Secret's name")).toBeVisible();
  await expect(page.getByText("Secret's name (the private key, PEM)")).toBeVisible();
  await page.getByTestId('backend-auth-key-id').fill(' stock-2026 ');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('backend-auth-method')).toHaveValue('private_key_jwt');
  await expect(page.getByTestId('backend-auth-key-id')).toHaveValue('stock-2026');
  const signer = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(signer.endpoints.backend_auth).toEqual({
    ...client.endpoints.backend_auth,
    authentication: 'private_key_jwt',
    key_id: 'stock-2026',
  });

  // A backend on a private network: its authority trusted, the gateway's client certificate
  // named by its secret. Each mistake is refused, saying what and where.
  const tls = page.getByTestId('backend-tls');
  await tls.getByTestId('client-certificate').fill('stock_tls');
  await expect(page.getByText('GATEWAY_BACKEND_SECRET_STOCK_TLS')).toBeVisible();
  await tls.getByTestId('trusted-ca').fill('not a certificate');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toContainText('holds no PEM certificate');
  await tls.getByTestId('trusted-ca').fill('');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toContainText('no production or sandbox URL is https://');
  await page.getByTestId('production-urls').fill('https://stock.internal:8443');
  await tls.getByTestId('trusted-ca').fill(STOCK_CA);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('backend-tls').getByTestId('client-certificate')).toHaveValue('STOCK_TLS');
  // What is trusted, as the creator and the reviewer check it.
  await expect(page.getByTestId('trusted-authorities')).toContainText('Stock private CA until 2126-11-12 (SHA-256 ');
  const mutual = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(mutual.endpoints.backend_tls).toEqual({ client_certificate: 'STOCK_TLS', trusted_ca: `${STOCK_CA}\n` });
});

test('a creator lets an API take calls from some addresses only and keep its answers', async ({ page, request }) => {
  const definition = `openapi: 3.0.3
info:
  title: Office ${Date.now()}
  version: 1.0.0
paths:
  /rooms:
    get:
      responses:
        '200':
          description: ok
`;
  const imported = await rest(request, creator.token, 'POST', `/apis/import?context=/office-${Date.now()}/v1`, definition, 'application/yaml');
  await signIn(page, creator.email, creator.password);
  await page.goto(`/publisher/apis/${imported.id}?tab=settings`);
  await hydrated(page);
  const filter = page.getByTestId('ip-filter');
  // A prefix no address has: refused, naming it; nothing is saved.
  await filter.getByTestId('ip-allow').fill('198.51.100.7/24\n10.0.0.1/33');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toContainText('`10.0.0.1/33` is not an IP address or range');
  await filter.getByTestId('ip-allow').fill('198.51.100.7/24');
  await filter.getByTestId('ip-deny').fill('198.51.100.66');
  // And its answers kept half a minute.
  await page.getByTestId('cache-seconds').fill('30');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  // Read back tidied: the range's network, not the address it was written with.
  await expect(page.getByTestId('ip-allow')).toHaveValue('198.51.100.0/24');
  await expect(page.getByTestId('ip-deny')).toHaveValue('198.51.100.66');
  const detail = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(detail.policies.ip_filter).toEqual({ allow: ['198.51.100.0/24'], deny: ['198.51.100.66'] });
  await expect(page.getByTestId('cache-seconds')).toHaveValue('30');
  expect(detail.policies.cache_seconds).toBe(30);
});

test('a creator defines OAuth2 scopes and names those an operation needs', async ({ page, request }) => {
  const definition = `openapi: 3.0.3
info:
  title: Ledger ${Date.now()}
  version: 1.0.0
paths:
  /entries:
    get:
      responses:
        '200':
          description: ok
    post:
      responses:
        '201':
          description: made
`;
  const imported = await rest(request, creator.token, 'POST', `/apis/import?context=/ledger-${Date.now()}/v1`, definition, 'application/yaml');
  await signIn(page, creator.email, creator.password);
  await page.goto(`/publisher/apis/${imported.id}?tab=settings`);
  await hydrated(page);
  await page.getByTestId('scopes').fill('ledger:read See the entries\nledger:write Add entries');
  const post = page.getByLabel('Token scopes of POST /entries');
  // A scope the API does not define: refused, saying which.
  await post.fill('ledger:admin');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toContainText('`POST /entries` requires scope `ledger:admin`, which this API does not define');
  await post.fill('ledger:write, ledger:read');
  // Adding entries is for Gold subscriptions only; the scopes typed above each get a row.
  await page.getByLabel('ledger:write for Gold').check();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('ledger:write for Gold')).toBeChecked();
  await expect(page.getByLabel('ledger:read for Gold')).not.toBeChecked();
  await expect(page.getByLabel('Token scopes of POST /entries')).toHaveValue('ledger:write ledger:read');
  await expect(page.getByLabel('Token scopes of GET /entries')).toHaveValue('');
  await expect(page.getByTestId('scopes')).toHaveValue('ledger:read See the entries\nledger:write Add entries');
  const detail = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(detail.policies.operation_scopes).toEqual([{ operation: 'POST /entries', scopes: ['ledger:write', 'ledger:read'] }]);
  expect(detail.policies.scopes.map((s: { name: string; tiers?: string[] }) => [s.name, s.tiers ?? []])).toEqual([['ledger:read', []], ['ledger:write', ['Gold']]]);
  // A tier the API stops offering leaves the scopes bound to it (its box goes from the form).
  await page.getByRole('checkbox', { name: /^Gold \(/ }).uncheck();
  await expect(page.getByLabel('ledger:write for Gold')).toHaveCount(0);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect
    .poll(async () => (await rest(request, creator.token, 'GET', `/apis/${imported.id}`)).policies.tiers.includes('Gold'))
    .toBe(false);
  await expect(page.getByRole('alert')).toHaveCount(0);
  const unbound = await rest(request, creator.token, 'GET', `/apis/${imported.id}`);
  expect(unbound.policies.scopes[1].tiers ?? []).toEqual([]);
  // Under the default "OAuth2 token or API key", the design review says an API key would pass.
  await page.goto(`/publisher/apis/${imported.id}`);
  await expect(page.getByTestId('design-finding').filter({ hasText: 'requires scopes but also accepts API keys' })).toHaveCount(1);
});

test('a creator deletes a draft that never went live, after confirming', async ({ page, request }) => {
  const title = `Scratch ${Date.now()}`;
  const definition = `openapi: 3.0.3
info:
  title: ${title}
  version: 0.1.0
paths:
  /notes:
    get:
      responses:
        '200':
          description: ok
`;
  const imported = await rest(request, creator.token, 'POST', `/apis/import?context=/scratch-${Date.now()}/v0`, definition, 'application/yaml');
  await signIn(page, creator.email, creator.password);
  await page.goto(`/publisher/apis/${imported.id}?tab=lifecycle`);
  await hydrated(page);
  const panel = page.getByTestId('delete-api');
  await panel.getByTestId('delete').click();
  await panel.getByTestId('confirm-delete').click();
  // Back on the list, without it.
  await expect(page).toHaveURL(/\/publisher$/);
  await expect(page.getByText(title)).toHaveCount(0);
  const gone = await request.fetch(`/api/v1/apis/${imported.id}`, { headers: { Authorization: `Bearer ${creator.token}` } });
  expect(gone.status()).toBe(404);
});
