// Web users (system administrators only): the list with role, "must
// change" and "locked", a role change, unlock, force a password change and
// delete (confirmed); and the create form (#/users/new) whose initial
// password follows the policy, marked as you type. The server refuses what
// would leave no system administrator or delete oneself; its message shows.
// A group administrator's authorization profile is chosen in place, and any
// account can be given its own extension (for My phone): both are checked
// by the server (an existing profile, an existing extension).
import { h, field, setError, alertBox, table, focusInvalid } from './dom.js';
import { call, current } from './api.js';
import { attachRules } from './password.js';

const ROLES = [['system', 'system administrator'], ['group', 'group administrator'], ['user', 'end user']];
const nameOk = v => /^[A-Za-z0-9._-]{1,64}$/.test(v) ? '' : '1-64 of A-Z a-z 0-9 - _ .';
const extOk = v => v === '' || /^[0-9]{1,32}$/.test(v) ? '' : '1-32 digits, or empty for none';

async function profileNames() {
	try {
		return ((await call('GET', '/api/profiles')).profiles || []).map(p => p.name);
	} catch (e) {
		return [];
	}
}

export async function renderUsers(main, { go }) {
	const msg = alertBox('bad');
	const box = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
	main.append(h('div', { class: 'toolbar' }, h('h1', { text: 'Users' }),
		h('a', { href: '#/users/new', class: 'button', text: 'New user' })), msg, box);
	try {
		const d = await call('GET', '/api/users');
		const profiles = await profileNames();
		const me = current().user;
		box.replaceChildren(table(['User', 'Role', 'Must change password', 'Locked', 'Profile', 'Extension', 'Actions'],
			(d.users || []).map(u => [u.name, roleSelect(u, msg, go), u.must_change ? 'yes' : 'no',
				u.locked ? 'yes' : 'no', profileSelect(u, profiles, msg, go), extensionCell(u, msg, go),
				userActions(u, u.name === me, msg, go)]), 'Web users'));
		box.querySelector('table').id = 'user-list';
	} catch (e) {
		box.replaceChildren();
		msg.textContent = e.message;
	}
}

async function change(name, body, done, msg, go) {
	try {
		await call(body === null ? 'DELETE' : 'PUT', `/api/users/${encodeURIComponent(name)}`,
			body === null ? undefined : body);
		go('#/users', done);
	} catch (e) {
		msg.textContent = e.message;
	}
}

function roleSelect(u, msg, go) {
	const sel = h('select', { 'aria-label': `Role of ${u.name}` },
		ROLES.map(([v, t]) => h('option', { value: v, text: t, selected: v === u.role })));
	sel.addEventListener('change', () => change(u.name, { role: sel.value },
		`${u.name} is now a ${sel.selectedOptions[0].textContent}.`, msg, go));
	return sel;
}

function profileSelect(u, profiles, msg, go) {
	if (u.role !== 'group')
		return h('span', { class: 'muted', text: u.role === 'system' ? 'every form' : 'My phone only' });
	const names = profiles.includes(u.profile) ? profiles : [u.profile, ...profiles];
	const sel = h('select', { 'aria-label': `Profile of ${u.name}` },
		names.map(n => h('option', { value: n, text: n, selected: n === u.profile })));
	sel.addEventListener('change', () => change(u.name, { profile: sel.value },
		`${u.name} now has the profile ${sel.value}.`, msg, go));
	return sel;
}

function extensionCell(u, msg, go) {
	const input = h('input', { 'aria-label': `Extension of ${u.name}`, inputmode: 'numeric', size: 8,
		value: u.extension || '', autocomplete: 'off' });
	const btn = h('button', { type: 'button', class: 'secondary', 'aria-label': `Set the extension of ${u.name}`, text: 'Set' });
	btn.addEventListener('click', () => {
		const v = input.value.trim();
		const bad = extOk(v);
		if (bad) {
			msg.textContent = `Extension of ${u.name}: ${bad}`;
			input.setAttribute('aria-invalid', 'true');
			input.focus();
			return;
		}
		change(u.name, { extension: v || null },
			v ? `${u.name} now has extension ${v}.` : `${u.name} has no extension now.`, msg, go);
	});
	return h('span', { class: 'actions' }, input, btn);
}

