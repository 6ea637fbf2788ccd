// The API client and the session: JSON in and out, the CSRF token on every
// change, and one place that notices an expired session (401) and sends the
// user back to the login page with a message. The session summary (with
// the CSRF token) sits in sessionStorage so a reload keeps it: a session
// that must change its password gets 403 from GET /api/session and could
// not otherwise recover its token. The cookie itself is HttpOnly.

const KEY = 'bw.session';
let session = load();
let expiredHandler = () => {};
let idleTimer = null;

function load() {
	try {
		return JSON.parse(sessionStorage.getItem(KEY) || 'null');
	} catch (e) {
		return null;
	}
}

export function current() {
	return session;
}

export function setSession(s) {
	session = s ? { user: s.user, role: s.role, must_change: !!s.must_change,
		csrf: s.csrf, idle_timeout: s.idle_timeout || 900, forms: s.forms || {},
		extension: s.extension || null, password_expires: s.password_expires || null,
		reason: s.reason || null } : null;
	if (session)
		sessionStorage.setItem(KEY, JSON.stringify(session));
	else
		sessionStorage.removeItem(KEY);
	armIdle();
}

// What the session's authorization profile grants on a form (the server
// checks again): pages hide their save buttons when canWrite is false.
export function canRead(form) {
	return !!(session && session.forms && session.forms[form]);
}

export function canWrite(form) {
	return !!(session && session.forms && session.forms[form] === 'write');
}

export function onExpired(fn) {
	expiredHandler = fn;
}

// Past the idle timeout the server has dropped the session; ask once so the
// page says so now rather than at the next click.
function armIdle() {
	clearTimeout(idleTimer);
	if (!session)
		return;
	idleTimer = setTimeout(() => call('GET', '/api/session').catch(() => {}),
		(session.idle_timeout + 2) * 1000);
}

export class ApiError extends Error {
	constructor(status, body) {
		super(body && body.error ? body.error : `the server answered ${status}`);
		this.status = status;
		this.fields = (body && body.fields) || {};
		this.rules = (body && body.rules) || [];
	}
}

export async function call(method, path, body) {
	const headers = { Accept: 'application/json' };
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (method !== 'GET' && session && session.csrf)
		headers['X-CSRF-Token'] = session.csrf;
	let resp;
	try {
		resp = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store',
			body: body === undefined ? undefined : JSON.stringify(body) });
	} catch (e) {
		throw new ApiError(0, { error: 'the server cannot be reached; check the connection' });
	}
	let data = null;
	try {
		data = await resp.json();
	} catch (e) {
		data = null;
	}
	if (resp.status === 401 && path !== '/api/login') {
		const had = session !== null;
		setSession(null);
		expiredHandler(had);
	} else if (session) {
		armIdle();
	}
	if (!resp.ok)
		throw new ApiError(resp.status, data);
	return data;
}
