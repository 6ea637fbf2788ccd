// Trunks: the list (#/trunks) with the state the sip module runs
// (registered, failed and why, peer), the create form (#/trunks/new) and
// the edit form (#/trunks/NAME). Fields are checked as you type with the
// rules of the sip module's trunk parser; on save the module's own check
// answers per field. An edit sends only what changed (emptied: null) and
// the revision read, so a change made meanwhile is refused, not lost. The
// password is never shown: it is sent only when typed. Without the sip
// module the list says so and offers no changes.
import { h, field, setError, alertBox, table } from './dom.js';
import { call } from './api.js';

const text = v => v.length > 256 || /["\u0000-\u001f\u007f]/.test(v)
	? 'at most 256 characters, no quote or control character' : '';
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
function cidrOk(v) {
	const [addr, bits, more] = v.split('/');
	if (more !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits)))
		return false;
	const max = ipv4.test(addr) ? 32 : /^[0-9A-Fa-f:.]+$/.test(addr) && addr.includes(':') ? 128 : 0;
	return max > 0 && (bits === undefined || Number(bits) <= max);
}

// One check per field: (value, all values) -> message or ''.
export const trunkChecks = {
	name: v => /^[A-Za-z0-9._-]{1,64}$/.test(v) ? '' : '1-64 of A-Z a-z 0-9 - _ .',
	mode: () => '',
	proxy: v => !v ? 'required: a sip: URI' : !/^sip:(\[[^\]]+\]|[^\s:;@<>,[\]]+)(:\d{1,5})?(;.*)?$/.test(v)
		? 'a sip: URI with a host, e.g. sip:provider.example.org:5061;transport=tls' : text(v),
	domain: v => v ? text(v) : '',
	transport: () => '',
	username: (v, all) => all.mode === 'register' && !v ? 'a registering trunk needs the account name' : text(v),
	realm: (v, all) => all.password && !v ? "needed with a password: the provider's digest realm" : text(v),
	password: v => v.length > 255 || /[\u0000-\u001f\u007f]/.test(v) ? '1-255 characters without control characters' : '',
	address: (v, all) => all.mode === 'peer' && !v ? 'a peer needs the IP address or CIDR its calls come from'
		: v && !cidrOk(v) ? 'an IP address or CIDR such as 192.0.2.0/24' : '',
	verify: () => '',
	ca_file: v => v ? text(v) : '',
	expires: v => v === '' || (/^\d+$/.test(v) && Number(v) >= 60 && Number(v) <= 86400)
		? '' : 'seconds, 60 to 86400',
	caller_id: v => v ? text(v) : '',
	allow_direct_extensions: () => '',
	srtp: () => '',
};

const YESNO = [['', '(default)'], ['true', 'yes'], ['false', 'no']];
const FIELDS = [
	['name', 'Name', { autocomplete: 'off' }, '1-64 of letters, digits, - _ .'],
	['mode', 'Mode', { options: [['register', 'register (we register to the provider)'], ['peer', 'peer (trusted by address)']] }, null],
	['proxy', 'Proxy', { autocomplete: 'off', placeholder: 'sip:provider.example.org:5061;transport=tls' }, 'where requests go: a sip: URI'],
	['transport', 'Transport', { options: [['', 'udp (default)'], ['udp', 'udp'], ['tcp', 'tcp'], ['tls', 'tls']] }, null],
	['domain', 'Domain', { autocomplete: 'off' }, 'registration and From domain; the proxy host when empty'],
	['username', 'User name', { autocomplete: 'off' }, 'the account at the provider'],
	['realm', 'Realm', { autocomplete: 'off' }, "the provider's digest realm (often its domain)"],
	['password', 'Password', { type: 'password', autocomplete: 'new-password' }, null],
	['address', 'Peer address', { autocomplete: 'off' }, 'peers: the IP address or CIDR calls come from'],
	['srtp', 'SRTP', { options: [['', '(default: mandatory)'], ['mandatory', 'mandatory'], ['optional', 'optional'], ['off', 'off']] }, null],
	['verify', 'Verify TLS certificate', { options: YESNO }, 'default yes'],
	['ca_file', 'CA file', { autocomplete: 'off' }, 'TLS: the CAs to trust; the system store when empty'],
	['expires', 'Registration period (s)', { type: 'number', min: 60, max: 86400 }, '60-86400; 600 when empty'],
	['caller_id', 'Caller ID', { autocomplete: 'off' }, "the number presented; the caller's when empty"],
	['allow_direct_extensions', 'Calls may reach extensions directly', { options: YESNO }, 'default no'],
];

function stateText(t) {
	return t.reason ? `${t.state}: ${t.reason}` : t.state;
}

export async function renderTrunks(main, { go }) {
	const msg = alertBox('bad');
	const info = h('div', { class: 'alert info', role: 'status', id: 'trunk-info' });
	const box = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
	const add = h('a', { href: '#/trunks/new', class: 'button', id: 'trunk-new', text: 'New trunk' });
	main.append(h('div', { class: 'toolbar' }, h('h1', { text: 'Trunks' }), add), info, msg, box);
	try {
		const data = await call('GET', '/api/trunks');
		info.textContent = data.available ? '' : data.message;
		add.hidden = !data.available;
		const list = (data.trunks || []).slice().sort((a, b) => a.name.localeCompare(b.name));
		box.replaceChildren(table(['Name', 'Mode', 'Transport', 'Proxy', 'SRTP', 'State', 'Password', 'Actions'],
			list.map(t => [t.name, t.mode || 'register', t.transport || 'udp', t.proxy, t.srtp || 'default',
				stateText(t), t.password_set ? 'set' : 'none',
				data.available ? rowActions(t, msg, go) : '']), 'SIP trunks'));
		box.querySelector('table').id = 'trunk-list';
	} catch (e) {
		box.replaceChildren();
		msg.textContent = e.message;
	}
}

