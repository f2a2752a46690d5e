// Design → approval → deployment in a real browser: a publisher creates a gateway group, a
// creator submits a revision, a publisher sees the diff and approves, the deployment is
// committed and tagged in the GitOps repository and pushed to its remote; a second change bumps
// the tag; rollback works.
// Creator and reviewer see the same design review of what is submitted.
import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { creator, publisher, hydrated, rest, signIn } from './helpers';

const repo = path.join(process.env.GATEHOUSE_DATA_DIR ?? '', 'gitops.git');
const git = (...args: string[]) => execFileSync('git', ['--git-dir', repo, ...args]).toString();

const definition = `openapi: 3.0.3
info:
  title: Food Menu
  version: 1.0.0
servers:
  - url: http://127.0.0.1:9/menu
paths:
  /dishes:
    get:
      summary: List dishes
      responses:
        '200':
          description: ok
  /dishes/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
`;

async function cutRevision(page: Page, apiUrl: string, note: string) {
  await page.goto(`${apiUrl}?tab=revisions`);
  await hydrated(page);
  await page.getByLabel('Note').fill(note);
  await page.getByTestId('cut-revision').click();
  await expect(page.getByTestId('revisions')).toContainText(note);
}

async function submit(page: Page, apiUrl: string, revision: string) {
  await page.goto(`${apiUrl}?tab=deploy`);
  await hydrated(page);
  await page.getByTestId('submit-revision').selectOption(revision);
  await page.getByLabel('Note for the reviewer').fill(`please ship revision ${revision}`);
  await page.getByTestId('submit-review').click();
  await expect(page.getByTestId('submitted')).toBeVisible();
}

async function approve(page: Page) {
  await page.goto('/publisher/approvals');
  await hydrated(page);
  const request = page.getByTestId('approval-request').first();
  await expect(request).toBeVisible();
  await request.getByTestId('approve').click();
  const result = page.getByTestId('approved');
  await expect(result.getByTestId('deployment-status')).toHaveText('committed');
  return (await result.getByTestId('deployment-tag').innerText()).trim();
}

