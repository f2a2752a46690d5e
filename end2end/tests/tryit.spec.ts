// Calling an API from the portal: an approved API is served by its group's local gateway
// (started by `gatehouse serve`); a consumer subscribes, and the operation's try-it console
// sends the request through the gateway with the application's token and shows the answer.
import { test, expect } from '@playwright/test';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { creator, deployApi, deployHealthApi, hydrated, signIn, signUp, subscribeAndTry } from './helpers';

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

// The console starts from the definition: a JSON body from its example or schema, a form's
// fields one by one. What arrives is read back from a backend that echoes each request (a
// real HTTP server in this test's process, called by the gateway).
test('the console sends a JSON body from the example and form bodies field by field', async ({ page, request }) => {
  const echo = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const body = Buffer.concat(chunks);
      res.end(JSON.stringify({ path: req.url, type: req.headers['content-type'] ?? '', body: body.toString(), hex: body.toString('hex') }));
    });
  });
  await new Promise<void>((ready) => echo.listen(0, '127.0.0.1', ready));
  const port = (echo.address() as AddressInfo).port;
  try {
    const { api } = await deployApi(request, 'tryit-bodies', '/notes/v1', notesDefinition(port));
    await signUp(page, 'bodies');
    // The first operation takes JSON: its body starts as the schema's sample with the example.
    const notes = await subscribeAndTry(page, api.id, 'Notebook');
    await expect(notes.getByTestId('try-body-input')).toHaveValue(/"text": "Buy milk"/);
    await expect(notes.getByTestId('try-body')).toContainText('application/json');
    await expect(notes.getByTestId('try-body')).toContainText('Buy milk');
    // The request as a curl command to copy, the token as a variable (it never reaches the page).
    const curl = notes.getByTestId('try-curl');
    await curl.locator('summary').click();
    await expect(curl).toContainText(`-X POST \\ 'http://127.0.0.1:`);
    await expect(curl).toContainText('-H "Authorization: Bearer $ACCESS_TOKEN"');
    await expect(curl).toContainText(`--data-binary '{`);

    const form = page.getByTestId('reference-operation').filter({ hasText: '/notes/form' });
    await form.locator('summary').click();
    await form.getByTestId('try-open').click();
    await expect(form.getByTestId('try-form-pinned')).toHaveAttribute('placeholder', 'true');
    await form.getByTestId('try-form-text').fill('hello world & more');
    await form.getByTestId('try-send').click();
    await expect(form.getByTestId('try-status')).toHaveText('200');
    await expect(form.getByTestId('try-body')).toContainText('application/x-www-form-urlencoded');
    await expect(form.getByTestId('try-body')).toContainText('text=hello+world+%26+more');

    const upload = page.getByTestId('reference-operation').filter({ hasText: '/notes/upload' });
    await upload.locator('summary').click();
    await upload.getByTestId('try-open').click();
    await upload.getByTestId('try-form-title').fill('Receipt');
    // A file picked from disk is sent as it is, binary bytes and all, with its name and type.
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    await upload.getByTestId('try-form-file').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: png });
    await upload.getByTestId('try-send').click();
    await expect(upload.getByTestId('try-status')).toHaveText('200');
    const body = upload.getByTestId('try-body');
    await expect(body).toContainText('multipart/form-data; boundary=gatehouse-try-it');
    await expect(body).toContainText('name=\\"file\\"; filename=\\"receipt.png\\"\\r\\nContent-Type: image/png');
    await expect(body).toContainText(png.toString('hex'));
    await upload.getByTestId('try-curl').locator('summary').click();
    await expect(upload.getByTestId('try-curl')).toContainText(`-F 'file=@receipt.png;type=image/png'`);
  } finally {
    echo.close();
  }
});

