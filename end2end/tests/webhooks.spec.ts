// An admin adds a webhook that hears only lifecycle changes, sees a publish reach it signed,
// tests it with a ping, sends a delivery again and removes it; a second webhook for one gateway
// group hears that group's publish and not another API's. A consumer gives an application a
// webhook, tests it, and hears the API it subscribes to deprecated. Against real receivers.
import { test, expect } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admin, creator, hydrated, publisher, rest, signIn, signUp, subscribe } from './helpers';

type Received = { path: string; event: string; signature: string; body: string };

/** A receiver on this machine that records what it is sent; `url` ends in /hook. */
async function listen() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: String(req.url), event: String(req.headers['x-gatehouse-event']), signature: String(req.headers['x-gatehouse-signature-256']), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

test('an admin chooses what a webhook hears, tests it and sends a delivery again', async ({ page, request }) => {
  const { received, server: receiver, url } = await listen();
  const groupUrl = url.replace('/hook', '/group-hook');
  await rest(request, publisher.token, 'POST', '/gateway-groups', { name: 'hooked-apis', host: 'hooked.example.com' });
  try {
    await signIn(page, admin.email, admin.password);
    await page.goto('/admin/webhooks');
    await hydrated(page);
    const form = page.getByTestId('webhook-form');
    await form.getByLabel('URL').fill(url);
    await form.locator('input[value="api.lifecycle"]').check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const secret = (await page.getByTestId('new-webhook').locator('code').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_[0-9a-f]{48}$/);
    const hook = page.getByTestId('webhook').filter({ hasText: url });
    await expect(hook).toContainText('api.lifecycle');
    await expect(hook).not.toContainText('alert.fired');

    // A publish reaches it, signed with the secret the page showed once.
    const definition = 'openapi: 3.0.3\ninfo: {title: Hooked, version: 1.0.0}\npaths:\n  /x:\n    get:\n      responses: {"200": {description: ok}}\n';
    const api = await rest(request, creator.token, 'POST', '/apis/import?context=/hooked/v1', definition, 'application/yaml');
    await rest(request, publisher.token, 'POST', `/apis/${api.id}/lifecycle`, { action: 'publish', comment: 'ready' });
    await expect.poll(() => received.filter((r) => r.event === 'api.lifecycle').length, { timeout: 15_000 }).toBe(1);
    const announced = received.find((r) => r.event === 'api.lifecycle')!;
    expect(announced.signature).toBe(`sha256=${createHmac('sha256', secret).update(announced.body).digest('hex')}`);
    expect(JSON.parse(announced.body)).toMatchObject({ name: 'Hooked', from: 'CREATED', to: 'PUBLISHED', comment: 'ready' });

    // Send test: a ping that the page shows delivered without a reload.
    await hook.getByRole('button', { name: 'Send test' }).click();
    const pings = page.getByTestId('delivery').filter({ hasText: url }).filter({ hasText: 'ping' });
    await expect(pings).toHaveCount(1);
    await expect(pings.first().getByTestId('delivery-status')).toHaveText('delivered', { timeout: 15_000 });
    expect(received.filter((r) => r.event === 'ping')).toHaveLength(1);

    // Send again: a second delivery of the same payload; the first keeps its outcome.
    await pings.first().getByRole('button', { name: 'Send again' }).click();
    await expect(pings).toHaveCount(2);
    await expect(pings.getByText('delivered', { exact: true })).toHaveCount(2, { timeout: 15_000 });
    const sent = received.filter((r) => r.event === 'ping');
    expect(sent).toHaveLength(2);
    expect(sent[1].body).toBe(sent[0].body);

    // A webhook for one gateway group: ticked on the form, named in the list.
    await form.getByLabel('URL').fill(groupUrl);
    await form.getByTestId('webhook-group-choice').locator('input[value="hooked-apis"]').check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const groupHook = page.getByTestId('webhook').filter({ hasText: groupUrl });
    await expect(groupHook.getByTestId('webhook-groups')).toHaveText('hooked-apis');
    await expect(hook.getByTestId('webhook-groups')).toHaveText('every group');
    // An API in no group is published, then one in the group: the group's webhook hears the
    // second only; the webhook of every group hears both.
    const loose = await rest(request, creator.token, 'POST', '/apis/import?context=/loose/v1', definition.replace('Hooked', 'Loose'), 'application/yaml');
    await rest(request, publisher.token, 'POST', `/apis/${loose.id}/lifecycle`, { action: 'publish' });
    const grouped = await rest(request, creator.token, 'POST', '/apis/import?context=/grouped/v1', definition.replace('Hooked', 'Grouped'), 'application/yaml');
    await rest(request, creator.token, 'PUT', `/apis/${grouped.id}/group`, { group: 'hooked-apis' });
    await rest(request, publisher.token, 'POST', `/apis/${grouped.id}/lifecycle`, { action: 'publish' });
    const lifecycle = (path: string) => received.filter((r) => r.path === path && r.event === 'api.lifecycle').map((r) => JSON.parse(r.body).name);
    await expect.poll(() => lifecycle('/hook').sort(), { timeout: 15_000 }).toEqual(['Grouped', 'Hooked', 'Loose']);
    await expect.poll(() => lifecycle('/group-hook'), { timeout: 15_000 }).toEqual(['Grouped']);
    expect(JSON.parse(received.find((r) => r.path === '/group-hook')!.body)).toMatchObject({ group: 'hooked-apis', to: 'PUBLISHED' });

    // Removal asks first; "Keep" leaves it.
    await hook.getByRole('button', { name: 'Remove' }).click();
    await hook.getByRole('button', { name: 'Keep' }).click();
    await expect(hook).toHaveCount(1);
    await hook.getByRole('button', { name: 'Remove' }).click();
    await hook.getByRole('button', { name: 'Yes, remove' }).click();
    await expect(page.getByTestId('webhook').filter({ hasText: url })).toHaveCount(0);
  } finally {
    receiver.close();
  }
});

