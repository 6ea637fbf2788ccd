// The CoR/CoS page's other sections (cor.js draws the page): trunk
// assignments, the interconnect matrix, ARS route plans, the schedule,
// emergency numbers, account codes (the PIN is write-only: typed to set or
// replace it, never shown) and the fraud limits (the record cor/limits
// over the module's configuration, each value's source shown). Each checks as you type with the cor module's syntax
// (docs/cor.md); on save the module's own parser answers per field and per
// item ("routes[1]", "rules[0]", "windows[2]"...). Every save carries the
// revision read, so a concurrent change is refused (409), not overwritten.
import { h, field, setError, alertBox, table } from './dom.js';
import { call } from './api.js';
import { patternError } from './cor.js';

const PERIODS = [['day', 'day'], ['night1', 'night 1'], ['night2', 'night 2']];
const DAY = '(mon|tue|wed|thu|fri|sat|sun|all|hol)';
const DAYS = new RegExp(`^${DAY}(-${DAY})?(,${DAY}(-${DAY})?)*$`, 'i');
const TIME = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const idOk = v => /^\d{1,5}$/.test(v) && Number(v) <= 65535 ? '' : 'a number from 0 to 65535';
const groupRef = v => v === '' || idOk(v) === '' ? '' : 'a group number (0-65535), or empty';
const numbersOk = v => /^[0-9*#+]{1,64}$/.test(v);

export const daysError = v => DAYS.test(v) ? '' : 'days: mon..sun, ranges (mon-fri), lists (sat,sun), all or hol';
export const timeError = v => TIME.test(v) ? '' : 'a time HH:MM from 00:00 to 24:00';
export const partyError = v => /^(ext|trunk):\d{1,5}$/.test(v) && Number(v.split(':')[1]) <= 65535
	? '' : 'ext:GROUP or trunk:GROUP (0-65535)';

// "mon-fri 08:00-18:00, sat 09:00-12:00" <-> [{days, from, to}]
export function windowsParse(text) {
	const out = [];
	for (const part of text.split(',').map(s => s.trim()).filter(Boolean)) {
		const m = /^(\S+)\s+(\d\d:\d\d)-(\d\d:\d\d)$/.exec(part);
		if (!m)
			return { error: `"${part}": DAYS HH:MM-HH:MM (e.g. mon-fri 08:00-18:00)` };
		const why = daysError(m[1]) || timeError(m[2]) || timeError(m[3]);
		if (why)
			return { error: `"${part}": ${why}` };
		out.push({ days: m[1], from: m[2], to: m[3] });
	}
	return { windows: out };
}
const windowsText = ws => (ws || []).map(w => `${w.days || 'all'} ${w.from}-${w.to}`).join(', ');

// A section with its message box, for every sub-resource.
function section(id, title, ...kids) {
	return h('section', { id, 'aria-label': title }, h('h2', { text: title }), ...kids);
}

// A PUT with the revision read; field errors to fields, item errors to rows.
async function save(path, body, item, err, fields, rows, go, done) {
	if (item)
		body.revision = item.revision;
	try {
		await call('PUT', path, body);
		go('#/cor', done);
	} catch (e) {
		err.textContent = e.message;
		for (const [k, m] of Object.entries(e.fields || {})) {
			const r = /^(\w+)\[(\d+)\]$/.exec(k);
			if (r && rows && rows[r[1]] && rows[r[1]][Number(r[2])])
				rows[r[1]][Number(r[2])].showError(m);
			else if (fields[k])
				setError(fields[k], m);
			else
				err.textContent += ` (${k}: ${m})`;
		}
	}
}

function delButton(path, label, msg, go, done) {
	const del = h('button', { type: 'button', class: 'danger', text: label });
	del.addEventListener('click', async () => {
		if (del.dataset.armed !== 'yes') {
			del.dataset.armed = 'yes';
			del.textContent = 'Click again to confirm';
			return;
		}
		try {
			await call('DELETE', path);
			go('#/cor', done);
		} catch (e) {
			msg.textContent = e.message;
		}
	});
	return del;
}

// An ordered list of rows: each row(item) returns an element with item(),
// check() (its message, '' when good) and showError(msg).
function rowList(items, row, addLabel) {
	const list = h('ol', { class: 'rules-edit' });
	const add = it => {
		const r = row(it);
		const rm = h('button', { type: 'button', class: 'secondary', text: 'Remove', 'aria-label': 'Remove' });
		rm.addEventListener('click', () => r.remove());
		r.append(rm);
		list.append(r);
		return r;
	};
	(items || []).forEach(add);
	const btn = h('button', { type: 'button', class: 'secondary', text: addLabel });
	btn.addEventListener('click', () => add({}).querySelector('input, select').focus());
	return { list, btn, rows: () => [...list.children] };
}

function errLine(el, inputs, check) {
	const err = h('p', { class: 'error', 'aria-live': 'polite' });
	const run = () => {
		const m = check();
		err.textContent = m;
		for (const i of inputs)
			if (m)
				i.setAttribute('aria-invalid', 'true');
			else
				i.removeAttribute('aria-invalid');
		return m;
	};
	for (const i of inputs)
		i.addEventListener('input', run);
	el.append(err);
	el.check = run;
	el.showError = m => { err.textContent = m; inputs[0].setAttribute('aria-invalid', 'true'); };
	return err;
}

const input = (label, value, attrs) => h('input', { 'aria-label': label, value: value ?? '', autocomplete: 'off', ...attrs });
function select(label, opts, value) {
	const s = h('select', { 'aria-label': label }, opts.map(([v, t]) => h('option', { value: v, text: t })));
	s.value = value;
	return s;
}

// ---- fraud limits (cor/limits over the configuration) and time zone ----

const LIMITS = [['max_external_calls', 'External calls at once, per extension', 'max-external-calls'],
	['max_calls_per_minute', 'External calls per minute, per extension', 'max-calls-per-minute']];
// the cor module's rule (corlimits.c): a whole number, 0 (no limit) to max
export const limitError = (v, max) => /^\d{1,6}$/.test(v) && Number(v) <= max ? ''
	: `a whole number from 0 (no limit) to ${max}`;

export function settingsCard(data, msg, { go }) {
	const l = data.limits || { values: {}, sources: {}, xml: {}, revision: 0, max: 100000 };
	const lim = n => n ? String(n) : 'no limit';
	const fields = LIMITS.map(([k, label, attr]) => {
		const saved = l.sources[k] === 'saved';
		const f = field(k, label, { autocomplete: 'off', inputmode: 'numeric' },
			`0: no limit. ${saved ? 'Saved here' : 'From the configuration'}; the configuration's ${attr}: ${lim(l.xml[k])}`);
		f.input.value = String(l.values[k] ?? '');
		f.input.dataset.source = l.sources[k] || 'xml';
		f.input.addEventListener('input', () => setError(f, limitError(f.input.value, l.max)));
		return [k, f];
	});
	const err = alertBox('bad');
	const actions = h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Save limits' }));
	if (l.revision)
		actions.append(delButton(`/api/cor/limits?revision=${l.revision}`, 'Use the configuration\'s limits', msg, go,
			'The fraud limits of the configuration apply again.'));
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': 'Fraud limits', id: 'cor-limits' },
		h('h3', { text: 'Fraud limits' }), err,
		h('p', { class: 'hint', text: 'Saved values replace the cor module\'s configuration until you return to it; the next call decision uses them.' }),
		fields.map(([, f]) => f.wrap), actions);
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		err.textContent = '';
		const bad = fields.filter(([, f]) => { setError(f, limitError(f.input.value, l.max)); return limitError(f.input.value, l.max); });
		if (bad.length)
			return bad[0][1].input.focus();
		// an untouched value of the configuration stays the configuration's
		const b = { revision: l.revision };
		for (const [k, f] of fields)
			b[k] = l.sources[k] !== 'saved' && f.input.value === String(l.xml[k]) ? null : Number(f.input.value);
		save('/api/cor/limits', b, null, err, Object.fromEntries(fields), null, go, 'Fraud limits saved.');
	});
	return section('cor-settings', 'Fraud limits and time zone', form,
		table(['Setting', 'Value'], [['Time zone of schedules', data.timezone || 'local']],
			'From the cor module\'s configuration (timezone in bulwark.xml)'));
}

