// The Routes page: an outgoing route and a DID created through the page,
// each after a field error shown first (checked as you type with the
// server's rules; the server's own "already exists" next to the prefix),
// edited and deleted; a group administrator with read only on "routes"
// sees both tables without New, Edit or Delete. Own bulwarkd (wadaemon.py,
// the trunk written with bulwarkctl: no sip module needed); screenshots
// routes-*.png in artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminSession, endSession, newPage, shot, firstLogin, fieldError, api, ctl } from './wabrowser.mjs';

const PW = 'Brave-New-Pass-42';
const problems = [];
let t, page;

before(async () => {
	t = await adminSession(PW, problems);
	page = t.page;
	for (const n of ['100', '101'])
		assert.equal(await api(page, 'POST', '/api/extensions', { number: n }), 201);
	ctl(t.info, 'store', 'put', 'trunk/carrier', JSON.stringify({ driver: 'sip', mode: 'peer',
		address: '127.0.0.2', proxy: 'sip:127.0.0.2' }));
});

after(() => endSession(t));

const storeGet = key => JSON.parse(ctl(t.info, 'store', 'get', key));

test('an outgoing route: errors first, created, refused twice, edited', async () => {
	await page.getByRole('link', { name: 'Routes' }).click();
	await page.locator('#route-out-list').waitFor();
	await page.getByRole('button', { name: 'New outgoing route' }).click();
	await page.getByLabel('Prefix').fill('0a');
	assert.equal(await fieldError(page, 'prefix').innerText(), '1-32 of digits, + * #');
	await page.getByLabel('Prepend').fill('00-49');
	assert.equal(await fieldError(page, 'prepend').innerText(), 'at most 32 of digits, + * #');
	await page.getByRole('button', { name: 'Create' }).click();
	await fieldError(page, 'trunk').filter({ hasText: /./ }).waitFor();
	assert.match(await fieldError(page, 'trunk').innerText(), /choose a trunk/);
	await shot(page, 'routes-out-errors');
	await page.getByLabel('Prefix').fill('0');
	assert.equal(await fieldError(page, 'prefix').innerText(), '');
	await page.getByLabel('Trunk').selectOption('carrier');
	assert.equal(await fieldError(page, 'trunk').innerText(), '');
	await page.getByLabel('Digits to strip').fill('1');
	await page.getByLabel('Prepend').fill('0049');
	await page.getByRole('button', { name: 'Create' }).click();
	await page.locator('#notice', { hasText: 'The outgoing route 0 was created.' }).waitFor();
	const row = page.locator('#route-out-list tbody tr', { hasText: 'carrier' });
	assert.match(await row.innerText(), /0049/);
	assert.deepEqual(storeGet('route/out/0'), { trunk: 'carrier', strip: 1, prepend: '0049' });

	// the server's verdict by its field: the prefix exists already
	await page.getByRole('button', { name: 'New outgoing route' }).click();
	await page.getByLabel('Prefix').fill('0');
	await page.getByLabel('Trunk').selectOption('carrier');
	await page.getByRole('button', { name: 'Create' }).click();
	// the verdict comes with the server's answer: wait for it, then read it
	await fieldError(page, 'prefix').filter({ hasText: /./ }).waitFor();
	assert.match(await fieldError(page, 'prefix').innerText(), /already exists/);
	await page.getByRole('button', { name: 'Cancel' }).click();

	await page.getByRole('button', { name: 'Edit 0' }).click();
	assert.equal(await page.getByLabel('Prefix').evaluate(el => el.readOnly), true);
	await page.getByLabel('Prepend').fill('+49');
	await page.getByRole('button', { name: 'Save' }).click();
	await page.locator('#notice', { hasText: 'The outgoing route 0 was saved.' }).waitFor();
	assert.deepEqual(storeGet('route/out/0'), { trunk: 'carrier', strip: 1, prepend: '+49' });
});

test('a DID: error first, created, deleted after confirming', async () => {
	await page.goto(`${t.base}/#/routes`);
	await page.getByRole('button', { name: 'New DID' }).click();
	await page.getByLabel('DID number').fill('555-1000');
	assert.equal(await fieldError(page, 'number').innerText(), '1-32 of digits, + * #');
	await page.getByLabel('DID number').fill('+3255510');
	assert.equal(await fieldError(page, 'number').innerText(), '');
	await page.getByLabel('Extension').selectOption('101');
	await page.getByRole('button', { name: 'Create' }).click();
	await page.locator('#notice', { hasText: 'The DID +3255510 was created.' }).waitFor();
	assert.match(await page.locator('#route-did-list tbody tr', { hasText: '+3255510' }).innerText(), /101/);
	assert.deepEqual(storeGet('route/did/+3255510'), { extension: '101' });
	await shot(page, 'routes-page');

	await page.getByRole('button', { name: 'Delete +3255510' }).click();
	await page.getByRole('button', { name: 'Yes, delete +3255510' }).click();
	await page.locator('#notice', { hasText: 'The DID +3255510 was deleted.' }).waitFor();
	assert.equal(await page.locator('#route-did-list tbody tr', { hasText: '+3255510' }).count(), 0);
});

test('read only on routes: the tables without edit controls', async () => {
	assert.equal(await api(page, 'POST', '/api/profiles', { name: 'route-readers', forms: { routes: 'read' } }), 201);
	assert.equal(await api(page, 'POST', '/api/users',
		{ name: 'reader', role: 'group', profile: 'route-readers', password: 'Reader-Init-77' }), 201);
	const v = await newPage(t.browser, problems);
	await firstLogin(v, t.base, 'reader', 'Reader-Init-77', PW);
	await v.getByRole('heading', { name: 'Routes', exact: true }).waitFor();
	await v.locator('#route-out-list tbody tr', { hasText: 'carrier' }).waitFor();
	assert.equal(await v.getByRole('button', { name: 'New outgoing route' }).count(), 0);
	assert.equal(await v.getByRole('button', { name: 'New DID' }).count(), 0);
	assert.equal(await v.getByRole('button', { name: /^(Edit|Delete) / }).count(), 0);
	await shot(v, 'routes-read-only');
	await v.context().close();
});

test('no CSP violation or script error', () => {
	assert.deepEqual(problems, []);
});