// An API whose definition names OAuth2 scopes: the portal says which each operation needs, and
// the console's token holds them (the application's subscriptions give them), so the gateway,
// which checks them, lets the call through — unless the console asks for fewer.
test('operations that need scopes are tried with a token that holds them', async ({ page, request }) => {
  const echo = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, authorized: Boolean(req.headers.authorization) }));
  });
  await new Promise<void>((ready) => echo.listen(0, '127.0.0.1', ready));
  const port = (echo.address() as AddressInfo).port;
  try {
    // Writing is for Gold and Unlimited subscriptions only (this consumer's is Gold).
    const bindWrite = (policies: { scopes: { name: string; tiers?: string[] }[] }) => {
      for (const scope of policies.scopes) if (scope.name === 'diary:write') scope.tiers = ['Gold', 'Unlimited'];
    };
    const { api } = await deployApi(request, 'tryit-scopes', '/diary/v1', diaryDefinition(port), bindWrite);
    await page.goto(`/portal/apis/${api.id}`);
    await hydrated(page);
    const scopes = page.getByTestId('portal-scopes');
    await expect(scopes).toContainText('diary:read');
    await expect(scopes).toContainText('Read the entries');
    await expect(scopes).toContainText('diary:write (Gold, Unlimited only)');
    // The tier table says what each tier buys.
    const tierRow = (tier: string) => page.getByTestId('subscribe').locator('tbody tr').filter({ hasText: tier });
    await expect(tierRow('Gold').getByTestId('tier-scopes')).toHaveText('diary:write');
    await expect(tierRow('Bronze').getByTestId('tier-scopes')).toHaveText('');
    await signUp(page, 'scopes');
    const read = await subscribeAndTry(page, api.id, 'Journal');
    await expect(read.getByTestId('operation-scopes')).toContainText('diary:read');
    await expect(read.getByTestId('try-body')).toContainText('/entries');
    const write = page.getByTestId('reference-operation').filter({ hasText: 'Write an entry' });
    await write.locator('summary').click();
    await expect(write.getByTestId('operation-scopes')).toContainText('diary:write');
    await write.getByTestId('try-open').click();
    await write.getByTestId('try-send').click();
    await expect(write.getByTestId('try-status')).toHaveText('200');
    // A token that asks for reading only is refused writing, by the gateway, saying why.
    await write.getByTestId('try-scope').fill('diary:read');
    await write.getByTestId('try-send').click();
    await expect(write.getByTestId('try-status')).toHaveText('403');
    await expect(write.getByTestId('try-body')).toContainText('insufficient_scope');
  } finally {
    echo.close();
  }
});

function diaryDefinition(port: number) {
  return `openapi: 3.0.3
info:
  title: Diary
  version: 1.0.0
servers:
  - url: http://127.0.0.1:${port}
components:
  securitySchemes:
    diary_auth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: /oauth2/token
          scopes:
            diary:read: Read the entries
            diary:write: Write new entries
security:
  - diary_auth: [diary:read]
paths:
  /entries:
    get:
      summary: Read the entries
      responses: {'200': {description: ok}}
    post:
      summary: Write an entry
      security:
        - diary_auth: [diary:write]
      responses: {'200': {description: ok}}
`;
}

function notesDefinition(port: number, title = 'Notes') {
  return `openapi: 3.0.3
info:
  title: ${title}
  version: 1.0.0
servers:
  - url: http://127.0.0.1:${port}
paths:
  /notes:
    post:
      summary: Add a note
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Note'}
      responses: {'200': {description: ok}}
  /notes/form:
    post:
      summary: Add a note from a form
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [text]
              properties:
                text: {type: string, description: What the note says}
                pinned: {type: boolean}
      responses: {'200': {description: ok}}
  /notes/upload:
    post:
      summary: Attach a file
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              properties:
                title: {type: string}
                file: {type: string, format: binary}
      responses: {'200': {description: ok}}
components:
  schemas:
    Note:
      type: object
      properties:
        text: {type: string, example: Buy milk}
        priority: {type: integer}
`;
}

