// My phone, the Self Service Portal: the own extension's display name, call
// forwarding (always / busy / no answer, with the ringing time) and the
// PIN. The extension is the account's (the server never takes it from the
// request). Fields are checked as you type with the server's rules; the
// PIN is write-only: the page only learns whether one is set. A save sends
// the revision read, so a change an administrator made meanwhile is
// refused (409) rather than overwritten.
import { h, field, setError, alertBox, focusInvalid, fieldErrors } from './dom.js';
import { call } from './api.js';

const fwd = number => v => v === '' ? '' : !/^[0-9]{1,32}$/.test(v)
	? 'a number of 1-32 digits, or empty for no forwarding'
	: v === number ? 'must not be your own extension' : '';
const CHECKS = {
	name: () => v => new TextEncoder().encode(v).length <= 128 && !/[\u0000-\u001f\u007f-\u009f]/.test(v)
		? '' : 'at most 128 bytes of UTF-8 without control characters',
	forward_always: fwd,
	forward_busy: fwd,
	forward_noanswer: fwd,
	forward_noanswer_s: () => v => /^[0-9]{1,3}$/.test(v) && +v >= 5 && +v <= 120
		? '' : 'seconds of ringing, a whole number from 5 to 120',
	pin: () => v => v === '' || /^[0-9]{4,12}$/.test(v) ? '' : '4 to 12 digits',
};
const FIELDS = [
	['name', 'Display name', { autocomplete: 'off' }, 'shown to the people you call'],
	['forward_always', 'Forward every call to', { inputmode: 'numeric', autocomplete: 'off' }, 'empty: no forwarding'],
	['forward_busy', 'Forward when busy to', { inputmode: 'numeric', autocomplete: 'off' }, 'empty: no forwarding'],
	['forward_noanswer', 'Forward when not answered to', { inputmode: 'numeric', autocomplete: 'off' },
		'also when no phone is registered; empty: no forwarding'],
	['forward_noanswer_s', 'Ring for (seconds)', { type: 'number', min: 5, max: 120 }, '5-120'],
	['pin', 'New PIN', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password' }, null],
];

function buildFields(me) {
	const fields = {};
	for (const [name, label, attrs, hint] of FIELDS) {
		const hintText = name === 'pin' ? `4-12 digits; ${me.pin_set ? 'a PIN is set: leave empty to keep it' : 'no PIN set yet'}` : hint;
		const f = field(name, label, { ...attrs }, hintText);
		f.input.value = name === 'pin' ? '' : String(me[name] ?? '');
		const check = CHECKS[name](me.number);
		f.input.addEventListener('input', () => setError(f, check(f.input.value)));
		fields[name] = f;
	}
	return fields;
}

// Only what changed; an emptied forward is sent as "" (clears it).
function body(fields, me) {
	const out = { revision: me.revision };
	for (const [name, f] of Object.entries(fields)) {
		const v = f.input.value;
		if (name === 'pin') {
			if (v)
				out.pin = v;
		} else if (v !== String(me[name] ?? '')) {
			out[name] = name === 'forward_noanswer_s' ? Number(v) : v;
		}
	}
	return out;
}

export async function renderSelf(main, { go }) {
	const msg = alertBox('bad');
	main.append(h('h1', { text: 'My phone' }), msg);
	let me;
	try {
		me = await call('GET', '/api/self');
	} catch (e) {
		msg.className = e.status === 404 ? 'alert info' : 'alert bad';
		msg.textContent = e.message;
		return;
	}
	const fields = buildFields(me);
	const btn = h('button', { type: 'submit', text: 'Save' });
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': `Extension ${me.number}` },
		h('p', { class: 'muted', text: `Extension ${me.number}` }), h('p', {}),
		Object.values(fields).map(f => f.wrap), h('div', { class: 'actions' }, btn));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		for (const [name, f] of Object.entries(fields))
			setError(f, CHECKS[name](me.number)(f.input.value));
		if (focusInvalid(form))
			return;
		btn.disabled = true;
		try {
			await call('PUT', '/api/self', body(fields, me));
			go('#/self', 'Saved.');
		} catch (e) {
			msg.textContent = e.message;
			fieldErrors(fields, e);
		} finally {
			btn.disabled = false;
		}
	});
	main.append(form);
	fields.name.input.focus();
}
