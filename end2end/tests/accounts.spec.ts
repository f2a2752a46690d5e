// The foundation's loop in a real browser: sign up as a consumer, an admin promotes the
// account to creator, the navigation follows the role, and sign-out works.
import { test, expect } from '@playwright/test';
import { admin, creator, hydrated, rest, signIn, signUp, uniqueEmail } from './helpers';

const password = 'a long enough password';

test('sign up, promotion by an admin, nav by role, sign out', async ({ browser }) => {
  const email = uniqueEmail('newcomer');

  // A visitor signs up and becomes a consumer.
  const visitor = await browser.newPage();
  await visitor.goto('/signup');
  await hydrated(visitor);
  await visitor.getByLabel('Email').fill(email);
  await visitor.locator('input[name="password"]').fill(password);
  await visitor.locator('input[name="password_again"]').fill(password);
  await visitor.getByRole('button', { name: 'Sign up' }).click();
  await expect(visitor).toHaveURL(/\/portal$/);
  await expect(visitor.getByTestId('who')).toContainText(email);
  await expect(visitor.getByTestId('who')).toContainText('Consumer');
  const nav = visitor.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Portal' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Publisher' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Admin' })).toHaveCount(0);

  // The server refuses the publisher page to a consumer, whatever the nav shows.
  const refused = await visitor.goto('/publisher');
  expect(refused?.status()).toBe(403);
  await expect(visitor.getByTestId('forbidden')).toBeVisible();

  // An admin signs in in another browser context and promotes the newcomer.
  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await signIn(adminPage, admin.email, admin.password);
  await adminPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await expect(adminPage).toHaveURL(/\/admin\/users$/);
  await hydrated(adminPage);
  const rows = adminPage.getByTestId('user-row');
  expect(await rows.count()).toBeGreaterThan(1);

  // Client-side filtering only works once hydrated: typing narrows the table at once.
  await adminPage.getByTestId('user-filter').fill(email);
  await expect(rows).toHaveCount(1);
  const row = adminPage.locator(`[data-testid="user-row"][data-email="${email}"]`);
  await row.getByRole('combobox').selectOption('creator');
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(row.locator('.badge')).toHaveText(/creator/i);

  // Gatehouse's own account (owner of the management API's listing) offers no role change.
  await adminPage.getByTestId('user-filter').fill('system@gatehouse.invalid');
  const system = adminPage.locator('[data-testid="user-row"][data-email="system@gatehouse.invalid"]');
  await expect(system).toContainText("Gatehouse's own account");
  await expect(system.getByRole('combobox')).toHaveCount(0);

  // The audit log records the change with the actor.
  await adminPage.getByRole('link', { name: 'Audit log' }).click();
  const audit = adminPage.getByTestId('audit-table');
  await expect(audit).toContainText('user.role_changed');
  await expect(audit.locator('tr', { hasText: 'user.role_changed' }).first()).toContainText(admin.email);
  // Clicking an action narrows the log to it; the filters live in the URL and combine.
  await audit.locator('tr', { hasText: 'user.role_changed' }).first().getByRole('link', { name: /user\.\s*role_changed/ }).click();
  await expect(adminPage).toHaveURL(/action=user\.role_changed/);
  await expect(audit.locator('tbody tr')).not.toHaveCount(0);
  for (const action of await audit.locator('tbody tr td:nth-child(3)').allInnerTexts()) {
    expect(action.replace(/\s/g, '')).toBe('user.role_changed');
  }
  await adminPage.getByLabel('Target').fill(email);
  await adminPage.getByRole('button', { name: 'Filter' }).click();
  await expect(audit.locator('tbody tr')).toHaveCount(1);
  await adminPage.getByLabel('Who').fill('nobody-did-this');
  await adminPage.getByRole('button', { name: 'Filter' }).click();
  await expect(adminPage.getByTestId('audit-empty')).toHaveText('No entries match these filters.');
  await adminPage.getByRole('link', { name: 'Clear' }).click();
  await expect(audit).toContainText('user.signed_in');

  // The newcomer's navigation now follows the new role.
  await visitor.goto('/');
  await hydrated(visitor);
  await expect(visitor.getByTestId('who')).toContainText('Creator');
  await visitor.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Publisher' }).click();
  await expect(visitor).toHaveURL(/\/publisher$/);
  await expect(visitor.getByRole('heading', { name: 'Publisher', level: 1 })).toBeVisible();

  // Sign out.
  await visitor.getByRole('button', { name: 'Sign out' }).click();
  // The header's link (the publisher page it was on may offer one of its own, too).
  await expect(visitor.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(visitor.getByTestId('who')).toHaveCount(0);
  const afterSignOut = await visitor.goto('/publisher');
  expect(afterSignOut?.url()).toContain('/signin?next=/publisher');

  await adminContext.close();
});

test('an admin disables an account: its session ends and it cannot sign in until enabled again', async ({ browser }) => {
  const person = await (await browser.newContext()).newPage();
  const email = await signUp(person, 'leaver');
  const adminPage = await (await browser.newContext()).newPage();
  await signIn(adminPage, admin.email, admin.password);
  await adminPage.goto('/admin/users');
  await hydrated(adminPage);
  await adminPage.getByTestId('user-filter').fill(email);
  const row = adminPage.locator(`[data-testid="user-row"][data-email="${email}"]`);
  await row.getByTestId('user-access').click();
  await expect(row.getByTestId('user-disabled')).toBeVisible();

  // The open session ends at the next page, and the password no longer signs in.
  await person.goto('/applications');
  await expect(person.getByTestId('who')).toHaveCount(0);
  await person.goto('/signin');
  await hydrated(person);
  await person.getByLabel('Email').fill(email);
  await person.locator('input[name="password"]').fill(password);
  await person.getByRole('button', { name: 'Sign in' }).click();
  await expect(person.getByRole('alert')).toContainText('disabled');

  await row.getByTestId('user-access').click();
  await expect(row.getByTestId('user-disabled')).toHaveCount(0);
  await signIn(person, email, password);
});

test('wrong password and unknown account get the same message', async ({ page }) => {
  await page.goto('/signin');
  await hydrated(page);
  await page.getByLabel('Email').fill(admin.email);
  await page.locator('input[name="password"]').fill('definitely not it');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toHaveText('wrong email or password');

  await page.getByLabel('Email').fill(uniqueEmail('ghost'));
  await page.locator('input[name="password"]').fill('definitely not it');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(alert).toHaveText('wrong email or password');
});

test('a personal access token made in the UI works against the REST API', async ({ page, request }) => {
  await signIn(page, admin.email, admin.password);
  await page.goto('/account/tokens');
  await hydrated(page);
  await page.getByLabel('Name').fill('e2e pipeline');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').locator('code').innerText()).trim();
  expect(token).toMatch(/^gth_/);

  const me = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect(await me.json()).toEqual({ email: admin.email, role: 'admin' });

  await page.locator('tr', { hasText: 'e2e pipeline' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(page.locator('tr', { hasText: 'e2e pipeline' }).getByText('revoked')).toBeVisible();
  const after = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
});

test('an admin adds an account and resets its password, the person changes it, and sign-up closes and opens', async ({ browser }) => {
  const adminPage = await (await browser.newContext()).newPage();
  await signIn(adminPage, admin.email, admin.password);
  await adminPage.goto('/admin/users');
  await hydrated(adminPage);
  const email = uniqueEmail('added');
  const addForm = adminPage.locator('form', { has: adminPage.getByRole('button', { name: 'Add account' }) });
  await addForm.getByLabel('Email').fill(email);
  await addForm.getByLabel('Role').selectOption('creator');
  await addForm.getByRole('button', { name: 'Add account' }).click();
  const added = adminPage.getByTestId('new-account');
  await expect(added).toContainText(email);
  const first = ((await added.locator('code').textContent()) ?? '').trim();
  expect(first.length).toBeGreaterThanOrEqual(10);
  await adminPage.getByTestId('user-filter').fill(email);
  const row = adminPage.locator(`[data-testid="user-row"][data-email="${email}"]`);
  await expect(row.locator('.badge')).toHaveText(/creator/i);

  // The person signs in with it in two browsers and changes it in one: that session goes on,
  // the other ends.
  const person = await (await browser.newContext()).newPage();
  await signIn(person, email, first);
  const elsewhere = await (await browser.newContext()).newPage();
  await signIn(elsewhere, email, first);
  await person.getByRole('link', { name: 'Account', exact: true }).click();
  await expect(person).toHaveURL(/\/account\/password$/);
  await hydrated(person);
  await person.locator('input[name="current_password"]').fill('not the password at all');
  await person.locator('input[name="password"]').fill(password);
  await person.locator('input[name="password_again"]').fill(password);
  await person.getByRole('button', { name: 'Change password' }).click();
  await expect(person.getByRole('alert')).toContainText('not your current password');
  await person.locator('input[name="current_password"]').fill(first);
  await person.getByRole('button', { name: 'Change password' }).click();
  await expect(person.getByTestId('password-changed')).toBeVisible();
  await person.getByRole('link', { name: 'Access tokens' }).click();
  await expect(person.getByTestId('who')).toContainText(email);
  await elsewhere.goto('/portal');
  await expect(elsewhere.getByTestId('who')).toHaveCount(0);
  await signIn(elsewhere, email, password);

  // Locked out anyway: the admin resets the password, which signs the person out.
  await row.getByTestId('reset-password-button').click();
  const reset = adminPage.getByTestId('reset-password');
  await expect(reset).toContainText(email);
  const given = ((await reset.locator('code').textContent()) ?? '').trim();
  await person.goto('/portal');
  await expect(person.getByTestId('who')).toHaveCount(0);
  await signIn(person, email, given);

  // Sign-up closes: the page says so and offers no form.
  await adminPage.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Settings' }).click();
  await expect(adminPage).toHaveURL(/\/admin\/settings$/);
  await hydrated(adminPage);
  await adminPage.getByTestId('sign-up-mode-closed').check();
  await adminPage.getByRole('button', { name: 'Save settings' }).click();
  await expect(adminPage.getByTestId('settings-saved')).toBeVisible();
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto('/signup');
  await expect(visitor.getByTestId('sign-up-closed')).toBeVisible();
  await expect(visitor.getByRole('button', { name: 'Sign up' })).toHaveCount(0);

  // Open to some domains: the page names them and another address is refused with the reason.
  await adminPage.getByTestId('sign-up-mode-domains').check();
  await adminPage.getByTestId('sign-up-domains').fill('partner.example, E2E.test');
  await adminPage.getByRole('button', { name: 'Save settings' }).click();
  await expect(adminPage.getByTestId('sign-up-domains')).toHaveValue('partner.example, e2e.test');
  await visitor.goto('/signup');
  await hydrated(visitor);
  await expect(visitor.getByTestId('sign-up-domains-hint')).toContainText('partner.example, e2e.test');
  await visitor.getByLabel('Email').fill('someone@elsewhere.example');
  await visitor.locator('input[name="password"]').fill(password);
  await visitor.locator('input[name="password_again"]').fill(password);
  await visitor.getByRole('button', { name: 'Sign up' }).click();
  await expect(visitor.getByRole('alert')).toContainText('partner.example, e2e.test only');
  await signUp(visitor, 'partner-domain');

  // Open again for the specs that follow.
  await adminPage.getByTestId('sign-up-mode-open').check();
  await adminPage.getByRole('button', { name: 'Save settings' }).click();
  await visitor.context().clearCookies();
  await expect(async () => {
    await visitor.goto('/signup');
    await expect(visitor.getByTestId('sign-up-domains-hint')).toHaveCount(0, { timeout: 500 });
    await expect(visitor.getByRole('button', { name: 'Sign up' })).toHaveCount(1, { timeout: 500 });
  }).toPass();
});

test('an admin hands a disabled creator\'s APIs to a colleague', async ({ page, request }) => {
  const leaverToken = process.env.E2E_LEAVER_TOKEN ?? '';
  const definition = `openapi: 3.0.3
info:
  title: Leaver's API ${Date.now()}
  version: 1.0.0
paths: {}
`;
  const api = await rest(request, leaverToken, 'POST', `/apis/import?context=/leaver-${Date.now()}/v1`, definition, 'application/yaml');
  await signIn(page, admin.email, admin.password);
  await page.goto('/admin/users');
  await hydrated(page);
  const row = page.locator('[data-testid="user-row"][data-email="leaver@e2e.test"]');
  await expect(row.getByTestId('hand-over')).toHaveCount(0);
  await row.getByTestId('user-access').click();
  await expect(row.getByTestId('user-disabled')).toBeVisible();
  // Disabled, the account still owns its API until it is handed to someone still here.
  await expect(row).toContainText('Still owns 1 API version');
  await row.getByTestId('hand-over-owner').fill('nobody@e2e.test');
  await row.getByTestId('hand-over').click();
  await expect(page.getByRole('alert')).toContainText('no account has the email nobody@e2e.test');
  await row.getByTestId('hand-over-owner').fill(creator.email);
  await row.getByTestId('hand-over').click();
  await expect(page.getByTestId('handed-over')).toContainText('1 API version handed over');
  await expect(row.getByTestId('hand-over')).toHaveCount(0);
  const detail = await rest(request, creator.token, 'GET', `/apis/${api.id}`);
  expect(detail.owner).toBe(creator.email);
  expect(detail.editable).toBe(true);
});
