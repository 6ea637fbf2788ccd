// Extensions: the list (#/extensions), the create form (#/extensions/new)
// and the edit form (#/extensions/N). Fields are checked as you type with
// the server's own rules; on save, the server's per-field errors land next
// to the fields. An edit sends only what changed (an emptied field is sent
// as null, which clears it); the secret is sent only when typed.
import { h, field, setError, alertBox, table } from './dom.js';
import { call } from './api.js';
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
	main.append(h('div', { class: 'toolbar' }, h('h1', { text: 'Extensions' }),
		h('a', { href: '#/extensions/new', class: 'button', id: 'ext-new', text: 'New extension' })), msg, box);
	try {
		const data = await call('GET', '/api/extensions');
		const list = (data.extensions || []).slice().sort((a, b) => a.number.localeCompare(b.number, 'en', { numeric: true }));
		box.replaceChildren(table(['Number', 'Name', 'SIP user', 'CoR', 'CoS', 'SRTP', 'Devices', 'Secret', 'Actions'],
			list.map(e => [e.number, e.name, e.sip_user || e.number, e.cor, e.cos, e.srtp || 'default',
				e.max_contacts, e.secret_set ? 'set' : 'none', rowActions(e, msg, go)]), 'Extensions'));
		box.querySelector('table').id = 'ext-list';
	} catch (e) {
		box.replaceChildren();
		msg.textContent = e.message;
	}
}

function rowActions(e, msg, go) {
	const cell = h('span', { class: 'actions' });
	const edit = h('a', { href: `#/extensions/${e.number}`, 'aria-label': `Edit ${e.number}`, text: 'Edit' });
	const del = h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${e.number}`, text: 'Delete' });
	del.addEventListener('click', () => {
		const yes = h('button', { type: 'button', class: 'danger', text: `Yes, delete ${e.number}` });
		const no = h('button', { type: 'button', class: 'secondary', text: 'Cancel' });
		no.addEventListener('click', () => { cell.replaceChildren(edit, del); del.focus(); });
		yes.addEventListener('click', async () => {
			try {
				await call('DELETE', `/api/extensions/${e.number}`);
				go('#/extensions', `Extension ${e.number} deleted.`);
			} catch (err) {
				msg.textContent = err.message;
			}
		});
		cell.replaceChildren(yes, no);
		no.focus();
	});
	cell.append(edit, del);
	return cell;
}

function buildForm(editing, orig) {
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
		if (editing && name === 'number')
			f.input.readOnly = true;
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
	const fields = buildForm(editing, orig);
	const btn = h('button', { type: 'submit', text: editing ? 'Save' : 'Create' });
	const cancel = h('a', { href: '#/extensions', text: 'Cancel' });
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': 'Extension' },
		Object.values(fields).map(f => f.wrap), h('div', { class: 'actions' }, btn, cancel));
	for (const [name, f] of Object.entries(fields))
		f.input.addEventListener('input', () => setError(f, extChecks[name](f.input.value)));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		if (localErrors(fields, orig, editing)) {
			form.querySelector('[aria-invalid="true"]')?.focus();
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
			const names = Object.keys(e.fields);
			for (const n of names)
				if (fields[n])
					setError(fields[n], e.fields[n]);
			const first = names.find(n => fields[n]);
			if (first)
				fields[first].input.focus();
		} finally {
			btn.disabled = false;
		}
	});
	main.append(form);
	fields[editing ? 'name' : 'number'].input.focus();
}
