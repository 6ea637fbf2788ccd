// Browser tests for authorization profiles and the Self Service Portal: a
// profile created on the Profiles page, a group administrator whose menu is
// exactly its profile's forms, an end user who sees only My phone and
// Password and saves call forwarding (field errors as you type, the PIN
// never shown). Own bulwarkd (wadaemon.py); screenshots in artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.BW_ARTIFACTS || path.join(HERE, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PW = 'Brave-New-Pass-42';
let daemon, info, browser, base, admin;
const problems = [];

function startDaemon() {
	const top = process.env.top_srcdir || path.resolve(HERE, '../..');
	const env = { ...process.env, top_srcdir: top,
		PYTHONPATH: path.join(top, 'tests/integration'), PYTHONDONTWRITEBYTECODE: '1' };
	daemon = spawn(process.env.PYTHON3 || 'python3', [path.join(HERE, 'wadaemon.py')],
		{ env, stdio: ['pipe', 'pipe', 'inherit'] });
	return new Promise((resolve, reject) => {
		createInterface({ input: daemon.stdout }).once('line', l => {
			const j = JSON.parse(l);
			if (j.error)
				reject(new Error(`bulwarkd did not start: ${j.error}`));
			else
				resolve(j);
		});
		daemon.once('exit', code => reject(new Error(`wadaemon.py exited ${code} before answering`)));
	});
}

async function newPage() {
	const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
	ctx.setDefaultTimeout(10000);
	const page = await ctx.newPage();
	page.on('console', m => {
		if (/Content.Security.Policy|Refused to/i.test(m.text()))
			problems.push(m.text());
	});
	page.on('pageerror', e => problems.push(`page error: ${e.message}`));
	return page;
}

// Logs in and sets the password (every new account must change it first).
async function firstLogin(page, user, initial) {
	await page.goto(`${base}/#/login`);
	await page.getByLabel('User name').fill(user);
	await page.getByLabel('Password', { exact: true }).fill(initial);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.getByLabel('Current password').fill(initial);
	await page.getByLabel('New password', { exact: true }).fill(PW);
	await page.getByLabel('New password again').fill(PW);
	await page.getByRole('button', { name: 'Change password' }).click();
}

// An API call from the page, with its session's CSRF token (test set-up).
function api(page, method, url, body) {
	return page.evaluate(async ([m, u, b]) => {
		const s = JSON.parse(sessionStorage.getItem('bw.session'));
		const r = await fetch(u, { method: m, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
			body: b === undefined ? undefined : JSON.stringify(b) });
		return r.status;
	}, [method, url, body]);
}

const menu = page => page.locator('#nav a:visible').allInnerTexts();
const fieldError = (page, name) => page.locator(`[data-field="${name}"] .error`);

before(async () => {
	mkdirSync(ARTIFACTS, { recursive: true });
	info = await startDaemon();
	base = `https://127.0.0.1:${info.https}`;
	browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'] });
	admin = await newPage();
	await firstLogin(admin, 'admin', info.initial);
	await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
	for (const n of ['100', '200'])
		assert.equal(await api(admin, 'POST', '/api/extensions', { number: n }), 201);
});

after(async () => {
	if (browser)
		await browser.close();
	if (daemon && daemon.exitCode === null) {
		const done = new Promise(r => daemon.once('exit', r));
		daemon.stdin.end();
		await done;
	}
});

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
	await admin.screenshot({ path: path.join(ARTIFACTS, 'p1-profiles.png'), fullPage: true });

	assert.equal(await api(admin, 'POST', '/api/users',
		{ name: 'viewer', role: 'group', profile: 'viewers', password: 'Viewer-Init-77' }), 201);
	const v = await newPage();
	await firstLogin(v, 'viewer', 'Viewer-Init-77');
	await v.getByRole('heading', { name: 'Extensions' }).waitFor();
	assert.deepEqual(await menu(v), ['Extensions', 'Alarms', 'Password']);
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
	await e.screenshot({ path: path.join(ARTIFACTS, 'p2-self.png'), fullPage: true });
	await e.context().close();
	assert.deepEqual(problems, [], 'no CSP violations or script errors');
});
