// Routes (#/routes): the call engine's outgoing routes (a dialled prefix
// to a trunk, with digits stripped and prepended) and incoming DIDs (a
// number called on a trunk to an extension), both on one page with an
// inline form each. Fields are checked as you type with the server's rules
// (modules/webadmin/warout.c, which mirrors the directory's); the server
// checks again and its per-field errors land next to the fields. Saves
// carry the revision read (0 creates), so a change made meanwhile is
// refused with a message, not lost. A profile with read only on "routes"
// sees both tables without New, Edit or Delete.
import { h, field, setError, alertBox, table, focusInvalid, fieldErrors } from './dom.js';
import { call, canWrite } from './api.js';

const DIAL = /^[0-9+*#]*$/;

// Client copies of warout.c's checks: (value, choices) -> message or ''.
export const routeChecks = {
	prefix: v => v.length >= 1 && v.length <= 32 && DIAL.test(v) ? '' : '1-32 of digits, + * #',
	trunk: (v, c) => !v ? 'is required: choose a trunk'
		: !c.trunks.includes(v) ? `there is no trunk "${v}"; create it first` : '',
	strip: v => v === '' || (/^[0-9]{1,2}$/.test(v) && Number(v) <= 32) ? '' : 'a whole number from 0 to 32',
	prepend: v => v.length <= 32 && DIAL.test(v) ? '' : 'at most 32 of digits, + * #',
	number: v => v.length >= 1 && v.length <= 32 && DIAL.test(v) ? '' : '1-32 of digits, + * #',
	extension: (v, c) => !v ? 'is required: choose an extension'
		: !c.extensions.includes(v) ? `there is no extension "${v}"; create it first` : '',
};

// The API path carries only digits; + * # go in the query string.
function url(kind, keyName, key) {
	return /^[0-9]+$/.test(key) ? `/api/routes/${kind}/${key}`
		: `/api/routes/${kind}?${keyName}=${encodeURIComponent(key)}`;
}

const KINDS = {
	out: {
		key: 'prefix', title: 'Outgoing routes', noun: 'outgoing route', add: 'New outgoing route',
		intro: 'A number an extension dials that starts with the prefix goes to the trunk (longest prefix first), ' +
			'first losing "strip" digits and gaining "prepend".',
		cols: ['Prefix', 'Trunk', 'Strip', 'Prepend', 'Problem', 'Actions'],
		row: r => [r.prefix, r.trunk, r.strip, r.prepend, r.problem || ''],
		fields: c => [
			['prefix', 'Prefix', { autocomplete: 'off', inputmode: 'tel' }, '1-32 of digits, + * #'],
			['trunk', 'Trunk', { options: [['', '(choose a trunk)'], ...c.trunks.map(t => [t, t])] },
				c.trunks.length ? null : 'no trunk yet: create one on the Trunks page first'],
			['strip', 'Digits to strip', { type: 'number', min: 0, max: 32 }, '0-32; 0 when empty'],
			['prepend', 'Prepend', { autocomplete: 'off', inputmode: 'tel' }, 'optional; at most 32 of digits, + * #'],
		],
		body: v => ({ trunk: v.trunk, strip: v.strip === '' ? 0 : Number(v.strip), prepend: v.prepend }),
	},
	did: {
		key: 'number', title: 'Incoming DIDs', noun: 'DID', add: 'New DID',
		intro: 'A call from a trunk to the number rings the extension.',
		cols: ['Number', 'Extension', 'Problem', 'Actions'],
		row: r => [r.number, r.extension, r.problem || ''],
		fields: c => [
			['number', 'DID number', { autocomplete: 'off', inputmode: 'tel' }, '1-32 of digits, + * #'],
			['extension', 'Extension', { options: [['', '(choose an extension)'], ...c.extensions.map(x => [x, x])] },
				c.extensions.length ? null : 'no extension yet: create one first'],
		],
		body: v => ({ extension: v.extension }),
	},
};

export async function renderRoutes(main, { go }) {
	const msg = alertBox('bad');
	const write = canWrite('routes');
	main.append(h('h1', { text: 'Routes' }), msg);
	let data;
	try {
		data = await call('GET', '/api/routes');
	} catch (e) {
		msg.textContent = e.message;
		return;
	}
	const choices = { trunks: data.trunks || [], extensions: data.extensions || [] };
	const slot = { close: () => {} };   // one open form at a time
	for (const [kind, list] of [['out', data.outgoing || []], ['did', data.dids || []]])
		main.append(section(kind, list, { choices, write, msg, go, slot }));
}

function section(kind, list, ctx) {
	const k = KINDS[kind];
	const formBox = h('div', {});
	const open = rec => {
		ctx.slot.close();
		formBox.replaceChildren(routeForm(kind, rec, ctx));
		ctx.slot.close = () => formBox.replaceChildren();
	};
	const rows = list.slice().sort((a, b) => a[k.key].localeCompare(b[k.key], 'en', { numeric: true }))
		.map(r => [...k.row(r), ctx.write ? actions(kind, r, open, ctx) : '']);
	const cols = ctx.write ? k.cols : k.cols.slice(0, -1);
	const tbl = table(cols, ctx.write ? rows : rows.map(r => r.slice(0, -1)), k.title);
	tbl.id = `route-${kind}-list`;
	const add = ctx.write ? h('button', { type: 'button', id: `route-${kind}-new`, text: k.add,
		onclick: () => open(null) }) : null;
	return h('section', { 'aria-label': k.title },
		h('div', { class: 'toolbar' }, h('h2', { text: k.title }), add),
		h('p', { class: 'muted', text: k.intro }), tbl, formBox);
}

// Edit, and Delete behind an in-place confirmation (the revision read).
function actions(kind, r, open, ctx) {
	const k = KINDS[kind];
	const key = r[k.key];
	const cell = h('span', { class: 'actions' });
	const edit = h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${key}`, text: 'Edit',
		onclick: () => open(r) });
	const del = h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${key}`, text: 'Delete' });
	del.addEventListener('click', () => {
		const yes = h('button', { type: 'button', class: 'danger', text: `Yes, delete ${key}` });
		const no = h('button', { type: 'button', class: 'secondary', text: 'Cancel' });
		no.addEventListener('click', () => { cell.replaceChildren(edit, del); del.focus(); });
		yes.addEventListener('click', async () => {
			const u = url(kind, k.key, key);
			try {
				await call('DELETE', `${u}${u.includes('?') ? '&' : '?'}revision=${r.revision}`);
				ctx.go('#/routes', `The ${k.noun} ${key} was deleted.`);
			} catch (err) {
				ctx.msg.textContent = err.message;
				cell.replaceChildren(edit, del);
			}
		});
		cell.replaceChildren(yes, no);
		no.focus();
	});
	cell.append(edit, del);
	return cell;
}

