// Event log and access log pages: the event-type filter checked as you
// type with the server's rule, an event emitted with bulwarkctl appearing
// on the open page by itself (the page polls) while the filter keeps other
// types out, and an extension added with bulwarkctl showing in the access
// log's changes with its actor. Own bulwarkd (wadaemon.py); screenshots in
// artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminSession, endSession, shot, fieldError, ctl } from './wabrowser.mjs';

const PW = 'Brave-New-Pass-42';
const problems = [];
let t, info, page;

before(async () => {
	t = await adminSession(PW, problems);
	({ info, page } = t);
});

after(() => endSession(t));

test('event log: filter checked as you type; a bulwarkctl event shows up by itself', async () => {
	await page.getByRole('link', { name: 'Event log' }).click();
	await page.getByRole('heading', { name: 'Event log' }).waitFor();
	const filter = page.getByLabel('Event types');
	await filter.fill('a b');
	assert.match(await fieldError(page, 'glob').innerText(), /letters, digits/);
	await filter.fill('browser.*');
	assert.equal(await fieldError(page, 'glob').innerText(), '');
	await page.locator('#events-list tbody').getByText('Nothing yet.').waitFor();
	ctl(info, 'emit', 'other.thing', 'n=1');
	ctl(info, 'emit', 'browser.test', 'who=bulwarkctl', 'n=42');
	const row = page.locator('#events-list tbody tr', { hasText: 'browser.test' });
	await row.waitFor();
	assert.match(await row.innerText(), /who=bulwarkctl/);
	assert.match(await row.innerText(), /n=42/);
	assert.doesNotMatch(await page.locator('#events-list').innerText(), /other\.thing/,
		'the filter keeps other types out');
	await shot(page, 'e1-event-log');
});

test('access log: an extension added with bulwarkctl is among the changes', async () => {
	ctl(info, 'ext', 'add', '555', 'name=Browser');
	await page.getByRole('link', { name: 'Access log' }).click();
	await page.getByRole('heading', { name: 'Access log' }).waitFor();
	const row = page.locator('#audit-changes tbody tr', { hasText: 'ext/555' });
	await row.waitFor();
	assert.match(await row.innerText(), /bulwarkctl.*\s+ext\.add\s+ext\/555/);
	assert.match(await page.locator('#audit-ok tbody').innerText(), /web:admin@127\.0\.0\.1\s+login/);
	assert.equal(await page.locator('main button, main input, main form').count(), 0,
		'nothing on the page can change the log');
	await shot(page, 'e2-access-log');
	assert.deepEqual(problems, [], 'no CSP violation or script error');
});