function rowActions(t, msg, go) {
	const cell = h('span', { class: 'actions' });
	const edit = h('a', { href: `#/trunks/${encodeURIComponent(t.name)}`, 'aria-label': `Edit ${t.name}`, text: 'Edit' });
	const del = h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${t.name}`, text: 'Delete' });
	del.addEventListener('click', () => {
		const yes = h('button', { type: 'button', class: 'danger', text: `Yes, delete ${t.name}` });
		const no = h('button', { type: 'button', class: 'secondary', text: 'Cancel' });
		no.addEventListener('click', () => { cell.replaceChildren(edit, del); del.focus(); });
		yes.addEventListener('click', async () => {
			try {
				await call('DELETE', `/api/trunks/${encodeURIComponent(t.name)}?revision=${t.revision}`);
				go('#/trunks', `Trunk ${t.name} deleted.`);
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

function values(fields) {
	const out = {};
	for (const [name, f] of Object.entries(fields))
		out[name] = f.input.value;
	return out;
}

function buildForm(editing, orig) {
	const fields = {};
	for (const [name, label, attrs, hint] of FIELDS) {
		let hintText = hint;
		if (name === 'password')
			hintText = editing && orig.password_set ? 'leave empty to keep the current one'
				: 'stored only as a digest (HA1) over user:realm:password';
		const f = field(name, label, { ...attrs }, hintText);
		const v = orig[name];
		if (v !== undefined && v !== null)
			f.input.value = String(v);
		if (editing && name === 'name')
			f.input.readOnly = true;
		fields[name] = f;
	}
	return fields;
}

function checkAll(fields, orig, editing) {
	const all = values(fields);
	let any = false;
	for (const [name, f] of Object.entries(fields)) {
		let m = trunkChecks[name](all[name], all);
		if (!m && name === 'password' && editing && orig.password_set && !all.password &&
			(all.username !== (orig.username || '') || all.realm !== (orig.realm || '')))
			m = 'needed again when the user name or the realm changes';
		if (!m && name === 'password' && all.mode === 'register' && !all.password && !orig.password_set)
			m = 'a registering trunk needs the password';
		setError(f, m);
		any = any || !!m;
	}
	return any;
}

function typed(name, v) {
	if (name === 'expires')
		return Number(v);
	if (name === 'verify' || name === 'allow_direct_extensions')
		return v === 'true';
	return v;
}

function body(fields, orig, editing) {
	const out = {};
	for (const [name, f] of Object.entries(fields)) {
		const v = f.input.value;
		if ((name === 'name' && editing) || (name === 'password' && !v))
			continue;
		const was = orig[name] === undefined || orig[name] === null ? '' : String(orig[name]);
		if (editing && v === was && name !== 'password')
			continue;
		if (v === '') {
			if (editing)
				out[name] = null;
		} else {
			out[name] = typed(name, v);
		}
	}
	if (editing)
		out.revision = orig.revision;
	return out;
}

export async function renderTrunkForm(main, { go, param }) {
	const editing = param !== 'new';
	const name = editing ? decodeURIComponent(param) : '';
	const msg = alertBox('bad');
	let orig = { mode: 'register' };
	main.append(h('h1', { text: editing ? `Trunk ${name}` : 'New trunk' }), msg);
	try {
		if (editing)
			orig = await call('GET', `/api/trunks/${encodeURIComponent(name)}`);
		else if (!(await call('GET', '/api/trunks')).available)
			throw new Error('the sip module is not loaded: trunks cannot be created');
	} catch (e) {
		msg.textContent = e.message;
		return;
	}
	if (editing)
		main.append(h('p', { class: 'muted', id: 'trunk-state', text: `State: ${stateText(orig)}` }));
	const fields = buildForm(editing, orig);
	const btn = h('button', { type: 'submit', text: editing ? 'Save' : 'Create' });
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': 'Trunk' },
		Object.values(fields).map(f => f.wrap),
		h('div', { class: 'actions' }, btn, h('a', { href: '#/trunks', text: 'Cancel' })));
	for (const [n, f] of Object.entries(fields)) {
		const ev = f.input.tagName === 'SELECT' ? 'change' : 'input';
		f.input.addEventListener(ev, () => setError(f, trunkChecks[n](f.input.value, values(fields))));
	}
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		if (checkAll(fields, orig, editing)) {
			form.querySelector('[aria-invalid="true"]')?.focus();
			return;
		}
		btn.disabled = true;
		try {
			const b = body(fields, orig, editing);
			if (editing)
				await call('PUT', `/api/trunks/${encodeURIComponent(name)}`, b);
			else
				await call('POST', '/api/trunks', b);
			go('#/trunks', `Trunk ${editing ? name : b.name} ${editing ? 'saved' : 'created'}.`);
		} catch (e) {
			msg.textContent = e.message;
			const names = Object.keys(e.fields).filter(n => fields[n]);
			for (const n of names)
				setError(fields[n], e.fields[n]);
			if (names.length)
				fields[names[0]].input.focus();
		} finally {
			btn.disabled = false;
		}
	});
	main.append(form);
	fields[editing ? 'proxy' : 'name'].input.focus();
}