function routeForm(kind, rec, ctx) {
	const k = KINDS[kind];
	const editing = !!rec;
	const fmsg = alertBox('bad');
	const fields = {};
	for (const [name, label, attrs, hint] of k.fields(ctx.choices)) {
		const f = field(name, label, attrs, hint);
		if (editing && rec[name] !== undefined && rec[name] !== null) {
			if (attrs.options && ![...f.input.options].some(o => o.value === String(rec[name])))
				f.input.append(h('option', { value: rec[name], text: `${rec[name]} (missing)` }));
			f.input.value = String(rec[name]);
		}
		if (editing && name === k.key)
			f.input.readOnly = true;
		fields[name] = f;
	}
	const check = name => routeChecks[name](fields[name].input.value, ctx.choices);
	for (const [name, f] of Object.entries(fields))
		f.input.addEventListener(f.input.tagName === 'SELECT' ? 'change' : 'input', () => setError(f, check(name)));
	const btn = h('button', { type: 'submit', text: editing ? 'Save' : 'Create' });
	const cancel = h('button', { type: 'button', class: 'secondary', text: 'Cancel',
		onclick: () => ctx.go('#/routes') });
	const form = h('form', { class: 'card grid2', novalidate: true, id: `route-${kind}-form`,
		'aria-label': editing ? `Edit ${k.noun} ${rec[k.key]}` : k.add },
	fmsg, Object.values(fields).map(f => f.wrap), h('div', { class: 'actions' }, btn, cancel));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		fmsg.textContent = '';
		let bad = false;
		for (const [name, f] of Object.entries(fields)) {
			const m = check(name);
			setError(f, m);
			bad = bad || !!m;
		}
		if (bad) {
			focusInvalid(form);
			return;
		}
		const values = Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, f.input.value]));
		const key = values[k.key];
		btn.disabled = true;
		try {
			await call('PUT', url(kind, k.key, key), { ...k.body(values), revision: editing ? rec.revision : 0 });
			ctx.go('#/routes', `The ${k.noun} ${key} was ${editing ? 'saved' : 'created'}.`);
		} catch (e) {
			fmsg.textContent = e.message;
			fieldErrors(fields, e);
		} finally {
			btn.disabled = false;
		}
	});
	queueMicrotask(() => fields[editing ? Object.keys(fields)[1] : k.key].input.focus());
	return form;
}
