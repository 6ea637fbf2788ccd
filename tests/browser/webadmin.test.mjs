// WebAdmin browser tests: a bulwarkd with webadmin (strict lockout) on free
// loopback ports, started by wadaemon.py, and Debian's chromium driven by
// playwright-core. Covers the first-login flow, extensions (field errors,
// create, edit, delete), modules and alarms, logout and session expiry,
// a lockout and the access log. Screenshots go to artifacts/.
// Run: node --test --test-reporter=tap webadmin.test.mjs (see run.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon as start, stopDaemon, launch, newPage as openPage, shot, login, fieldError } from './wabrowser.mjs';

const NEWPW = 'Brave-New-Pass-42';
const FAILED = 'invalid user name or password, or the account is locked';

const daemons = [];
let info, browser, base;
let admin;   // the page of the first administrator session, kept all along
const problems = [];   // CSP violations and script errors, from every page

// Every daemon started here, stopped at the end even when a test failed.
async function startDaemon(...extra) {
	const d = await start(...extra);
	daemons.push(d.proc);
	return d;
}

const newPage = () => openPage(browser, problems);

// Every visible input and select has a label, or in a table row an
// aria-label (keyboard and screen readers).
async function unlabelled(page) {
	return page.$$eval('input, select', els => els
		.filter(e => e.type !== 'hidden' && (!e.labels || e.labels.length === 0) && !e.getAttribute('aria-label'))
		.map(e => e.name || e.id || e.outerHTML.slice(0, 60)));
}

before(async () => {
	({ info } = await startDaemon('lockout="strict"'));
	base = `https://127.0.0.1:${info.https}`;
	browser = await launch();
});

after(async () => {
	if (browser)
		await browser.close();
	for (const proc of daemons)
		await stopDaemon(proc);
});