function userActions(u, self, msg, go) {
	const cell = h('span', { class: 'actions' });
	const btn = (text, label, fn) => h('button', { type: 'button', class: 'secondary', 'aria-label': label,
		text, onclick: fn });
	const kids = [];
	if (u.locked)
		kids.push(btn('Unlock', `Unlock ${u.name}`,
			() => change(u.name, { unlock: true }, `${u.name} unlocked.`, msg, go)));
	if (!u.must_change)
		kids.push(btn('Force password change', `Force ${u.name} to change password`,
			() => change(u.name, { must_change: true }, `${u.name} must change the password at next login.`, msg, go)));
	if (!self) {
		const del = btn('Delete', `Delete ${u.name}`, () => {
			const yes = h('button', { type: 'button', class: 'danger', text: `Yes, delete ${u.name}`,
				onclick: () => change(u.name, null, `${u.name} deleted.`, msg, go) });
			const no = btn('Cancel', 'Cancel', () => { cell.replaceChildren(...kids); del.focus(); });
			cell.replaceChildren(yes, no);
			no.focus();
		});
		kids.push(del);
	}
	cell.append(...kids);
	return cell;
}

export async function renderUserForm(main, { go }) {
	const msg = alertBox('bad');
	const name = field('name', 'User name', { autocomplete: 'off' }, '1-64 of A-Z a-z 0-9 - _ .');
	const role = field('role', 'Role', { options: ROLES });
	const profiles = await profileNames();
	const prof = field('profile', 'Authorization profile', { options: profiles.map(p => [p, p]) },
		'what a group administrator may read or change');
	if (profiles.includes('group-admin'))
		prof.input.value = 'group-admin';
	const ext = field('extension', 'Own extension', { inputmode: 'numeric', autocomplete: 'off' },
		'optional; for My phone (call forwarding, PIN)');
	const showProf = () => { prof.wrap.hidden = role.input.value !== 'group'; };
	role.input.addEventListener('change', showProf);
	showProf();
	ext.input.addEventListener('input', () => setError(ext, extOk(ext.input.value)));
	const pw = field('password', 'Initial password', { type: 'password', autocomplete: 'new-password' },
		'the user must change it at first login');
	const check = attachRules(pw, () => name.input.value);
	name.input.addEventListener('input', () => { setError(name, nameOk(name.input.value)); check(); });
	pw.input.addEventListener('input', () => setError(pw, ''));
	const btn = h('button', { type: 'submit', text: 'Create user' });
	const form = h('form', { class: 'card narrow', novalidate: true, 'aria-label': 'New user' },
		name.wrap, role.wrap, prof.wrap, ext.wrap, pw.wrap, h('div', { class: 'actions' }, btn, h('a', { href: '#/users', text: 'Cancel' })));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		setError(name, nameOk(name.input.value));
		setError(ext, extOk(ext.input.value));
		setError(pw, check() ? '' : 'does not meet the rules marked above');
		if (focusInvalid(form))
			return;
		btn.disabled = true;
		try {
			const body = { name: name.input.value, role: role.input.value, password: pw.input.value };
			if (role.input.value === 'group' && prof.input.value)
				body.profile = prof.input.value;
			if (ext.input.value)
				body.extension = ext.input.value;
			await call('POST', '/api/users', body);
			go('#/users', `User ${name.input.value} created; they must change the password at first login.`);
		} catch (e) {
			msg.textContent = e.message;
			for (const [n, f] of [['name', name], ['role', role], ['profile', prof], ['extension', ext], ['password', pw]])
				setError(f, e.fields[n]);
		} finally {
			btn.disabled = false;
		}
	});
	main.append(h('h1', { text: 'New user' }), msg, form);
	name.input.focus();
}