// ---- trunk assignments ----

export function trunksSection(list, msg, ctx) {
	const rows = list.slice().sort((a, b) => a.id.localeCompare(b.id)).map(a => {
		const r = a.record;
		const c = typeof r.cor === 'object' && r.cor ? r.cor : { day: r.cor };
		const edit = h('button', { type: 'button', class: 'secondary', text: 'Edit', 'aria-label': `Edit trunk ${a.id}` });
		edit.addEventListener('click', () => box.replaceChildren(trunkForm(a, msg, ctx)));
		return [a.id, c.day ?? 0, c.night1 ?? c.day ?? 0, c.night2 ?? c.night1 ?? c.day ?? 0, r.group ?? 0,
			r.ars ?? 'default', r.system_code ?? '', h('span', { class: 'actions' }, edit,
				delButton(`/api/cor/trunks/${encodeURIComponent(a.id)}?revision=${a.revision}`, 'Delete', msg, ctx.go,
					`Deleted the assignment of trunk ${a.id}.`))];
	});
	const box = h('div', {}, trunkForm(null, msg, ctx));
	return section('cor-trunks', 'Trunks: CoR per service period, interconnect group, ARS plan',
		table(['Trunk', 'CoR day', 'CoR night 1', 'CoR night 2', 'Group', 'ARS plan', 'System code', 'Actions'],
			rows, 'Trunk assignments'), box);
}

