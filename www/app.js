// The WebAdmin single-page app: hash routes, navigation by the forms the
// session's authorization profile grants (GET /api/session "forms"; the
// server checks every call again) and the first-login rule (a session that
// must change its password sees only the password page, as the server
// answers 403 to everything else anyway). Password and My phone are not
// forms: every account has a password; My phone needs an own extension.
import { call, current, setSession, onExpired, canRead } from './js/api.js';
import { clear, h } from './js/dom.js';
import { renderLogin } from './js/login.js';
import { renderPassword } from './js/password.js';
import { renderDashboard } from './js/dashboard.js';
import { renderExtensions, renderExtensionForm } from './js/extensions.js';
import { renderAudit } from './js/audit.js';
import { renderModules, renderAlarms } from './js/info.js';
import { renderUsers, renderUserForm } from './js/users.js';
import { renderProfiles, renderProfileForm } from './js/profiles.js';
import { renderSelf } from './js/self.js';
import { renderCor } from './js/cor.js';
import { renderTrunks, renderTrunkForm } from './js/trunks.js';
import { renderRoutes } from './js/routes.js';
import { renderCertificates } from './js/certificates.js';
import { renderSecurity } from './js/security.js';
import { renderEvents } from './js/events.js';

// grant: the form a page needs read access on (the route name unless
// given); null: every session (login, password) or its own rule (self).
const ROUTES = {
	login: { grant: null, title: 'Log in', render: renderLogin },
	password: { grant: null, title: 'Change password', render: renderPassword },
	dashboard: { title: 'Dashboard', render: renderDashboard },
	extensions: { title: 'Extensions', render: renderExtensions, form: renderExtensionForm },
	alarms: { title: 'Alarms', render: renderAlarms },
	modules: { title: 'Modules', render: renderModules },
	users: { title: 'Users', render: renderUsers, form: renderUserForm },
	profiles: { title: 'Authorization profiles', render: renderProfiles, form: renderProfileForm },
	cor: { title: 'CoR/CoS', render: renderCor },
	trunks: { title: 'Trunks', render: renderTrunks, form: renderTrunkForm },
	routes: { title: 'Routes', render: renderRoutes },
	certificates: { title: 'Certificates', render: renderCertificates },
	security: { title: 'Security options', render: renderSecurity },
	audit: { title: 'Access log', render: renderAudit },
	events: { title: 'Event log', render: renderEvents },
	self: { grant: null, title: 'My phone', render: renderSelf },
};

let generation = 0;
let pendingNotice = '';

// An end user always has My phone (it says when no extension is assigned);
// an administrator only with an extension of its own.
function selfAllowed(s) {
	return s.role === 'user' || !!s.extension;
}

function allowed(s, name) {
	const r = ROUTES[name];
	if (!r || name === 'login')
		return false;
	if (name === 'self')
		return selfAllowed(s);
	return r.grant === null || canRead(r.grant || name);
}

// The first page of the menu the session may open.
function home(s) {
	const first = Object.keys(ROUTES).find(n => ROUTES[n].grant === undefined && allowed(s, n));
	return first || (selfAllowed(s) ? 'self' : 'password');
}

// Navigate; a notice is shown once by the next page drawn.
function go(hash, notice) {
	pendingNotice = notice || '';
	if (location.hash === hash)
		render();
	else
		location.hash = hash;
}

function resolve() {
	const [name, param] = location.hash.replace(/^#\/?/, '').split('/');
	const s = current();
	if (!s)
		return { name: 'login' };
	if (s.must_change)
		return { name: 'password' };
	if (!allowed(s, name))
		return { name: home(s) };
	return { name, param };
}

function drawNav(name) {
	const s = current();
	const nav = document.getElementById('nav');
	nav.hidden = !s || s.must_change;
	for (const a of nav.querySelectorAll('a')) {
		const page = a.getAttribute('href').replace(/^#\//, '');
		a.hidden = !s || !allowed(s, page);
		if (a.getAttribute('href') === `#/${name}`)
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	}
	document.getElementById('logout').hidden = !s;
	document.getElementById('who').textContent = s ? `${s.user} (${s.role})` : '';
}

function render() {
	const { name, param } = resolve();
	if (location.hash !== `#/${name}` && !(param && location.hash === `#/${name}/${param}`)) {
		history.replaceState(null, '', `#/${name}`);
	}
	const route = ROUTES[name];
	const mine = ++generation;
	const main = clear(document.getElementById('main'));
	document.title = `${route.title} · Bulwark WebAdmin`;
	drawNav(name);
	const notice = pendingNotice;
	pendingNotice = '';
	if (notice)
		main.append(h('div', { class: `alert ${name === 'login' ? 'info' : 'good'}`, role: 'status',
			id: 'notice', text: notice }));
	const ctx = { go, param, alive: () => mine === generation };
	(param && route.form ? route.form : route.render)(main, ctx);
}

async function logout() {
	try {
		await call('POST', '/api/logout');
	} catch (e) {
		/* already gone: the outcome is the same */
	}
	setSession(null);
	go('#/login', 'You have logged out.');
}

async function start() {
	onExpired(had => go('#/login', had ? 'Your session has expired or ended; please log in again.' : ''));
	document.getElementById('logout').addEventListener('click', logout);
	addEventListener('hashchange', render);
	const stored = current();
	try {
		setSession({ ...(await call('GET', '/api/session')) });
	} catch (e) {
		if (e.status === 403 && /changed first/.test(e.message) && stored && stored.csrf)
			setSession({ ...stored, must_change: true });
		else if (e.status !== 401)
			setSession(null);
	}
	render();
}

start();