test('first login: only the password page until changed, rules checked as you type', async () => {
	assert.ok(info.initial, 'bulwarkd printed the initial password');
	admin = await newPage();
	await admin.goto(base);
	await admin.getByRole('heading', { name: 'Log in to Bulwark' }).waitFor();
	assert.deepEqual(await unlabelled(admin), []);
	// keyboard only: type, Tab, type, Enter
	await admin.getByLabel('User name').focus();
	await admin.keyboard.type('admin');
	await admin.keyboard.press('Tab');
	await admin.keyboard.type(info.initial);
	await admin.keyboard.press('Enter');
	await admin.getByRole('heading', { name: 'Change password' }).waitFor();
	assert.match(await admin.locator('main').innerText(), /must be changed before you can use/);
	assert.equal(await admin.locator('#nav').isVisible(), false, 'no navigation before the change');
	await admin.goto(`${base}/#/extensions`);
	await admin.getByRole('heading', { name: 'Change password' }).waitFor();
	assert.match(admin.url(), /#\/password$/, 'other pages lead back to the password page');

	await admin.getByLabel('Current password').fill(info.initial);
	const neu = admin.getByLabel('New password', { exact: true });
	await neu.pressSequentially('abc');
	const unmet = await admin.locator('[data-field="new"] .rules li.unmet').allInnerTexts();
	assert.ok(unmet.includes('must be 8 to 255 characters long'), unmet.join('|'));
	assert.ok(unmet.includes('must contain an upper-case letter (A-Z)'));
	assert.ok(unmet.includes('must contain a digit (0-9)'));
	assert.ok(unmet.some(t => t.startsWith('must contain a special character')));
	assert.ok((await admin.locator('[data-field="new"] .rules li.met').allInnerTexts())
		.includes('must contain a lower-case letter (a-z)'));
	await admin.getByLabel('New password again').fill('abc');
	await admin.getByRole('button', { name: 'Change password' }).click();
	assert.equal(await fieldError(admin, 'new').innerText(), 'does not meet the rules marked above');
	await shot(admin, '01-password-weak');

	// the server's verdict by the field: the current password cannot be reused
	await neu.fill(info.initial);
	await admin.getByLabel('New password again').fill(info.initial);
	await admin.getByRole('button', { name: 'Change password' }).click();
	await assert.doesNotReject(fieldError(admin, 'new').getByText('must not be one of the last 4 passwords')
		.waitFor());
	await shot(admin, '02-password-server-error');

	await neu.fill(NEWPW);
	assert.equal(await admin.locator('[data-field="new"] .rules li.unmet').count(), 0, 'a good password meets every rule');
	await admin.getByLabel('New password again').fill(NEWPW);
	await admin.getByRole('button', { name: 'Change password' }).click();
	await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
	assert.equal(await admin.locator('#notice').innerText(), 'Password changed.');
	await admin.locator('#dash-registrations').waitFor();
	assert.match(await admin.locator('#dash-calls').innerText(), /^\d+\s+Active calls$/);
	assert.equal(await admin.locator('.chart svg').count(), 1, 'the call-volume chart is drawn');
	assert.match(await admin.locator('#who').innerText(), /admin \(system\)/);
	await shot(admin, '03-dashboard');
});

test('extensions: field errors next to the field, create, edit, delete', async () => {
	await admin.getByRole('link', { name: 'Extensions' }).click();
	await admin.getByRole('heading', { name: 'Extensions' }).waitFor();
	await admin.getByRole('link', { name: 'New extension' }).click();
	await admin.getByRole('heading', { name: 'New extension' }).waitFor();
	assert.deepEqual(await unlabelled(admin), []);

	const number = admin.getByLabel('Number');
	await number.pressSequentially('10a');
	assert.equal(await fieldError(admin, 'number').innerText(), 'the number is 1-32 digits');
	assert.equal(await number.getAttribute('aria-invalid'), 'true');
	await number.fill('1001');
	await number.dispatchEvent('input');
	assert.equal(await fieldError(admin, 'number').innerText(), '');
	await admin.getByLabel('Most registered devices').fill('50');
	await admin.getByLabel('Most registered devices').dispatchEvent('input');
	assert.equal(await fieldError(admin, 'max_contacts').innerText(), 'must be a whole number from 1 to 20');
	await admin.getByLabel('Most registered devices').fill('2');
	await admin.getByLabel('Display name').fill('Reception <b>desk</b>');
	await admin.getByLabel('SIP secret').fill('s3cret-phone');
	await admin.getByRole('button', { name: 'Create' }).click();
	await admin.getByText('Extension 1001 created.').waitFor();
	const row = admin.locator('#ext-list tbody tr', { hasText: '1001' });
	assert.match(await row.innerText(), /Reception <b>desk<\/b>/, 'names are shown as text, never markup');
	assert.match(await row.innerText(), /\bset\b/, 'the secret is set, and not shown');

	// the server's field error: the number is taken
	await admin.getByRole('link', { name: 'New extension' }).click();
	await admin.getByLabel('Number').fill('1001');
	await admin.getByRole('button', { name: 'Create' }).click();
	await fieldError(admin, 'number').getByText('this extension already exists').waitFor();
	await shot(admin, '04-extension-field-error');
	// and one the client cannot know: the SIP user of another extension
	await admin.getByLabel('Number').fill('1002');
	await admin.getByLabel('SIP user name').fill('1001');
	await admin.getByRole('button', { name: 'Create' }).click();
	await fieldError(admin, 'sip_user').getByText('already used by another extension').waitFor();
	await admin.getByLabel('SIP user name').fill('desk2');
	await admin.getByLabel('SRTP').selectOption('mandatory');
	await admin.getByRole('button', { name: 'Create' }).click();
	await admin.getByText('Extension 1002 created.').waitFor();
	assert.match(await admin.locator('#ext-list tbody tr', { hasText: '1002' }).innerText(),
		/desk2\s+.*mandatory/);
	await shot(admin, '05-extensions');

	await admin.getByRole('link', { name: 'Edit 1002' }).click();
	await admin.getByRole('heading', { name: 'Extension 1002' }).waitFor();
	assert.equal(await admin.getByLabel('Number').getAttribute('readonly'), '');
	await admin.getByLabel('Display name').fill('Second desk');
	await admin.getByRole('button', { name: 'Save' }).click();
	await admin.getByText('Extension 1002 saved.').waitFor();
	assert.match(await admin.locator('#ext-list tbody tr', { hasText: '1002' }).innerText(), /Second desk/);

	await admin.getByRole('button', { name: 'Delete 1002' }).click();
	await admin.getByRole('button', { name: 'Yes, delete 1002' }).click();
	await admin.getByText('Extension 1002 deleted.').waitFor();
	await admin.locator('#ext-list tbody tr', { hasText: '1001' }).waitFor();   // the list is back
	assert.equal(await admin.locator('#ext-list tbody tr', { hasText: '1002' }).count(), 0);
});

test('modules and alarms pages', async () => {
	await admin.getByRole('link', { name: 'Modules' }).click();
	await admin.getByRole('heading', { name: 'Modules' }).waitFor();
	await admin.locator('table tbody tr', { hasText: 'webadmin' }).waitFor();
	await admin.getByRole('link', { name: 'Alarms' }).click();
	await admin.getByRole('heading', { name: 'Alarms' }).waitFor();
	await admin.locator('table').waitFor();
	await shot(admin, '06-alarms');
});

test('users: a group administrator is created, must change the password, sees a smaller menu', async () => {
	await admin.getByRole('link', { name: 'Users' }).click();
	await admin.locator('#user-list tbody tr', { hasText: 'admin' }).waitFor();
	assert.equal(await admin.getByRole('button', { name: 'Delete admin' }).count(), 0, 'no deleting oneself');
	assert.deepEqual(await unlabelled(admin), [], 'the role selects are named');
	await admin.getByRole('link', { name: 'New user' }).click();
	await admin.getByRole('heading', { name: 'New user' }).waitFor();
	assert.deepEqual(await unlabelled(admin), []);
	await admin.getByLabel('User name').fill('ops');
	await admin.getByLabel('Role').selectOption('group');
	await admin.getByLabel('Initial password').fill('ops');
	assert.ok((await admin.locator('[data-field="password"] .rules li.unmet').allInnerTexts())
		.includes('must not be the user name'));
	await admin.getByRole('button', { name: 'Create user' }).click();
	assert.equal(await fieldError(admin, 'password').innerText(), 'does not meet the rules marked above');
	await admin.getByLabel('Initial password').fill('Ops-Initial-77');
	await admin.getByRole('button', { name: 'Create user' }).click();
	const row = admin.locator('#user-list tbody tr', { hasText: 'ops' });
	await row.waitFor();
	assert.match(await row.innerText(), /yes\s+no/, 'must change: yes, locked: no');
	assert.equal(await admin.getByLabel('Role of ops').inputValue(), 'group');

	const ops = await newPage();
	await login(ops, base, 'ops', 'Ops-Initial-77');
	await ops.getByRole('heading', { name: 'Change password' }).waitFor();
	await ops.getByLabel('Current password').fill('Ops-Initial-77');
	await ops.getByLabel('New password', { exact: true }).fill('Ops-Second-88');
	await ops.getByLabel('New password again').fill('Ops-Second-88');
	await ops.getByRole('button', { name: 'Change password' }).click();
	await ops.getByRole('heading', { name: 'Dashboard' }).waitFor();
	const menu = await ops.locator('#nav a:visible').allInnerTexts();
	assert.deepEqual(menu, ['Dashboard', 'Extensions', 'Alarms', 'Password']);
	await ops.goto(`${base}/#/audit`);
	await ops.getByRole('heading', { name: 'Dashboard' }).waitFor();
	await shot(ops, '07-group-admin');
	await ops.context().close();

	await admin.reload();
	await admin.getByRole('button', { name: 'Delete ops' }).click();
	await admin.getByRole('button', { name: 'Yes, delete ops' }).click();
	await admin.getByText('ops deleted.').waitFor();
	await admin.locator('#user-list tbody tr', { hasText: 'admin' }).waitFor();
	assert.equal(await admin.locator('#user-list tbody tr', { hasText: 'ops' }).count(), 0);
});

test('logout, and an expired session goes back to the login page with a message', async () => {
	const page = await newPage();
	await login(page, base, 'admin', NEWPW);
	await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
	await page.context().clearCookies();    // the session is gone as far as the browser goes
	await page.getByRole('link', { name: 'Extensions' }).click();
	await page.getByRole('heading', { name: 'Log in to Bulwark' }).waitFor();
	assert.match(await page.locator('#notice').innerText(), /session has expired/);

	await login(page, base, 'admin', NEWPW);
	await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
	await page.getByRole('button', { name: 'Log out' }).click();
	await page.getByRole('heading', { name: 'Log in to Bulwark' }).waitFor();
	assert.equal(await page.locator('#notice').innerText(), 'You have logged out.');
	await page.goto(`${base}/#/audit`);
	await page.reload();
	await page.getByRole('heading', { name: 'Log in to Bulwark' }).waitFor();
	await page.context().close();
});

test('lockout: wrong passwords until the address is blocked', async () => {
	const page = await newPage();
	for (let i = 0; i < 3; i++) {
		await login(page, base, 'admin', `Wrong-Pass-${i}`);
		await page.getByRole('alert').getByText(FAILED).waitFor();
	}
	await login(page, base, 'admin', NEWPW);    // even the right password: the address is blocked
	await page.getByRole('alert').getByText('too many failed logins from this address').waitFor();
	assert.match(await page.locator('main').innerText(), /try again later/);
	await shot(page, '08-lockout');
	await page.context().close();
});

test('access log: failures, logins and changes, read only', async () => {
	await admin.getByRole('link', { name: 'Access log' }).click();
	await admin.getByRole('heading', { name: 'Access log' }).waitFor();
	const failed = await admin.locator('#audit-failed tbody').innerText();
	assert.match(failed, /web:admin@127\.0\.0\.1\s+login\.failed/);
	assert.match(failed, /login\.blocked/);
	assert.match(await admin.locator('#audit-ok tbody').innerText(), /web:admin@127\.0\.0\.1\s+login/);
	const changes = await admin.locator('#audit-changes tbody').innerText();
	assert.match(changes, /ext\.add\s+ext\/1001/);
	assert.match(changes, /ext\.del\s+ext\/1002/);
	assert.match(changes, /webadmin\.password/);
	assert.equal(await admin.locator('main button, main input, main form').count(), 0,
		'nothing on the page can change the log');
	await shot(admin, '09-access-log');
	assert.deepEqual(problems, [], 'no CSP violation or script error on any page');
});

test('idle timeout: an idle page returns to the login page by itself, with a message', async () => {
	const { proc, info: idle } = await startDaemon('session-idle="2s"');
	const page = await newPage();
	await login(page, `https://127.0.0.1:${idle.https}`, 'admin', idle.initial);
	await page.getByRole('heading', { name: 'Change password' }).waitFor();
	// nothing touched: past the idle timeout the page asks and is told the session is gone
	await page.getByRole('heading', { name: 'Log in to Bulwark' }).waitFor({ timeout: 15000 });
	assert.match(await page.locator('#notice').innerText(), /session has expired/);
	await shot(page, '10-idle-expired');
	assert.deepEqual(problems, [], 'no CSP violation or script error on any page');
	await page.context().close();
	await stopDaemon(proc);
});