function trunkForm(a, msg, { go }) {
	const rec = a ? a.record : {};
	const cor = typeof rec.cor === 'object' && rec.cor ? rec.cor : rec.cor !== undefined ? { day: rec.cor } : {};
	const name = field('name', 'Trunk', { autocomplete: 'off' }, 'the trunk\'s name');
	name.input.value = a ? a.id : '';
	name.input.readOnly = !!a;
	const per = PERIODS.map(([p, t]) => {
		const f = field(p, `CoR ${t}`, { autocomplete: 'off', inputmode: 'numeric' },
			p === 'day' ? '0 when empty' : 'the previous period\'s when empty');
		f.input.value = cor[p] ?? '';
		return [p, f];
	});
	const f = {
		cos: field('cos', 'CoS', { autocomplete: 'off', inputmode: 'numeric' }, '0 when empty'),
		group: field('group', 'Interconnect group', { autocomplete: 'off', inputmode: 'numeric' }, '0 when empty'),
		ars: field('ars', 'ARS plan', { autocomplete: 'off' }, '"default" when empty'),
		system_code: field('system_code', 'System code', { autocomplete: 'off' }, 'dialled automatically on this trunk'),
	};
	for (const k of Object.keys(f))
		f[k].input.value = rec[k] ?? '';
	const checks = [[name, v => NAME.test(v) ? '' : '1-64 of letters, digits, . _ -'],
		...per.map(([, x]) => [x, groupRef]), [f.cos, groupRef], [f.group, groupRef],
		[f.ars, v => v === '' || NAME.test(v) ? '' : 'a plan name (letters, digits, . _ -)'],
		[f.system_code, v => v === '' || numbersOk(v) ? '' : '0-9 * # +']];
	for (const [x, c] of checks)
		x.input.addEventListener('input', () => setError(x, c(x.input.value)));
	const err = alertBox('bad');
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': a ? `Trunk ${a.id}` : 'Assign a trunk' },
		h('h3', { text: a ? `Trunk ${a.id}` : 'Assign a trunk' }), err, name.wrap, per.map(([, x]) => x.wrap),
		Object.values(f).map(x => x.wrap), h('div', { class: 'actions' }, h('button', { type: 'submit', text: a ? 'Save' : 'Assign' })));
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		err.textContent = '';
		const bad = checks.filter(([x, c]) => { setError(x, c(x.input.value)); return c(x.input.value); });
		if (bad.length)
			return bad[0][0].input.focus();
		const b = {};
		const c = Object.fromEntries(per.filter(([, x]) => x.input.value !== '').map(([p, x]) => [p, Number(x.input.value)]));
		if (Object.keys(c).length)
			b.cor = c;
		for (const k of ['cos', 'group'])
			if (f[k].input.value !== '')
				b[k] = Number(f[k].input.value);
		for (const k of ['ars', 'system_code'])
			if (f[k].input.value !== '')
				b[k] = f[k].input.value;
		const all = { ...Object.fromEntries(per), ...f, cor: per[0][1], id: name };
		save(`/api/cor/trunks/${encodeURIComponent(name.input.value)}`, b, a, err, all, null, go,
			`Trunk ${name.input.value} assigned.`);
	});
	return form;
}

