// Shared helpers of the WebAdmin browser tests: a bulwarkd with webadmin
// started by wadaemon.py (its own data directory and free ports, stopped
// when its stdin closes), Debian's chromium through playwright-core, pages
// that collect CSP violations and script errors, screenshots, and the
// first login that every new account must finish by changing its password.
import { spawn } from 'node:child_process';
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

// Logs in and sets the password pw (every new account must change it first).
export async function firstLogin(page, base, user, initial, pw) {
	await page.goto(`${base}/#/login`);
	await page.getByLabel('User name').fill(user);
	await page.getByLabel('Password', { exact: true }).fill(initial);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.getByLabel('Current password').fill(initial);
	await page.getByLabel('New password', { exact: true }).fill(pw);
	await page.getByLabel('New password again').fill(pw);
	await page.getByRole('button', { name: 'Change password' }).click();
}

// The error line of a form field, found by the field's name.
export const fieldError = (page, name) => page.locator(`[data-field="${name}"] .error`);
