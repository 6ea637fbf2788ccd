// Browser tests for authorization profiles and the Self Service Portal: a
// profile created on the Profiles page, a group administrator whose menu is
// exactly its profile's forms, an end user who sees only My phone and
// Password and saves call forwarding (field errors as you type, the PIN
// never shown). Own bulwarkd (wadaemon.py); screenshots in artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminSession, endSession, newPage as openPage, shot, firstLogin as first, fieldError, api }
	from './wabrowser.mjs';

const PW = 'Brave-New-Pass-42';
let t, browser, base, admin;
const problems = [];

const newPage = () => openPage(browser, problems);
const firstLogin = (page, user, initial) => first(page, base, user, initial, PW);

const menu = page => page.locator('#nav a:visible').allInnerTexts();

before(async () => {
	t = await adminSession(PW, problems);
	({ browser, base, page: admin } = t);
	for (const n of ['100', '200'])
		assert.equal(await api(admin, 'POST', '/api/extensions', { number: n }), 201);
});

after(() => endSession(t));

test('profiles: created on the page; a group administrator sees exactly its forms', async () => {
	await admin.getByRole('link', { name: 'Profiles' }).click();
	await admin.locator('#prof-list tbody tr', { hasText: 'group-admin' }).waitFor();
	await admin.getByRole('link', { name: 'New profile' }).click();
	await admin.getByLabel('Profile name').fill('bad name');
	assert.equal(await fieldError(admin, 'name').innerText(), '1-64 of A-Z a-z 0-9 - _ .');
	await admin.getByLabel('Profile name').fill('viewers');
	await admin.getByLabel('Form extensions').selectOption('read');
	await admin.getByLabel('Form alarms').selectOption('write');
	assert.equal(await admin.getByLabel('Form users').count(), 0, 'users is not grantable');
	await admin.getByRole('button', { name: 'Create' }).click();
	const row = admin.locator('#prof-list tbody tr', { hasText: 'viewers' });
	await row.waitFor();
	assert.match(await row.innerText(), /alarms: write, extensions: read/);
	await shot(admin, 'p1-profiles');

	assert.equal(await api(admin, 'POST', '/api/users',
		{ name: 'viewer', role: 'group', profile: 'viewers', password: 'Viewer-Init-77' }), 201);
	const v = await newPage();
	await firstLogin(v, 'viewer', 'Viewer-Init-77');
	await v.getByRole('heading', { name: 'Extensions' }).waitFor();
	assert.deepEqual(await menu(v), ['Extensions', 'Alarms', 'Password']);
	// read only on extensions: the records, no New, Edit, Delete or Save
	await v.locator('#ext-list tbody tr', { hasText: '200' }).waitFor();
	assert.equal(await v.getByRole('link', { name: 'New extension' }).count(), 0);
	assert.equal(await v.getByRole('link', { name: 'Edit 100' }).count(), 0);
	assert.equal(await v.getByRole('button', { name: /^Delete / }).count(), 0);
	await v.getByRole('link', { name: 'View 100' }).click();
	await v.getByRole('heading', { name: 'Extension 100' }).waitFor();
	assert.equal(await v.locator('main form button').count(), 0, 'no Save for a read-only profile');
	assert.equal(await v.getByLabel('Display name').evaluate(el => el.readOnly), true);
	await shot(v, 'p1-extensions-read-only');
	await v.goto(`${base}/#/dashboard`);
	await v.getByRole('heading', { name: 'Extensions' }).waitFor();
	await v.context().close();

	await admin.getByRole('link', { name: 'Profiles' }).click();
	await admin.getByRole('button', { name: 'Delete viewers' }).click();
	await admin.getByRole('button', { name: 'Yes, delete viewers' }).click();
	await admin.getByText('the profile is used by: viewer').waitFor();
});

test('self service: an end user sees only My phone and Password and sets forwarding', async () => {
	assert.equal(await api(admin, 'POST', '/api/users',
		{ name: 'eve', role: 'user', extension: '100', password: 'Eve-Initial-77' }), 201);
	const e = await newPage();
	await firstLogin(e, 'eve', 'Eve-Initial-77');
	await e.getByRole('heading', { name: 'My phone' }).waitFor();
	assert.deepEqual(await menu(e), ['My phone', 'Password']);
	await e.getByLabel('Forward when busy to').fill('12a');
	assert.equal(await fieldError(e, 'forward_busy').innerText(), 'a number of 1-32 digits, or empty for no forwarding');
	await e.getByLabel('Forward when busy to').fill('100');
	assert.equal(await fieldError(e, 'forward_busy').innerText(), 'must not be your own extension');
	await e.getByLabel('Forward when busy to').fill('200');
	await e.getByLabel('Display name').fill('Eve Example');
	await e.getByLabel('New PIN').fill('4711');
	await e.getByRole('button', { name: 'Save' }).click();
	await e.getByText('Saved.').waitFor();
	assert.equal(await e.getByLabel('Forward when busy to').inputValue(), '200');
	assert.equal(await e.getByLabel('New PIN').inputValue(), '', 'the PIN is never shown');
	assert.match(await e.locator('main').innerText(), /a PIN is set/);
	await shot(e, 'p2-self');
	await e.context().close();
	assert.deepEqual(problems, [], 'no CSP violations or script errors');
});