// ---- interconnect ----

export function interconnectSection(ic, msg, { go }) {
	const rec = ic ? ic.record : {};
	const d = rec.defaults || {};
	const pairs = [['ext-ext', 'extension → extension', 'allow'], ['ext-trunk', 'extension → trunk', 'allow'],
		['trunk-ext', 'trunk → extension', 'allow'], ['trunk-trunk', 'trunk → trunk', 'deny']];
	const defs = pairs.map(([k, t, def]) => {
		const f = field(k, t, { options: [['allow', 'allow'], ['deny', 'deny']] }, def === 'deny' ? 'deny by default: stops forward-to-premium fraud' : null);
		f.input.value = d[k] || def;
		return [k, f, def];
	});
	const rows = rowList(rec.rules, r => {
		const from = input('From (ext:GROUP or trunk:GROUP)', r.from, { placeholder: 'trunk:1' });
		const to = input('To (ext:GROUP or trunk:GROUP)', r.to, { placeholder: 'trunk:2' });
		const act = select('Action', [['deny', 'deny'], ['allow', 'allow']], r.action || 'deny');
		const li = h('li', { class: 'rule' }, from, h('span', { text: '→' }), to, act);
		errLine(li, [from, to], () => partyError(from.value) || partyError(to.value));
		li.item = () => ({ from: from.value, to: to.value, action: act.value });
		return li;
	}, 'Add a link');
	const err = alertBox('bad');
	const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'Interconnect matrix' }, err,
		h('p', { class: 'hint', text: 'Which interconnect groups may be connected. Pairs not listed follow the defaults; a forward or transfer must be allowed from the caller and from the forwarding extension.' }),
		h('div', { class: 'grid2' }, defs.map(([, f]) => f.wrap)), rows.list,
		h('div', { class: 'actions' }, rows.btn, h('button', { type: 'submit', text: 'Save matrix' }),
			ic ? delButton(`/api/cor/interconnect?revision=${ic.revision}`, 'Restore defaults', msg, go, 'Interconnect: defaults restored.') : null));
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		err.textContent = '';
		const bad = rows.rows().filter(r => r.check());
		if (bad.length)
			return bad[0].querySelector('input').focus();
		const defaults = Object.fromEntries(defs.filter(([, f, def]) => f.input.value !== def).map(([k, f]) => [k, f.input.value]));
		const b = { rules: rows.rows().map(r => r.item()) };
		if (Object.keys(defaults).length)
			b.defaults = defaults;
		save('/api/cor/interconnect', b, ic, err, Object.fromEntries(defs.map(([k, f]) => [k, f])),
			{ rules: rows.rows() }, go, 'Interconnect matrix saved.');
	});
	return section('cor-interconnect', 'Interconnect matrix', form);
}

// ---- ARS plans ----

export function arsSection(plans, msg, ctx) {
	const sec = section('cor-ars', 'Automatic route selection (ARS plans)',
		h('p', { class: 'hint', text: 'A party uses the plan named in its assignment, else "default". The most specific matching route whose time windows contain the time now is used; its trunks are tried in order, skipping those down, busy or forbidden by the matrix.' }));
	for (const p of plans.slice().sort((a, b) => a.id.localeCompare(b.id)))
		sec.append(planForm(p, msg, ctx));
	sec.append(planForm(null, msg, ctx));
	return sec;
}

