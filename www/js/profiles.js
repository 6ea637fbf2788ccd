// Authorization profiles (system administrators): the list with what each
// grants and who uses it (#/profiles), and the form (#/profiles/new,
// #/profiles/NAME) with one "no access / read / write" choice per form.
// Users and profiles themselves are not grantable: they stay with system
// administrators. A save sends the revision read, so a change someone made
// meanwhile is refused (409) rather than overwritten; deleting a profile
// still in use is refused by the server with the users' names.
import { h, field, setError, alertBox, table, focusInvalid, rowActions } from './dom.js';
import { call, canWrite } from './api.js';

const nameOk = v => /^[A-Za-z0-9._-]{1,64}$/.test(v) ? '' : '1-64 of A-Z a-z 0-9 - _ .';
const descOk = v => new TextEncoder().encode(v).length <= 256 && !/[\u0000-\u001f\u007f-\u009f]/.test(v)
	? '' : 'at most 256 bytes of UTF-8 without control characters';
const GRANTS = [['', 'no access'], ['read', 'read'], ['write', 'write']];

function grants(forms) {
	const list = Object.entries(forms || {}).map(([f, g]) => `${f}: ${g}`);
	return list.length ? list.join(', ') : 'nothing';
}

export async function renderProfiles(main, { go }) {
	const msg = alertBox('bad');
	const box = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
	const write = canWrite('profiles');
	main.append(h('div', { class: 'toolbar' }, h('h1', { text: 'Authorization profiles' }),
		write ? h('a', { href: '#/profiles/new', class: 'button', id: 'prof-new', text: 'New profile' }) : null),
	msg, box);
	try {
		const d = await call('GET', '/api/profiles');
		box.replaceChildren(table(['Profile', 'Description', 'Grants', 'Used by', 'Actions'],
			(d.profiles || []).map(p => [p.name, p.description, grants(p.forms),
				(p.used_by || []).join(', ') || 'nobody',
				rowActions({ href: `#/profiles/${encodeURIComponent(p.name)}`, name: p.name, write, msg,
					remove: () => remove(p.name, go) })]),
			'Profiles; a system administrator always has every form'));
		box.querySelector('table').id = 'prof-list';
	} catch (e) {
		box.replaceChildren();
		msg.textContent = e.message;
	}
}

async function remove(name, go) {
	await call('DELETE', `/api/profiles/${encodeURIComponent(name)}`);
	go('#/profiles', `Profile ${name} deleted.`);
}

async function loadForm(param, editing) {
	const list = await call('GET', '/api/profiles');
	const orig = editing ? await call('GET', `/api/profiles/${encodeURIComponent(param)}`)
		: { name: '', description: '', forms: {} };
	return { forms: list.forms || [], orig };
}

function buildFields(forms, orig, editing, write) {
	const name = field('name', 'Profile name', { autocomplete: 'off', readonly: editing || !write }, '1-64 of A-Z a-z 0-9 - _ .');
	const desc = field('description', 'Description', { autocomplete: 'off', readonly: !write }, 'optional');
	name.input.value = orig.name;
	desc.input.value = orig.description || '';
	const grantFields = {};
	for (const f of forms) {
		const g = field(`forms.${f}`, `Form ${f}`, { options: GRANTS, disabled: !write });
		g.input.value = (orig.forms || {})[f] || '';
		grantFields[f] = g;
	}
	return { name, desc, grantFields };
}

export async function renderProfileForm(main, { go, param }) {
	const editing = param !== 'new';
	const write = canWrite('profiles');
	const msg = alertBox('bad');
	main.append(h('h1', { text: editing ? `Profile ${param}` : 'New profile' }), msg);
	let data;
	try {
		data = await loadForm(param, editing);
	} catch (e) {
		msg.textContent = e.message;
		return;
	}
	const { name, desc, grantFields } = buildFields(data.forms, data.orig, editing, write);
	name.input.addEventListener('input', () => setError(name, nameOk(name.input.value)));
	desc.input.addEventListener('input', () => setError(desc, descOk(desc.input.value)));
	const btn = write ? h('button', { type: 'submit', text: editing ? 'Save' : 'Create' }) : null;
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': 'Profile' },
		name.wrap, desc.wrap, Object.values(grantFields).map(g => g.wrap),
		h('div', { class: 'actions' }, btn, h('a', { href: '#/profiles', text: write ? 'Cancel' : 'Back' })));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		setError(name, nameOk(name.input.value));
		setError(desc, descOk(desc.input.value));
		if (focusInvalid(form) || !write)
			return;
		const forms = {};
		for (const [f, g] of Object.entries(grantFields))
			if (g.input.value)
				forms[f] = g.input.value;
		const body = { description: desc.input.value, forms };
		btn.disabled = true;
		try {
			if (editing)
				await call('PUT', `/api/profiles/${encodeURIComponent(param)}`, { ...body, revision: data.orig.revision });
			else
				await call('POST', '/api/profiles', { name: name.input.value, ...body });
			go('#/profiles', `Profile ${editing ? param : name.input.value} ${editing ? 'saved' : 'created'}.`);
		} catch (e) {
			msg.textContent = e.message;
			const all = { name, description: desc, ...Object.fromEntries(
				Object.entries(grantFields).map(([f, g]) => [`forms.${f}`, g])) };
			for (const [n, f] of Object.entries(all))
				setError(f, e.fields[n]);
		} finally {
			btn.disabled = false;
		}
	});
	main.append(form);
	(editing ? desc : name).input.focus();
}
