// Shared helpers of the WebAdmin browser tests: a bulwarkd with webadmin
// started by wadaemon.py (its own data directory and free ports, stopped
// when its stdin closes), Debian's chromium through playwright-core, pages
// that collect CSP violations and script errors, screenshots, and the
// first login that every new account must finish by changing its password.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = process.env.BW_ARTIFACTS || path.join(HERE, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// wadaemon.py with extra module attributes; resolves to { proc, info }.
export function startDaemon(...extra) {
	const top = process.env.top_srcdir || path.resolve(HERE, '../..');
	const env = { ...process.env, top_srcdir: top,
		PYTHONPATH: path.join(top, 'tests/integration'), PYTHONDONTWRITEBYTECODE: '1' };
	const proc = spawn(process.env.PYTHON3 || 'python3', [path.join(HERE, 'wadaemon.py'), ...extra],
		{ env, stdio: ['pipe', 'pipe', 'inherit'] });
	return new Promise((resolve, reject) => {
		createInterface({ input: proc.stdout }).once('line', l => {
			const j = JSON.parse(l);
			if (j.error)
				reject(new Error(`bulwarkd did not start: ${j.error}`));
			else
				resolve({ proc, info: j });
		});
		proc.once('exit', code => reject(new Error(`wadaemon.py exited ${code} before answering`)));
	});
}

// Closing its stdin makes wadaemon.py stop bulwarkd and clean up.
export async function stopDaemon(proc) {
	if (!proc || proc.exitCode !== null || proc.signalCode !== null)
		return;
	const done = new Promise(r => proc.once('exit', r));
	proc.stdin.end();
	await done;
}

export async function launch() {
	mkdirSync(ARTIFACTS, { recursive: true });
	return chromium.launch({ executablePath: CHROMIUM, headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}

// A 1280x800 page; CSP violations and page errors are pushed to problems.
export async function newPage(browser, problems) {
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

export async function shot(page, name) {
	await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// Fills in and sends the login form (whatever the answer).
export async function login(page, base, user, pw) {
	await page.goto(`${base}/#/login`);
	await page.getByLabel('User name').fill(user);
	await page.getByLabel('Password', { exact: true }).fill(pw);
	await page.getByRole('button', { name: 'Log in' }).click();
}

// Logs in and sets the password pw (every new account must change it first).
export async function firstLogin(page, base, user, initial, pw) {
	await login(page, base, user, initial);
	await page.getByLabel('Current password').fill(initial);
	await page.getByLabel('New password', { exact: true }).fill(pw);
	await page.getByLabel('New password again').fill(pw);
	await page.getByRole('button', { name: 'Change password' }).click();
}

// The error line of a form field, found by the field's name.
export const fieldError = (page, name) => page.locator(`[data-field="${name}"] .error`);

// An API call from the page, with its session's CSRF token (test set-up);
// resolves to the HTTP status.
export function api(page, method, url, body) {
	return page.evaluate(async ([m, u, b]) => {
		const s = JSON.parse(sessionStorage.getItem('bw.session'));
		const r = await fetch(u, { method: m, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
			body: b === undefined ? undefined : JSON.stringify(b) });
		return r.status;
	}, [method, url, body]);
}

// bulwarkctl against the daemon wadaemon.py started (info: its JSON line);
// its output, or a thrown error when it fails.
export function ctl(info, ...args) {
	return execFileSync(info.ctl, ['-s', info.socket, ...args], { encoding: 'utf8', timeout: 30000 });
}

// The usual set-up of a test file: a daemon (extra module attributes),
// chromium, and a page where admin has logged in for the first time and
// set the password pw. Resolves to { proc, info, base, browser, page }.
export async function adminSession(pw, problems, ...extra) {
	const t = await startDaemon(...extra);
	t.base = `https://127.0.0.1:${t.info.https}`;
	t.browser = await launch();
	t.page = await newPage(t.browser, problems);
	await firstLogin(t.page, t.base, 'admin', t.info.initial, pw);
	await t.page.getByRole('heading', { name: 'Dashboard' }).waitFor();
	return t;
}

// Undoes adminSession (t may be undefined when it failed early).
export async function endSession(t) {
	if (t?.browser)
		await t.browser.close();
	await stopDaemon(t?.proc);
}