function planForm(p, msg, { go }) {
	const name = field('name', 'Plan name', { autocomplete: 'off' }, null);
	name.input.value = p ? p.id : '';
	name.input.readOnly = !!p;
	name.input.addEventListener('input', () => setError(name, NAME.test(name.input.value) ? '' : '1-64 of letters, digits, . _ -'));
	const rows = rowList(p ? p.record.routes : [], r => {
		const pat = input('Route pattern', r.pattern, { class: 'pattern', placeholder: '0Z.' });
		const trunks = input('Trunks in order (comma separated)', (r.trunks || []).join(', '), { placeholder: 'carrier, backup' });
		const wins = input('Time windows (empty: always)', windowsText(r.windows), { placeholder: 'mon-fri 08:00-18:00' });
		const li = h('li', { class: 'rule' }, pat, trunks, wins);
		const names = () => trunks.value.split(',').map(s => s.trim()).filter(Boolean);
		errLine(li, [pat, trunks, wins], () => patternError(pat.value) ||
			(names().length < 1 || names().length > 8 ? 'one to eight trunks' : '') ||
			(names().find(n => !NAME.test(n)) ? `trunk "${names().find(n => !NAME.test(n))}": letters, digits, . _ -` : '') ||
			windowsParse(wins.value).error || '');
		li.item = () => {
			const v = { pattern: pat.value, trunks: names() };
			const w = windowsParse(wins.value).windows;
			if (w.length)
				v.windows = w;
			return v;
		};
		return li;
	}, 'Add a route');
	const err = alertBox('bad');
	const form = h('form', { class: 'card', novalidate: true, 'aria-label': p ? `ARS plan ${p.id}` : 'New ARS plan' },
		h('h3', { text: p ? `Plan ${p.id}` : 'New ARS plan' }), err, name.wrap, rows.list,
		h('div', { class: 'actions' }, rows.btn, h('button', { type: 'submit', text: p ? 'Save' : 'Create plan' }),
			p ? delButton(`/api/cor/ars/${encodeURIComponent(p.id)}?revision=${p.revision}`, 'Delete', msg, go, `Deleted plan ${p.id}.`) : null));
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		err.textContent = '';
		setError(name, NAME.test(name.input.value) ? '' : '1-64 of letters, digits, . _ -');
		const bad = rows.rows().filter(r => r.check());
		if (!NAME.test(name.input.value) || bad.length)
			return (bad[0] ? bad[0].querySelector('input') : name.input).focus();
		save(`/api/cor/ars/${encodeURIComponent(name.input.value)}`, { routes: rows.rows().map(r => r.item()) },
			p, err, { id: name }, { routes: rows.rows() }, go, `ARS plan ${name.input.value} saved.`);
	});
	return form;
}

// ---- schedule ----