test('a consumer\'s application is told when the API it subscribes to is deprecated', async ({ page, request }) => {
  const { received, server: receiver, url } = await listen();
  try {
    const definition = 'openapi: 3.0.3\ninfo: {title: Told, version: 1.0.0}\npaths:\n  /x:\n    get:\n      responses: {"200": {description: ok}}\n';
    const api = await rest(request, creator.token, 'POST', '/apis/import?context=/told/v1', definition, 'application/yaml');
    await rest(request, publisher.token, 'POST', `/apis/${api.id}/lifecycle`, { action: 'publish' });
    await signUp(page, 'listener');
    await subscribe(page, api.id, 'Listener');

    await page.goto('/applications');
    await hydrated(page);
    const card = page.getByTestId('application').filter({ hasText: 'Listener' });
    await card.getByLabel('URL').fill(url);
    await card.getByRole('button', { name: 'Add webhook' }).click();
    const secret = (await page.getByTestId('new-webhook-secret').locator('code.secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_[0-9a-f]{48}$/);
    await expect(card.getByTestId('webhook-url')).toHaveText(url);

    // Send test: a ping the page shows delivered without a reload.
    await card.getByTestId('ping-webhook').click();
    const pings = card.getByTestId('webhook-delivery').filter({ hasText: 'ping' });
    await expect(pings.getByTestId('webhook-delivery-status')).toHaveText('delivered', { timeout: 15_000 });

    // The publisher deprecates the API: the application hears it, signed with its secret.
    await rest(request, publisher.token, 'POST', `/apis/${api.id}/lifecycle`, { action: 'deprecate', confirm: true });
    await expect.poll(() => received.filter((r) => r.event === 'api.lifecycle').length, { timeout: 15_000 }).toBe(1);
    const told = received.find((r) => r.event === 'api.lifecycle')!;
    expect(told.signature).toBe(`sha256=${createHmac('sha256', secret).update(told.body).digest('hex')}`);
    expect(JSON.parse(told.body)).toMatchObject({
      application: { name: 'Listener' },
      api: { id: api.id, name: 'Told', version: '1.0.0', context: '/told/v1' },
      from: 'PUBLISHED',
      to: 'DEPRECATED',
    });
    await page.reload();
    await hydrated(page);
    await expect(card.getByTestId('webhook-delivery').filter({ hasText: 'api.lifecycle' })).toHaveCount(1);
  } finally {
    receiver.close();
  }
});
