// Security options (#/security): one form over GET/PUT /api/security. Each
// field shows the value in force and where it comes from (the XML
// configuration or saved here); "Use configuration" sends null, which drops
// the saved value. Fields are checked as you type with the server's rules
// (the server checks again and its field messages land next to the field);
// a save sends only what changed, with the revision read, so a concurrent
// save by someone else is refused rather than overwritten.
import { h, field, setError, alertBox, focusInvalid, fieldErrors } from './dom.js';
import { call, canWrite } from './api.js';

const whole = (lo, hi, what) => v => (/^\d+$/.test(v.trim()) && +v >= lo && +v <= hi) ? '' : what;
const BOOL_ON = [['true', 'On'], ['false', 'Off']];

// name, label, attrs, hint, check(value) -> message
const OPTIONS = [
	['tls_compat', 'TLS compatibility (accept TLS 1.2 on the web)', { options: [['false', 'Off: TLS 1.3 only'], ['true', 'On: TLS 1.2 accepted too']] },
		'restarts the web server', null],
	['https_redirect', 'Redirect plain HTTP to HTTPS', { options: BOOL_ON },
		'off: no plain-HTTP listener at all; restarts the web server', null],
	['backup_interval_h', 'Backup interval (hours)', { type: 'number', min: 0, max: 720 },
		'1-720, 0 for no periodic backups; a change takes a backup at once',
		whole(0, 720, 'a whole number of hours from 1 to 720, or 0 for no periodic backups')],
	['password_expiry_days', 'Administrator password expiry (days)', { type: 'number', min: 0, max: 3650 },
		'0: never', whole(0, 3650, 'a whole number of days from 1 to 3650, or 0 for never')],
	['session_idle_min', 'Session idle timeout (minutes)', { type: 'number', min: 1, max: 240 },
		'1-240', whole(1, 240, 'a whole number of minutes from 1 to 240')],
	['lockout', 'Lockout profile', { options: [['standard', 'Standard: 15 failures, 5 min block / 60 min lock'], ['strict', 'Strict: 3 failures, 15 min']] },
		null, null],
	['sip_dos_auth_failures', 'SIP: authentication failures per window', { type: 'number', min: 1, max: 100000 },
		'then the source is blocked', whole(1, 100000, 'a whole number from 1 to 100000')],
	['sip_dos_transactions', 'SIP: transactions per window', { type: 'number', min: 1, max: 100000 },
		'then the source is blocked', whole(1, 100000, 'a whole number from 1 to 100000')],
	['sip_dos_window_s', 'SIP: window (seconds)', { type: 'number', min: 1, max: 3600 },
		'1-3600', whole(1, 3600, 'a whole number of seconds from 1 to 3600')],
	['sip_dos_ban_s', 'SIP: block time (seconds)', { type: 'number', min: 10, max: 86400 },
		'10-86400', whole(10, 86400, 'a whole number of seconds from 10 to 86400')],
	['srtp_default', 'Default SRTP policy', { options: [['mandatory', 'Mandatory'], ['optional', 'Optional'], ['off', 'Off']] },
		'for extensions without their own policy', null],
	['allow', 'Administration allowed from', { autocomplete: 'off', placeholder: 'any address' },
		'IP addresses or CIDRs separated by spaces, at most 256; empty: any', null],
];

const V4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const V6 = /^[0-9a-fA-F:.]{2,45}$/;

function cidrOk(s) {
	const [addr, bits, more] = s.split('/');
	if (more !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits)))
		return false;
	const v4 = V4.test(addr);
	if (!v4 && !(V6.test(addr) && addr.includes(':')))
		return false;
	return bits === undefined || +bits <= (v4 ? 32 : 128);
}