export function scheduleSection(s, data, msg, { go }) {
	const rec = s ? s.record : {};
	const tz = field('timezone', 'Time zone', { autocomplete: 'off', placeholder: data.timezone || '' },
		`empty: the module's (${data.timezone || 'local'}); e.g. Europe/Berlin`);
	tz.input.value = rec.timezone || '';
	tz.input.addEventListener('input', () => setError(tz, tz.input.value === '' || /^[A-Za-z0-9_+\-/]{1,64}$/.test(tz.input.value) ? '' : 'a zone name such as Europe/Berlin'));
	const def = field('default', 'Outside every window', { options: PERIODS }, null);
	def.input.value = rec.default || 'night1';
	const hol = field('holiday', 'On a holiday (no hol window)', { options: PERIODS }, null);
	hol.input.value = rec.holiday || 'night2';
	const hols = field('holidays', 'Holidays', { autocomplete: 'off', placeholder: '12-25, 2026-04-03' }, 'MM-DD every year, YYYY-MM-DD once; comma separated');
	hols.input.value = (rec.holidays || []).join(', ');
	const holList = () => hols.input.value.split(',').map(x => x.trim()).filter(Boolean);
	const holCheck = () => holList().find(x => !/^(\d{4}-)?\d\d-\d\d$/.test(x));
	hols.input.addEventListener('input', () => setError(hols, holCheck() ? `"${holCheck()}": MM-DD or YYYY-MM-DD` : ''));
	const rows = rowList(rec.windows, w => {
		const days = input('Days', w.days, { placeholder: 'mon-fri' });
		const from = input('From', w.from, { placeholder: '08:00', class: 'time' });
		const to = input('To', w.to, { placeholder: '18:00', class: 'time' });
		const per = select('Period', PERIODS, w.period || 'day');
		const li = h('li', { class: 'rule' }, days, from, to, per);
		errLine(li, [days, from, to], () => daysError(days.value) || timeError(from.value) || timeError(to.value));
		li.item = () => ({ days: days.value, from: from.value, to: to.value, period: per.value });
		return li;
	}, 'Add a window');
	const err = alertBox('bad');
	const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'Schedule' }, err,
		h('p', { class: 'hint', text: `Without a schedule the period is always day. The first window containing the time now (in the schedule's time zone: ${rec.timezone || data.timezone || 'local'}) gives the period; a window from 22:00 to 06:00 wraps midnight. The manual switch above overrides the schedule.` }),
		h('div', { class: 'grid2' }, tz.wrap, def.wrap, hol.wrap, hols.wrap), rows.list,
		h('div', { class: 'actions' }, rows.btn, h('button', { type: 'submit', text: 'Save schedule' }),
			s ? delButton(`/api/cor/schedule?revision=${s.revision}`, 'Remove the schedule', msg, go, 'Schedule removed: always day.') : null));
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		err.textContent = '';
		const bad = rows.rows().filter(r => r.check());
		setError(hols, holCheck() ? `"${holCheck()}": MM-DD or YYYY-MM-DD` : '');
		if (bad.length || holCheck())
			return (bad[0] ? bad[0].querySelector('input') : hols.input).focus();
		const b = { default: def.input.value, holiday: hol.input.value, windows: rows.rows().map(r => r.item()) };
		if (tz.input.value)
			b.timezone = tz.input.value;
		if (holList().length)
			b.holidays = holList();
		const holRows = holList().map((x, i) => ({ showError: m => setError(hols, m), i }));
		save('/api/cor/schedule', b, s, err, { timezone: tz, default: def, holiday: hol, holidays: hols },
			{ windows: rows.rows(), holidays: holRows }, go, 'Schedule saved.');
	});
	return section('cor-schedule', 'Schedule (day / night 1 / night 2)', form);
}

// ---- emergency numbers ----

export function emergencySection(e, msg, { go }) {
	const rec = e ? e.record : {};
	const nums = field('numbers', 'Emergency numbers', { autocomplete: 'off', inputmode: 'tel' },
		'space separated, at most 32; always allowed, whatever the CoR, period or account code');
	nums.input.value = (rec.numbers || ['112', '911', '999', '000', '110']).join(' ');
	const prefix = field('trunk_prefix', 'Trunk access prefix', { autocomplete: 'off', inputmode: 'tel' }, 'the numbers are also allowed after it; empty: the module\'s');
	prefix.input.value = rec.trunk_prefix || '';
	const list = () => nums.input.value.split(/\s+/).filter(Boolean);
	const check = () => {
		const bad = list().find(n => !numbersOk(n));
		setError(nums, !list().length ? 'at least one number' : list().length > 32 ? 'at most 32 numbers'
			: bad ? `"${bad}": 0-9 * # +` : '');
		setError(prefix, prefix.input.value === '' || numbersOk(prefix.input.value) ? '' : '0-9 * # +');
		return nums.input.getAttribute('aria-invalid') || prefix.input.getAttribute('aria-invalid');
	};
	nums.input.addEventListener('input', check);
	prefix.input.addEventListener('input', check);
	const err = alertBox('bad');
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': 'Emergency numbers' }, err,
		nums.wrap, prefix.wrap, h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Save numbers' }),
			e ? delButton(`/api/cor/emergency?revision=${e.revision}`, 'Restore the module\'s list', msg, go, 'Emergency numbers: the module\'s list again.') : null));
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		err.textContent = '';
		if (check())
			return nums.input.focus();
		const b = { numbers: list() };
		if (prefix.input.value)
			b.trunk_prefix = prefix.input.value;
		const rows = list().map(n => ({ showError: m => setError(nums, m) }));
		save('/api/cor/emergency', b, e, err, { numbers: nums, trunk_prefix: prefix }, { numbers: rows }, go, 'Emergency numbers saved.');
	});
	return section('cor-emergency', e ? 'Emergency numbers' : 'Emergency numbers (the module\'s list in force)', form);
}

// ---- account codes ----