// An API whose gateway checks calls against the definition: the portal says so, and a body
// that does not fit the operation's schema comes back from the gateway saying where, while one
// that fits reaches the backend.
test('a call that does not fit the definition is answered by the gateway, saying where', async ({ page, request }) => {
  const echo = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, reached: 'backend' }));
  });
  await new Promise<void>((ready) => echo.listen(0, '127.0.0.1', ready));
  const port = (echo.address() as AddressInfo).port;
  try {
    const check = (policies: { validate_requests: boolean }) => { policies.validate_requests = true; };
    const { api } = await deployApi(request, 'tryit-checked', '/checked-notes/v1', notesDefinition(port, 'Checked Notes'), check);
    await signUp(page, 'checked');
    const notes = await subscribeAndTry(page, api.id, 'Checked notebook');
    await expect(page.getByTestId('portal-checked')).toContainText('checks each call against this definition');
    await expect(notes.getByTestId('try-body')).toContainText('backend');
    await notes.getByTestId('try-body-input').fill('{"text": 5}');
    await notes.getByTestId('try-send').click();
    await expect(notes.getByTestId('try-status')).toHaveText('400');
    await expect(notes.getByTestId('try-body')).toContainText('the request body at /text: expected a string, got an integer');
    await expect(notes.getByTestId('try-body')).not.toContainText('backend');
  } finally {
    echo.close();
  }
});

// An API that keeps its answers: the console's second call is answered by the gateway alone,
// and once the API's creator purges what it keeps, from its Settings page, by the backend again.
test('a creator purges the answers the gateway keeps, and the next call reaches the backend', async ({ page, request, browser }) => {
  let served = 0;
  const backend = http.createServer((req, res) => {
    served += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ served }));
  });
  await new Promise<void>((ready) => backend.listen(0, '127.0.0.1', ready));
  const port = (backend.address() as AddressInfo).port;
  try {
    const definition = `openapi: 3.0.3
info:
  title: Kept Notes
  version: 1.0.0
servers:
  - url: http://127.0.0.1:${port}
paths:
  /notes:
    get:
      summary: List the notes
      responses: {'200': {description: ok}}
`;
    const keep = (policies: { cache_seconds: number }) => { policies.cache_seconds = 600; };
    const { api } = await deployApi(request, 'tryit-kept', '/kept-notes/v1', definition, keep);
    await signUp(page, 'kept');
    const notes = await subscribeAndTry(page, api.id, 'Kept reader');
    const servedNow = async () => JSON.parse((await notes.getByTestId('try-body').textContent()) ?? '{}').served;
    const first = await servedNow();
    await notes.getByTestId('try-send').click();
    await expect(notes.getByTestId('try-result')).toContainText('x-cache');
    expect(await servedNow()).toBe(first);
    expect(served).toBe(first);

    const creatorPage = await (await browser.newContext()).newPage();
    await signIn(creatorPage, creator.email, creator.password);
    await creatorPage.goto(`/publisher/apis/${api.id}?tab=settings`);
    await hydrated(creatorPage);
    // A path's answers only, as callers call it: a template is refused, saying why.
    const keptAnswers = creatorPage.getByTestId('kept-answers');
    await keptAnswers.getByTestId('purge-path').fill('/notes/{id}');
    await keptAnswers.getByTestId('purge-kept-answers').click();
    await expect(keptAnswers.getByRole('alert')).toContainText('not a template like `/notes/{id}`');
    await keptAnswers.getByTestId('purge-path').fill('');
    await keptAnswers.getByTestId('purge-kept-answers').click();
    await expect(creatorPage.getByTestId('kept-answers-purged')).toContainText('Purged at');

    await expect(async () => {
      await notes.getByTestId('try-send').click();
      await expect(notes.getByTestId('try-body')).toContainText(`"served": ${first + 1}`, { timeout: 1000 });
    }).toPass({ timeout: 10_000 });
    expect(served).toBe(first + 1);
  } finally {
    backend.close();
  }
});