function ipv4Int(a) {
	return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

// Only IPv4 can be matched here; an IPv6 client is left to the server.
function admits(list, client) {
	if (!list.length || !V4.test(client))
		return true;
	return list.some(c => {
		const [addr, bits] = c.split('/');
		if (!V4.test(addr))
			return false;
		const b = bits === undefined ? 32 : +bits;
		const mask = b === 0 ? 0 : Math.pow(2, 32) - Math.pow(2, 32 - b);
		return (ipv4Int(addr) & mask) >>> 0 === (ipv4Int(client) & mask) >>> 0;
	});
}

function allowList(v) {
	return v.split(/[\s,]+/).filter(Boolean);
}

function checkAllow(v, client) {
	const list = allowList(v);
	if (list.length > 256)
		return 'at most 256 entries';
	const bad = list.find(c => !cidrOk(c));
	if (bad)
		return `"${bad}" is not an IP address or CIDR`;
	if (!admits(list, client))
		return `this list does not include your own address ${client}: saving it would lock you out`;
	return '';
}

function shown(name, v) {
	if (name === 'allow')
		return (v || []).join(' ');
	return v === null || v === undefined ? '' : String(v);
}

function parsed(name, v) {
	if (name === 'allow')
		return allowList(v);
	if (name === 'tls_compat' || name === 'https_redirect')
		return v === 'true';
	if (['lockout', 'srtp_default'].includes(name))
		return v;
	return Number(v);
}

function sourceText(src) {
	return src === 'saved' ? 'Saved here.' : 'From the configuration.';
}

function buildField(opt, data, resets, readOnly) {
	const [name, label, attrs, hint] = opt;
	const f = field(name, label, { ...attrs }, hint);
	f.input.value = shown(name, data.values[name]);
	f.input.disabled = readOnly;
	const src = h('p', { class: 'hint', 'data-source': name, text: sourceText(data.sources[name]) });
	f.wrap.append(src);
	if (data.sources[name] === 'saved' && !readOnly) {
		const reset = h('button', { type: 'button', class: 'secondary', text: 'Use configuration',
			'aria-label': `Use the configuration's value for ${label}` });
		reset.addEventListener('click', () => {
			resets.add(name);
			src.textContent = 'Will use the configuration once saved.';
			reset.remove();
		});
		f.wrap.append(reset);
	}
	return f;
}

function check(opt, f, client) {
	const [name, , , , rule] = opt;
	if (name === 'allow')
		return checkAllow(f.input.value, client);
	return rule ? rule(f.input.value) : '';
}

function changes(fields, data, resets) {
	const out = { revision: data.revision };
	for (const [name, f] of Object.entries(fields)) {
		if (resets.has(name)) {
			out[name] = null;
			continue;
		}
		if (f.input.value !== shown(name, data.values[name]))
			out[name] = parsed(name, f.input.value);
	}
	return out;
}

export async function renderSecurity(main, ctx) {
	const msg = alertBox('bad');
	main.append(h('h1', { text: 'Security options' }), msg);
	let data;
	try {
		data = await call('GET', '/api/security');
	} catch (e) {
		msg.textContent = e.message;
		return;
	}
	if (ctx && ctx.alive && !ctx.alive())
		return;
	const readOnly = !canWrite('security');
	const resets = new Set();
	const fields = {};
	for (const opt of OPTIONS)
		fields[opt[0]] = buildField(opt, data, resets, readOnly);
	for (const opt of OPTIONS) {
		const f = fields[opt[0]];
		f.input.addEventListener('input', () => setError(f, check(opt, f, data.client_address)));
	}
	const btn = readOnly ? null : h('button', { type: 'submit', text: 'Save' });
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': 'Security options', id: 'security-form' },
		Object.values(fields).map(f => f.wrap),
		h('div', { class: 'actions' }, btn,
			h('p', { class: 'hint', text: `Your address: ${data.client_address}. Revision ${data.revision}.` })));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		let bad = false;
		for (const opt of OPTIONS) {
			const m = resets.has(opt[0]) ? '' : check(opt, fields[opt[0]], data.client_address);
			setError(fields[opt[0]], m);
			bad = bad || !!m;
		}
		if (readOnly)
			return;
		if (bad) {
			focusInvalid(form);
			return;
		}
		btn.disabled = true;
		try {
			await call('PUT', '/api/security', changes(fields, data, resets));
			ctx.go('#/security', 'Security options saved; they apply at once.');
		} catch (e) {
			msg.textContent = e.status === 409 ? `${e.message} (reload the page)` : e.message;
			fieldErrors(fields, e);
		} finally {
			btn.disabled = false;
		}
	});
	main.append(form);
}
