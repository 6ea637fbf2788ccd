// Extensions: the list (#/extensions), the create form (#/extensions/new)
// and the edit form (#/extensions/N). Fields are checked as you type with
// the server's own rules; on save, the server's per-field errors land next
// to the fields. An edit sends only what changed (an emptied field is sent
// as null, which clears it); the secret is sent only when typed. A profile
// that grants only read on "extensions" sees the records with no New, Edit,
// Delete or Save (the server refuses the writes anyway).
import { h, field, setError, alertBox, table, focusInvalid, fieldErrors, rowActions } from './dom.js';
import { call, canWrite } from './api.js';
import { extChecks } from './rules.js';

const SRTP = [['', '(system default)'], ['mandatory', 'mandatory'], ['optional', 'optional'], ['off', 'off']];
const FIELDS = [
	['number', 'Number', { inputmode: 'numeric', autocomplete: 'off' }, '1-32 digits'],
	['name', 'Display name', { autocomplete: 'off' }, 'optional'],
	['sip_user', 'SIP user name', { autocomplete: 'off' }, 'optional; the number when empty'],
	['secret', 'SIP secret', { type: 'password', autocomplete: 'new-password' }, null],
	['cor', 'Class of restriction (CoR)', { autocomplete: 'off' }, 'optional'],
	['cos', 'Class of service (CoS)', { autocomplete: 'off' }, 'optional'],
	['srtp', 'SRTP', { options: SRTP }, null],
	['max_contacts', 'Most registered devices', { type: 'number', min: 1, max: 20 }, '1-20; optional'],
];

export async function renderExtensions(main, { go }) {
	const msg = alertBox('bad');
	const box = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
	const write = canWrite('extensions');
	main.append(h('div', { class: 'toolbar' }, h('h1', { text: 'Extensions' }),
		write ? h('a', { href: '#/extensions/new', class: 'button', id: 'ext-new', text: 'New extension' }) : null),
	msg, box);
	try {
		const data = await call('GET', '/api/extensions');
		const list = (data.extensions || []).slice().sort((a, b) => a.number.localeCompare(b.number, 'en', { numeric: true }));
		box.replaceChildren(table(['Number', 'Name', 'SIP user', 'CoR', 'CoS', 'SRTP', 'Devices', 'Secret', 'Actions'],
			list.map(e => [e.number, e.name, e.sip_user || e.number, e.cor, e.cos, e.srtp || 'default',
				e.max_contacts, e.secret_set ? 'set' : 'none', rowActions({ href: `#/extensions/${e.number}`,
				name: e.number, write, msg, remove: () => remove(e.number, go) })]), 'Extensions'));
		box.querySelector('table').id = 'ext-list';
	} catch (e) {
		box.replaceChildren();
		msg.textContent = e.message;
	}
}

async function remove(number, go) {
	await call('DELETE', `/api/extensions/${number}`);
	go('#/extensions', `Extension ${number} deleted.`);
}

function buildForm(editing, orig, write) {
	const fields = {};
	for (const [name, label, attrs, hint] of FIELDS) {
		let hintText = hint;
		if (name === 'secret')
			hintText = editing ? (orig.secret_set ? 'leave empty to keep the current one' : 'not set yet')
				: 'the password the phone registers with; without one it cannot register';
		const f = field(name, label, { ...attrs }, hintText);
		const v = name === 'number' ? orig.number : orig[name];
		if (v !== undefined && v !== null)
			f.input.value = String(v);
		if ((editing && name === 'number') || !write)
			f.input.readOnly = true;
		if (!write && attrs.options)
			f.input.disabled = true;
		fields[name] = f;
	}
	return fields;
}

function localErrors(fields, orig, editing) {
	let any = false;
	for (const [name, f] of Object.entries(fields)) {
		let m = extChecks[name](f.input.value);
		if (!m && name === 'sip_user' && editing && orig.secret_set && !fields.secret.input.value &&
			f.input.value !== (orig.sip_user || ''))
			m = 'needs the secret again when the SIP user name changes';
		setError(f, m);
		any = any || !!m;
	}
	return any;
}

function body(fields, orig, editing) {
	const out = {};
	for (const [name, f] of Object.entries(fields)) {
		const v = f.input.value;
		if (name === 'number' && editing)
			continue;
		if (name === 'secret') {
			if (v)
				out.secret = v;
			continue;
		}
		const was = orig[name] === undefined || orig[name] === null ? '' : String(orig[name]);
		if (editing && v === was)
			continue;
		if (v === '')
			out[name] = editing ? null : undefined;
		else
			out[name] = name === 'max_contacts' ? Number(v) : v;
	}
	return JSON.parse(JSON.stringify(out));
}

export async function renderExtensionForm(main, { go, param }) {
	const editing = param !== 'new';
	const msg = alertBox('bad');
	let orig = { number: '' };
	main.append(h('h1', { text: editing ? `Extension ${param}` : 'New extension' }), msg);
	if (editing) {
		try {
			orig = await call('GET', `/api/extensions/${encodeURIComponent(param)}`);
		} catch (e) {
			msg.textContent = e.message;
			return;
		}
	}
	const write = canWrite('extensions');
	const fields = buildForm(editing, orig, write);
	const btn = write ? h('button', { type: 'submit', text: editing ? 'Save' : 'Create' }) : null;
	const cancel = h('a', { href: '#/extensions', text: write ? 'Cancel' : 'Back' });
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': 'Extension' },
		Object.values(fields).map(f => f.wrap), h('div', { class: 'actions' }, btn, cancel));
	for (const [name, f] of Object.entries(fields))
		f.input.addEventListener('input', () => setError(f, extChecks[name](f.input.value)));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		if (!write)
			return;
		if (localErrors(fields, orig, editing)) {
			focusInvalid(form);
			return;
		}
		btn.disabled = true;
		try {
			const b = body(fields, orig, editing);
			if (editing)
				await call('PUT', `/api/extensions/${encodeURIComponent(param)}`, b);
			else
				await call('POST', '/api/extensions', b);
			go('#/extensions', `Extension ${editing ? param : b.number} ${editing ? 'saved' : 'created'}.`);
		} catch (e) {
			msg.textContent = e.message;
			fieldErrors(fields, e);
		} finally {
			btn.disabled = false;
		}
	});
	main.append(form);
	fields[editing ? 'name' : 'number'].input.focus();
}
