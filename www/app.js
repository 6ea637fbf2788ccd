// The WebAdmin single-page app: hash routes, role-aware navigation and the
// first-login rule (a session that must change its password sees only the
// password page, as the server answers 403 to everything else anyway).
import { call, current, setSession, onExpired } from './js/api.js';
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
import { renderCertificates } from './js/certificates.js';
import { renderSecurity } from './js/security.js';
import { renderEvents } from './js/events.js';

const LEVEL = { user: 0, group: 1, system: 2 };
const ROUTES = {
	login: { level: -1, title: 'Log in', render: renderLogin },
	password: { level: 0, title: 'Change password', render: renderPassword },
	dashboard: { level: 1, title: 'Dashboard', render: renderDashboard },
	extensions: { level: 1, title: 'Extensions', render: renderExtensions, form: renderExtensionForm },
	alarms: { level: 1, title: 'Alarms', render: renderAlarms },
	modules: { level: 2, title: 'Modules', render: renderModules },
	users: { level: 2, title: 'Users', render: renderUsers, form: renderUserForm },
	profiles: { level: 2, title: 'Authorization profiles', render: renderProfiles, form: renderProfileForm },
	cor: { level: 2, title: 'CoR/CoS', render: renderCor },
	trunks: { level: 2, title: 'Trunks', render: renderTrunks, form: renderTrunkForm },
	certificates: { level: 2, title: 'Certificates', render: renderCertificates },
	security: { level: 2, title: 'Security options', render: renderSecurity },
	audit: { level: 2, title: 'Access log', render: renderAudit },
	events: { level: 2, title: 'Event log', render: renderEvents },
	self: { level: 0, title: 'My phone', render: renderSelf },
};

let generation = 0;
let pendingNotice = '';

function home(s) {
	return s && LEVEL[s.role] >= 1 ? 'dashboard' : 'password';
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
	const r = ROUTES[name];
	if (!r || name === 'login' || LEVEL[s.role] < r.level)
		return { name: home(s) };
	return { name, param };
}

function drawNav(name) {
	const s = current();
	const nav = document.getElementById('nav');
	nav.hidden = !s || s.must_change;
	for (const a of nav.querySelectorAll('a')) {
		a.hidden = !s || LEVEL[s.role] < LEVEL[a.dataset.role];
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