test('approval deploys to the group and tags the GitOps repository', async ({ browser, request: api }) => {
  const pub = await (await browser.newContext()).newPage();
  await signIn(pub, publisher.email, publisher.password);
  await pub.goto('/publisher/groups');
  await hydrated(pub);
  const form = pub.getByTestId('new-group');
  await form.getByLabel('Name').fill('food-apis');
  await form.getByLabel('Ingress host').fill('food.example.com');
  await form.getByLabel('Regions / datacenters').fill('eu-west');
  await form.getByRole('button', { name: 'Create group' }).click();
  await expect(pub.getByTestId('groups')).toContainText('food-apis');

  const cr = await (await browser.newContext()).newPage();
  await signIn(cr, creator.email, creator.password);
  await cr.goto('/publisher/import');
  await hydrated(cr);
  await cr.getByPlaceholder('openapi: 3.1.0').fill(definition);
  await cr.getByLabel('Context (optional)').fill('/menu/v1');
  await cr.getByRole('button', { name: 'Import' }).click();
  await cr.getByTestId('import-result').getByRole('link', { name: 'Open the API' }).click();
  await expect(cr.getByTestId('api-title')).toContainText('Food Menu');
  const apiUrl = cr.url().split('?')[0];
  // The design review of the working copy: one operation says nothing of itself.
  const advice = cr.getByTestId('design-review').getByTestId('design-finding');
  await expect(advice).toHaveCount(1);
  await expect(advice).toHaveAttribute('data-rule', 'summary');
  await expect(advice).toContainText('GET /dishes/{id} has no summary or description');

  await cutRevision(cr, apiUrl, 'first dishes');
  await cr.goto(`${apiUrl}?tab=deploy`);
  await hydrated(cr);
  await cr.getByTestId('group-select').selectOption('food-apis');
  await cr.getByTestId('assign-group').click();
  await expect(cr.getByTestId('current-group')).toContainText('food-apis');
  await submit(cr, apiUrl, '1');

  // The publisher's start page says a request waits; it leads to the request with its diff.
  await pub.goto('/');
  await expect(pub.getByTestId('awaiting-review')).toContainText(/\d+ requests? waits? for your review/);
  await pub.getByTestId('awaiting-review').getByRole('link').click();
  await expect(pub).toHaveURL(/\/publisher\/approvals$/);
  await hydrated(pub);
  const request = pub.getByTestId('approval-request').first();
  await expect(request).toContainText('Food Menu 1.0.0 — revision 1');
  await expect(request).toContainText('food.example.com');
  await expect(request.getByTestId('diff')).toContainText('GET /dishes');
  // The reviewer sees the same design review, of the revision submitted.
  await expect(request.getByTestId('design-finding')).toHaveAttribute('data-rule', 'summary');
  expect(await approve(pub)).toBe('food-apis-v1.0.0');

  // The GitOps repository has the commit and the annotated tag.
  expect(git('log', '--format=%s', 'food-apis')).toContain('Deploy Food Menu 1.0.0 revision 1 to food-apis');
  expect(git('tag', '-n1', '--list', 'food-apis-*')).toContain('food-apis-v1.0.0');
  const tree = git('ls-tree', '-r', '--name-only', 'food-apis');
  expect(tree).toContain('manifests/ingress.yaml');
  // The group's region gets an overlay its cluster applies.
  expect(tree).toContain('regions/eu-west/kustomization.yaml');

  // The release reaches the Git host's repository by itself; the groups page says so.
  const remote = path.join(process.env.GATEHOUSE_DATA_DIR ?? '', 'remote.git');
  await pub.goto('/publisher/groups');
  await hydrated(pub);
  const gitops = pub.getByTestId('gitops');
  await expect(gitops.getByTestId('gitops-remote')).toHaveText(remote);
  await expect(async () => {
    await pub.reload();
    await expect(gitops.getByTestId('gitops-waiting')).toHaveText('every release', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  // (Other specs release to their own groups on the same server.)
  const remoteTags = execFileSync('git', ['--git-dir', remote, 'tag', '--list']).toString().split('\n');
  expect(remoteTags).toContain('food-apis-v1.0.0');
  await hydrated(pub);
  // Push now: nothing new, and the remote takes it without a word.
  const pushed = pub.waitForResponse((r) => r.url().includes('/api/push_gitops'));
  await gitops.getByTestId('push-gitops').click();
  expect((await pushed).status()).toBe(200);
  await expect(gitops.getByTestId('gitops-waiting')).toHaveText('every release');
  await expect(gitops.getByTestId('gitops-error')).toHaveCount(0);
  await pub.goto('/publisher/groups/food-apis');
  await expect(pub.getByTestId('deployment').first().getByTestId('deployment-pushed')).toHaveText('on the GitOps remote');

  // The first approved deployment published the API.
  await cr.goto(apiUrl);
  await expect(cr.getByTestId('api-title')).toContainText('PUBLISHED');
  await expect(cr.getByTestId('overview-live')).toHaveText('revision 1');
  await expect(cr.getByTestId('in-portal')).toHaveAttribute('href', new URL(apiUrl).pathname.replace('/publisher/', '/portal/'));

  // A second change (an added operation) bumps the minor version.
  await cr.goto(`${apiUrl}?tab=design`);
  await hydrated(cr);
  // The operation the review advises on is marked where it is edited.
  await expect(cr.locator('[data-testid="operation-row"][data-key="GET /dishes/{id}"]').getByTestId('design-note')).toHaveText('1 to review');
  await expect(cr.locator('[data-testid="operation-row"][data-key="GET /dishes"]').getByTestId('design-note')).toHaveCount(0);
  await cr.locator('.add-operation select').selectOption('POST');
  await cr.locator('.add-operation').getByLabel('Path').fill('/dishes');
  await cr.locator('.add-operation').getByLabel('Summary').fill('Add a dish');
  await cr.getByRole('button', { name: 'Add operation' }).click();
  await expect(cr.locator('[data-testid="operation-row"][data-key="POST /dishes"]')).toBeVisible();
  // A documentation page written now goes with the next revision, like the operation.
  await cr.goto(`${apiUrl}?tab=docs`);
  await hydrated(cr);
  await expect(cr.getByTestId('docs-shown')).toContainText('the pages of revision 1, which is live');
  await cr.getByLabel('Title').fill('Ordering');
  await cr.getByLabel('Markdown').fill('Send a **POST** to add a dish.');
  await cr.getByRole('button', { name: 'Save page' }).click();
  await expect(cr.getByTestId('doc-page')).toContainText('Ordering');
  // The edit is in no revision yet, and the Review & deploy tab says so until one is cut.
  await cr.goto(`${apiUrl}?tab=deploy`);
  await expect(cr.getByTestId('edited-since')).toContainText('edits made after revision 1');
  await cutRevision(cr, apiUrl, 'adds POST');
  await expect(cr.getByTestId('edited-since')).toHaveCount(0);
  await submit(cr, apiUrl, '2');
  await pub.goto('/publisher/approvals');
  await expect(pub.getByTestId('approval-request').first().getByTestId('diff')).toContainText('documentation page added: Ordering');
  expect(await approve(pub)).toBe('food-apis-v1.1.0');
  expect(git('tag', '--list', 'food-apis-*')).toContain('food-apis-v1.1.0');
  expect(git('show', 'food-apis-v1.1.0:apis/food-menu-1-0-0/docs/ordering.md')).toBe('Send a **POST** to add a dish.');

  // Rollback to revision 1: a new release, history kept.
  await pub.goto('/publisher/groups/food-apis');
  await hydrated(pub);
  await expect(pub.getByTestId('live-revision')).toHaveText('2');
  await expect(pub.getByTestId('gitops-paths')).toHaveText("branch food-apis; each region's cluster applies regions/eu-west");
  // The group's local gateway reports in, counting tiers on its own (no shared store set).
  await expect(pub.getByTestId('tier-counts').first()).toHaveText('per instance');
  await expect(pub.getByTestId('gateway-serves').first()).toHaveText('every API');
  // A credential for gateways elsewhere is shown once, listed, and revoked; the local
  // gateway's own one offers no revoke.
  // The cluster's gateways get it, with this server's address, from the Secret their
  // manifests read.
  await pub.getByRole('button', { name: 'New gateway credential' }).click();
  const created = pub.getByTestId('new-gateway-credential');
  const token = (await created.getByTestId('gateway-token').innerText()).trim();
  expect(token).toMatch(/^ggw_/);
  await expect(created.getByTestId('kubernetes-secret')).toHaveText(
    `kubectl create secret generic gw-food-apis-management --from-literal=server="$GATEHOUSE_URL" --from-literal=token=${token}`,
  );
  const credentials = pub.getByTestId('gateway-credential');
  await expect(credentials).toHaveCount(2);
  await pub.getByTestId('revoke-gateway-credential').click();
  await expect(credentials.filter({ hasText: 'revoked' })).toHaveCount(1);
  await expect(pub.getByTestId('revoke-gateway-credential')).toHaveCount(0);
  await pub.getByLabel('Revision to roll back to').selectOption('1');
  await pub.getByTestId('rollback').click();
  await expect(pub.getByTestId('live-revision')).toHaveText('1');
  expect(git('rev-list', '--count', 'food-apis').trim()).toBe('3');
  expect(git('tag', '--list', 'food-apis-*')).toContain('food-apis-v2.0.0');

  // An anonymous visitor finds it in the portal and opens its reference.
  const visitor = await (await browser.newContext()).newPage();
  // (A card shows five of an API's tags and how many more: the management API has fifteen.)
  await visitor.goto('/portal?q=management');
  const manyTags = visitor.getByTestId('catalog-card').filter({ hasText: 'Gatehouse management API' });
  await expect(manyTags.locator('.tag:not(.more):not(.group)')).toHaveCount(5);
  await expect(manyTags.locator('.tag.more')).toHaveText(/^\+\d+ more$/);
  await expect(manyTags.locator('.tag.more')).toHaveAttribute('title', /analytics/);
  // Its reference is an outline (over a hundred operations): one opened is loaded, and says
  // what calling it takes.
  await manyTags.click();
  await hydrated(visitor);
  const me = visitor.getByTestId('reference-operation').filter({ hasText: '/api/v1/me/password' });
  await me.locator('summary').click();
  await expect(me.getByTestId('operation-security')).toContainText('personal access token (Authorization: Bearer)');
  await visitor.goto('/portal?q=food');
  await visitor.getByTestId('catalog-card').filter({ hasText: 'Food Menu' }).click();
  await expect(visitor.getByTestId('portal-title')).toContainText('Food Menu');
  await expect(visitor.getByTestId('reference')).toContainText('/dishes');
  // It shows what the gateways serve: revision 1, rolled back to, has no POST /dishes (the
  // working copy still does).
  await expect(visitor.getByTestId('reference-operation')).toHaveCount(2);
  await expect(visitor.getByTestId('reference-operation').filter({ hasText: 'POST' })).toHaveCount(0);
  // Nor revision 2's documentation page.
  await expect(visitor.getByTestId('portal-doc')).toHaveCount(0);
  // The local gateway's port is the group's, given out in order of creation.
  const group = await rest(api, publisher.token, 'GET', '/gateway-groups/food-apis');
  await expect(visitor.getByText(`http://127.0.0.1:${group.port}/menu/v1`)).toBeVisible();

  // The routing view lists the context on the group's host.
  await pub.goto('/publisher/routing');
  await expect(pub.getByTestId('routing')).toContainText('/menu/v1');
  await expect(pub.getByTestId('routing')).toContainText('food.example.com');

  // The publisher changes the group's settings: autoscaling bounds and the local port. The
  // autoscaling is released at once (a patch release: the cluster follows), the local gateway
  // moves to the new port at once; a creator sees no settings form.
  const moved = 8191;
  await pub.goto('/publisher/groups/food-apis');
  await hydrated(pub);
  const settings = pub.getByTestId('group-settings');
  await expect(settings.getByLabel('Ingress host')).toHaveValue('food.example.com');
  await settings.getByLabel('Replicas at most').fill('0');
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await expect(settings.getByRole('alert')).toContainText('replicas must satisfy');
  await expect(settings.getByLabel('Replicas at most')).toHaveValue('0');
  await settings.getByLabel('Replicas at most').fill('8');
  await settings.getByLabel('Local port').fill(String(moved));
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await expect(pub.getByTestId('group-saved')).toHaveText('Settings saved and released as food-apis-v2.0.1.');
  expect(git('show', 'food-apis-v2.0.1:manifests/gw-food-apis-hpa.yaml')).toContain('maxReplicas: 8');
  const released = pub.getByTestId('deployment').first();
  await expect(released).toContainText('group settings');
  await expect(released).toContainText('replicas 1–5 → 1–8');
  await expect(released.getByTestId('deployment-tag')).toHaveText('food-apis-v2.0.1');
  await expect(pub.locator('.facts')).toContainText('1–8 replicas at 50% CPU');
  await expect(pub.locator('.facts')).toContainText(`http://127.0.0.1:${moved}`);
  const health = (port: number) => api.get(`http://127.0.0.1:${port + 10000}/healthz`).then((r) => r.status(), () => 0);
  await expect.poll(() => health(moved), { timeout: 15_000 }).toBe(200);
  await expect.poll(() => health(group.port), { timeout: 15_000 }).toBe(0);

  // A port another program holds: the page says so where the publisher can act, until the
  // program lets go of it and the gateway starts there.
  const held = 8192;
  const holder = net.createServer().listen(held, '127.0.0.1');
  await once(holder, 'listening');
  await settings.getByLabel('Local port').fill(String(held));
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await expect(pub.getByTestId('group-saved')).toHaveText('Settings saved.');
  const problem = pub.getByTestId('local-gateway-problem');
  await expect(async () => {
    await pub.reload();
    await expect(problem).toContainText(`The group's gateway: port ${held} is in use by another program`, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  holder.close();
  await expect.poll(() => health(held), { timeout: 15_000 }).toBe(200);
  await expect(async () => {
    await pub.reload();
    await expect(problem).toHaveCount(0, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });

  await cr.goto('/publisher/groups/food-apis');
  await hydrated(cr);
  await expect(cr.getByTestId('live-revision')).toHaveText('1');
  await expect(cr.getByTestId('group-settings')).toHaveCount(0);
});