export function accountsSection(list, msg, ctx) {
	const box = h('div', {});
	const rows = list.slice().sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })).map(a => {
		const r = a.record;
		const edit = h('button', { type: 'button', class: 'secondary', text: 'Edit', 'aria-label': `Edit code ${a.id}` });
		edit.addEventListener('click', () => box.replaceChildren(accountForm(a, msg, ctx)));
		return [a.id, r.verified ? 'verified' : 'non-verified (recorded)', r.verified ? (r.pin_set ? 'set' : 'missing') : '',
			r.cor ?? '', r.cos ?? '', h('span', { class: 'actions' }, edit,
				delButton(`/api/cor/accounts/${encodeURIComponent(a.id)}?revision=${a.revision}`, 'Delete', msg, ctx.go, `Deleted code ${a.id}.`))];
	});
	box.append(accountForm(null, msg, ctx));
	return section('cor-accounts', 'Account codes',
		h('p', { class: 'hint', text: 'Verified codes need their PIN and switch the caller\'s CoR/CoS for one call; non-verified codes are recorded for billing. System codes are set per trunk (above).' }),
		table(['Code', 'Kind', 'PIN', 'CoR', 'CoS', 'Actions'], rows, 'Account codes'), box);
}

function accountForm(a, msg, { go }) {
	const rec = a ? a.record : { verified: true };
	const code = field('code', 'Code', { autocomplete: 'off', inputmode: 'numeric' }, '1-32 digits');
	code.input.value = a ? a.id : '';
	code.input.readOnly = !!a;
	const kind = field('verified', 'Kind', { options: [['true', 'verified (code + PIN)'], ['false', 'non-verified (recorded)']] }, null);
	kind.input.value = String(!!rec.verified);
	const pin = field('pin', 'PIN', { type: 'password', autocomplete: 'new-password', inputmode: 'numeric' },
		a && rec.pin_set ? 'set; type a new one to replace it, leave empty to keep it' : '4-16 digits; never shown again');
	const cor = field('cor', 'CoR for the call', { autocomplete: 'off', inputmode: 'numeric' }, 'empty: the caller\'s');
	const cos = field('cos', 'CoS for the call', { autocomplete: 'off', inputmode: 'numeric' }, 'empty: the caller\'s');
	cor.input.value = rec.cor ?? '';
	cos.input.value = rec.cos ?? '';
	const pinCheck = () => {
		const v = pin.input.value;
		if (kind.input.value !== 'true')
			return v ? 'only verified codes have a PIN' : '';
		if (!v)
			return a && rec.pin_set ? '' : 'a verified code needs a PIN';
		return /^\d{4,16}$/.test(v) ? '' : '4 to 16 digits';
	};
	const checks = [[code, () => /^\d{1,32}$/.test(code.input.value) ? '' : '1-32 digits'], [pin, pinCheck],
		[cor, () => groupRef(cor.input.value)], [cos, () => groupRef(cos.input.value)]];
	for (const [f, c] of checks)
		f.input.addEventListener('input', () => setError(f, c()));
	kind.input.addEventListener('change', () => setError(pin, pinCheck()));
	const err = alertBox('bad');
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': a ? `Account code ${a.id}` : 'New account code' },
		h('h3', { text: a ? `Account code ${a.id}` : 'New account code' }), err, code.wrap, kind.wrap, pin.wrap, cor.wrap, cos.wrap,
		h('div', { class: 'actions' }, h('button', { type: 'submit', text: a ? 'Save' : 'Create code' })));
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		err.textContent = '';
		const bad = checks.filter(([f, c]) => { setError(f, c()); return c(); });
		if (bad.length)
			return bad[0][0].input.focus();
		const b = { verified: kind.input.value === 'true' };
		if (pin.input.value)
			b.pin = pin.input.value;
		for (const [k, f] of [['cor', cor], ['cos', cos]])
			if (f.input.value !== '')
				b[k] = Number(f.input.value);
		pin.input.value = '';
		save(`/api/cor/accounts/${encodeURIComponent(code.input.value)}`, b, a, err,
			{ id: code, verified: kind, pin, cor, cos }, null, go, `Account code ${code.input.value} saved.`);
	});
	return form;
}
