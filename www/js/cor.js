// CoR/CoS (#/cor), only while the cor module runs: the service period and
// its switch (as `bulwarkctl service`), a "test a number" tool that shows
// the module's explanation (as `bulwarkctl cor show EXT NUMBER`; POSTed,
// so a number with an account code's PIN never lands in a URL), CoR
// groups (ordered allow/deny patterns), CoS groups (feature flags) and
// extension assignments (CoR per service period, CoS, interconnect group,
// ARS plan); cormore.js adds trunk
// assignments, the interconnect matrix, ARS plans, the schedule, emergency
// numbers, account codes and the fraud limits (editable). Patterns are checked as you
// type with the module's syntax; on save the module's own parser answers,
// per rule ("rules[I]"). Every save carries the revision read. A profile
// with read only on "cor" sees the page without its edit controls.
import { h, field, setError, alertBox, table } from './dom.js';
import { call, canWrite } from './api.js';
import { settingsCard, trunksSection, interconnectSection, arsSection, scheduleSection,
	emergencySection, accountsSection } from './cormore.js';

// The digit-pattern syntax of docs/cor.md (modules/cor/corpattern.c).
export function patternError(p) {
	const fail = (i, why) => `pattern "${p}": position ${i + 1}: ${why}`;
	if (!p)
		return 'empty pattern';
	if (p.length > 64)
		return fail(64, 'longer than 64 characters');
	for (let i = 0; i < p.length; i++) {
		const c = p[i];
		if (c === '.' || c === '!') {
			if (i !== p.length - 1)
				return fail(i, "'.' and '!' may only end a pattern");
			break;
		}
		if (c === '[') {
			const start = i;
			let any = false;
			for (i++; i < p.length && p[i] !== ']'; i++) {
				if (!/\d/.test(p[i]))
					return fail(i, 'only digits and ranges may appear in [ ]');
				if (i + 2 < p.length && p[i + 1] === '-' && p[i + 2] !== ']') {
					if (!/\d/.test(p[i + 2]))
						return fail(i + 2, 'range end is not a digit');
					if (p[i + 2] < p[i])
						return fail(i, 'range is reversed');
					i += 2;
				}
				any = true;
			}
			if (i >= p.length)
				return fail(start, 'unterminated [');
			if (!any)
				return fail(start, 'empty set []');
		} else if (!/[0-9*#+XxZzNn]/.test(c)) {
			return fail(i, c === ']' ? 'unmatched ]' : "not a digit, * # +, X Z N, [set], '.' or '!'");
		}
	}
	return '';
}

const PERIODS = ['day', 'night1', 'night2'];
const FLAGS = [['external', 'External calls'], ['forward_external', 'Forward to external'],
	['transfer_external', 'Transfer to external'], ['conference', 'Conference'],
	['account_code_required', 'Account code required']];
const idOk = v => /^\d{1,5}$/.test(v) && Number(v) <= 65535 ? '' : 'a number from 0 to 65535';
const groupRef = v => v === '' || idOk(v) === '' ? '' : 'a group number (0-65535), or empty';
// a plan's name as /api/cor/ars/NAME takes it (the module allows 1-64 characters)
const arsRef = v => v === '' || /^[A-Za-z0-9._-]{1,64}$/.test(v) ? '' : 'a plan name: 1-64 letters, digits, . _ -';

export async function renderCor(main, ctx) {
	const msg = alertBox('bad');
	main.append(h('h1', { text: 'CoR/CoS' }), msg);
	let data;
	try {
		data = await call('GET', '/api/cor');
	} catch (e) {
		msg.textContent = e.message;
		return;
	}
	if (!data.available) {
		main.append(h('div', { class: 'alert info', role: 'status', id: 'cor-info', text: data.message }));
		return;
	}
	const explain = explainCard();
	main.append(serviceCard(data.service, msg), explain,
		groupsSection(data.groups || [], msg, ctx), cosSection(data.cos || [], msg, ctx),
		assignSection(data.assignments || [], msg, ctx), trunksSection(data.trunks || [], msg, ctx),
		interconnectSection(data.interconnect, msg, ctx), arsSection(data.ars || [], msg, ctx),
		scheduleSection(data.schedule, data, msg, ctx), emergencySection(data.emergency, msg, ctx),
		accountsSection(data.accounts || [], msg, ctx), settingsCard(data, msg, ctx));
	if (!canWrite('cor'))
		readOnly(main, explain);
}

// Read only: no button that changes anything, no editable field, no empty
// "new ..." form; the test-a-number tool stays (it only reads).
function readOnly(main, keep) {
	for (const f of main.querySelectorAll('form')) {
		if (f === keep)
			continue;
		if (/^(New|Assign)/.test(f.getAttribute('aria-label') || '')) {
			f.remove();
			continue;
		}
		f.querySelectorAll('button').forEach(b => b.remove());
		f.querySelectorAll('input, select').forEach(i => { i.disabled = true; });
	}
	main.querySelectorAll('table button').forEach(b => b.remove());
	main.querySelector('h1').after(h('p', { class: 'alert info', id: 'cor-readonly', role: 'status',
		text: 'Your profile may read the CoR/CoS settings but not change them.' }));
}

// ---- service period ----

function serviceCard(service, msg) {
	const now = h('p', { id: 'cor-period' });
	const show = s => { now.textContent = `Override: ${s.override}; period now: ${s.period}`; };
	show(service);
	const f = field('mode', 'Switch to', { options: [['auto', 'auto (schedule)'], ['day', 'day'],
		['night1', 'night 1'], ['night2', 'night 2']] }, null);
	f.input.value = service.override;
	const btn = h('button', { type: 'submit', text: 'Switch' });
	const form = h('form', { class: 'card', 'aria-label': 'Service period' },
		h('h2', { text: 'Service period' }), now, f.wrap, h('div', { class: 'actions' }, btn));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		try {
			show((await call('POST', '/api/cor/service', { mode: f.input.value })).service);
			setError(f, '');
		} catch (e) {
			setError(f, e.fields.mode || e.message);
		}
	});
	return form;
}

// ---- test a number ----

function explainCard() {
	const caller = field('caller', 'Caller', { autocomplete: 'off' }, 'an extension number, or trunk:NAME');
	const number = field('number', 'Number dialled', { autocomplete: 'off', inputmode: 'tel' }, '0-9 * # +, as dialled');
	const out = h('div', { id: 'cor-explain', 'aria-live': 'polite' });
	const checks = {
		caller: v => /^[A-Za-z0-9_.:-]{1,200}$/.test(v) ? '' : 'an extension number or trunk:NAME',
		number: v => /^[0-9*#+]{1,64}$/.test(v) ? '' : '1-64 of 0-9 * # +',
	};
	for (const [n, f] of [['caller', caller], ['number', number]])
		f.input.addEventListener('input', () => setError(f, checks[n](f.input.value)));
	const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'Test a number' },
		h('h2', { text: 'Test a number' }), caller.wrap, number.wrap,
		h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Explain' })), out);
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		const bad = [['caller', caller], ['number', number]].filter(([n, f]) => {
			setError(f, checks[n](f.input.value));
			return checks[n](f.input.value);
		});
		if (bad.length) {
			bad[0][1].input.focus();
			return;
		}
		try {
			// POST: the number may carry an account code's PIN, which must
			// not travel in a URL (access logs, browser history)
			const r = await call('POST', '/api/cor/explain', { caller: caller.input.value, number: number.input.value });
			out.replaceChildren(table(['Item', 'Value'], r.lines.map(l => [l.key, l.value]), 'Decision'));
		} catch (e) {
			out.replaceChildren();
			if (e.fields.caller || e.fields.number) {
				setError(caller, e.fields.caller || '');
				setError(number, e.fields.number || '');
			} else {
				out.append(h('p', { class: 'error', text: e.message }));
			}
		}
	});
	return form;
}

// ---- CoR groups ----

function groupsSection(groups, msg, ctx) {
	const sec = h('section', { 'aria-label': 'CoR groups', id: 'cor-groups' }, h('h2', { text: 'CoR groups (barring plans)' }));
	for (const g of groups.slice().sort((a, b) => a.id - b.id))
		sec.append(groupForm(g, msg, ctx));
	sec.append(groupForm(null, msg, ctx));
	return sec;
}

function ruleRow(rule, list) {
	const pattern = h('input', { 'aria-label': 'Pattern', value: rule.pattern || '', autocomplete: 'off', class: 'pattern' });
	const action = h('select', { 'aria-label': 'Action' }, h('option', { value: 'deny', text: 'deny' }),
		h('option', { value: 'allow', text: 'allow' }));
	action.value = rule.action || 'deny';
	const name = h('input', { 'aria-label': 'Rule name', value: rule.name || '', autocomplete: 'off' });
	const err = h('p', { class: 'error', 'aria-live': 'polite' });
	const row = h('li', { class: 'rule' }, pattern, action, name, err);
	const check = () => {
		const m = patternError(pattern.value);
		err.textContent = m;
		if (m)
			pattern.setAttribute('aria-invalid', 'true');
		else
			pattern.removeAttribute('aria-invalid');
		return m;
	};
	pattern.addEventListener('input', check);
	const up = h('button', { type: 'button', class: 'secondary', text: '↑', 'aria-label': 'Move up' });
	const remove = h('button', { type: 'button', class: 'secondary', text: 'Remove', 'aria-label': 'Remove rule' });
	up.addEventListener('click', () => { if (row.previousElementSibling) list.insertBefore(row, row.previousElementSibling); });
	remove.addEventListener('click', () => row.remove());
	row.insertBefore(h('span', { class: 'actions' }, up, remove), err);
	row.rule = () => ({ pattern: pattern.value, action: action.value, ...(name.value ? { name: name.value } : {}) });
	row.check = check;
	row.showError = m => { err.textContent = m; pattern.setAttribute('aria-invalid', 'true'); };
	return row;
}

function groupForm(g, msg, { go }) {
	const rec = g ? g.record : { default: 'deny', rules: [] };
	const id = field('id', 'Group number', { autocomplete: 'off', inputmode: 'numeric' }, '0-65535; 0 is the default CoR');
	const name = field('name', 'Name', { autocomplete: 'off' }, null);
	const fallback = field('default', 'When no rule matches', { options: [['deny', 'deny'], ['allow', 'allow']] }, null);
	const onDeny = field('on_deny', 'Denied calls', { options: [['reject', 'rejected'], ['attendant', 'go to the attendant']] }, null);
	const attendant = field('attendant', 'Attendant extension', { autocomplete: 'off' }, 'with "go to the attendant"');
	id.input.value = g ? String(g.id) : '';
	id.input.readOnly = !!g;
	name.input.value = rec.name || '';
	fallback.input.value = rec.default || 'deny';
	onDeny.input.value = rec.on_deny || 'reject';
	attendant.input.value = rec.attendant || '';
	id.input.addEventListener('input', () => setError(id, idOk(id.input.value)));
	const list = h('ol', { class: 'rules-edit' });
	for (const r of rec.rules || [])
		list.append(ruleRow(r, list));
	const addRule = h('button', { type: 'button', class: 'secondary', text: 'Add rule' });
	addRule.addEventListener('click', () => {
		const row = ruleRow({}, list);
		list.append(row);
		row.querySelector('input').focus();
	});
	const save = h('button', { type: 'submit', text: g ? 'Save' : 'Create group' });
	const err = alertBox('bad');
	const fields = { name, default: fallback, on_deny: onDeny, attendant };
	const form = h('form', { class: 'card', novalidate: true, 'aria-label': g ? `CoR group ${g.id}` : 'New CoR group',
		'data-group': g ? String(g.id) : 'new' },
		h('h3', { text: g ? `CoR group ${g.id}${rec.name ? ` (${rec.name})` : ''}` : 'New CoR group' }),
		err, id.wrap, name.wrap, fallback.wrap, onDeny.wrap, attendant.wrap,
		h('p', { class: 'hint', text: 'Rules: the most specific matching pattern decides (longest literal prefix, then fewest wildcards, then the first written).' }),
		list, h('div', { class: 'actions' }, addRule, save, g ? deleteButton('groups', g, msg, go) : null));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		err.textContent = '';
		const rows = [...list.children];
		const bad = rows.filter(r => r.check());
		setError(id, idOk(id.input.value));
		if (idOk(id.input.value) || bad.length) {
			(bad[0] ? bad[0].querySelector('input') : id.input).focus();
			return;
		}
		const b = { default: fallback.input.value, rules: rows.map(r => r.rule()) };
		if (name.input.value)
			b.name = name.input.value;
		if (onDeny.input.value !== 'reject')
			b.on_deny = onDeny.input.value;
		if (attendant.input.value)
			b.attendant = attendant.input.value;
		if (g)
			b.revision = g.revision;
		try {
			await call('PUT', `/api/cor/groups/${id.input.value}`, b);
			go('#/cor', `CoR group ${id.input.value} saved.`);
		} catch (e) {
			err.textContent = e.message;
			for (const [k, m] of Object.entries(e.fields)) {
				const r = /^rules\[(\d+)\]$/.exec(k);
				if (r && rows[Number(r[1])])
					rows[Number(r[1])].showError(m);
				else if (fields[k])
					setError(fields[k], m);
			}
		}
	});
	return form;
}

function deleteButton(kind, item, msg, go) {
	const del = h('button', { type: 'button', class: 'danger', text: 'Delete', 'aria-label': `Delete ${kind} ${item.id}` });
	del.addEventListener('click', async () => {
		if (del.dataset.armed !== 'yes') {
			del.dataset.armed = 'yes';
			del.textContent = 'Click again to delete';
			return;
		}
		try {
			await call('DELETE', `/api/cor/${kind}/${encodeURIComponent(item.id)}?revision=${item.revision}`);
			go('#/cor', `Deleted ${kind === 'ext' ? 'the assignment of' : kind === 'cos' ? 'CoS' : 'CoR group'} ${item.id}.`);
		} catch (e) {
			msg.textContent = e.message;
		}
	});
	return del;
}

// ---- CoS groups ----

function cosSection(list, msg, ctx) {
	const sec = h('section', { 'aria-label': 'CoS groups', id: 'cor-cos' }, h('h2', { text: 'CoS groups (feature rights)' }));
	for (const c of list.slice().sort((a, b) => a.id - b.id))
		sec.append(cosForm(c, msg, ctx));
	sec.append(cosForm(null, msg, ctx));
	return sec;
}

function cosForm(c, msg, { go }) {
	const rec = c ? c.record : {};
	const id = field('id', 'CoS number', { autocomplete: 'off', inputmode: 'numeric' }, '0-65535; 0 is the default CoS');
	const name = field('name', 'Name', { autocomplete: 'off' }, null);
	id.input.value = c ? String(c.id) : '';
	id.input.readOnly = !!c;
	name.input.value = rec.name || '';
	const flags = FLAGS.map(([k, label]) => {
		const f = field(k, label, { options: [['', '(CoS default)'], ['true', 'yes'], ['false', 'no']] }, null);
		f.input.value = rec[k] === undefined ? '' : String(rec[k]);
		return [k, f];
	});
	const err = alertBox('bad');
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': c ? `CoS ${c.id}` : 'New CoS group' },
		h('h3', { text: c ? `CoS ${c.id}${rec.name ? ` (${rec.name})` : ''}` : 'New CoS group' }), err,
		id.wrap, name.wrap, flags.map(([, f]) => f.wrap),
		h('div', { class: 'actions' }, h('button', { type: 'submit', text: c ? 'Save' : 'Create CoS' }),
			c ? deleteButton('cos', c, msg, go) : null));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		setError(id, idOk(id.input.value));
		if (idOk(id.input.value))
			return id.input.focus();
		const b = {};
		if (name.input.value)
			b.name = name.input.value;
		for (const [k, f] of flags)
			if (f.input.value)
				b[k] = f.input.value === 'true';
		if (c)
			b.revision = c.revision;
		try {
			await call('PUT', `/api/cor/cos/${id.input.value}`, b);
			go('#/cor', `CoS ${id.input.value} saved.`);
		} catch (e) {
			err.textContent = e.message;
			const all = Object.fromEntries([['name', name], ...flags]);
			for (const [k, m] of Object.entries(e.fields))
				if (all[k])
					setError(all[k], m);
		}
	});
	return form;
}

// ---- assignments ----

function assignSection(list, msg, ctx) {
	const rows = list.slice().sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })).map(a => {
		const r = a.record;
		const cor = typeof r.cor === 'object' && r.cor ? r.cor : { day: r.cor };
		return [a.id, cor.day ?? '0', cor.night1 ?? cor.day ?? '0', cor.night2 ?? cor.night1 ?? cor.day ?? '0',
			r.cos ?? '0', r.group ?? '0', r.ars ?? 'default',
			h('span', { class: 'actions' }, editLink(a), deleteButton('ext', a, msg, ctx.go))];
	});
	const box = h('div', {});
	const sec = h('section', { 'aria-label': 'Extension assignments', id: 'cor-assign' },
		h('h2', { text: 'Extensions: CoR per service period, CoS, interconnect group, ARS plan' }),
		table(['Extension', 'CoR day', 'CoR night 1', 'CoR night 2', 'CoS', 'Group', 'ARS plan', 'Actions'],
			rows, 'Assignments'), box);
	box.append(assignForm(null, msg, ctx));
	sec.addEventListener('cor-edit', ev => box.replaceChildren(assignForm(ev.detail, msg, ctx)));
	return sec;
}

function editLink(a) {
	const b = h('button', { type: 'button', class: 'secondary', text: 'Edit', 'aria-label': `Edit ${a.id}` });
	b.addEventListener('click', () => b.dispatchEvent(new CustomEvent('cor-edit', { detail: a, bubbles: true })));
	return b;
}

function assignForm(a, msg, { go }) {
	const rec = a ? a.record : {};
	const cor = typeof rec.cor === 'object' && rec.cor ? rec.cor : rec.cor !== undefined ? { day: rec.cor } : {};
	const number = field('number', 'Extension', { autocomplete: 'off', inputmode: 'numeric' }, null);
	number.input.value = a ? a.id : '';
	number.input.readOnly = !!a;
	const per = PERIODS.map(p => {
		const f = field(p, `CoR ${p.replace('night', 'night ')}`, { autocomplete: 'off', inputmode: 'numeric' },
			p === 'day' ? 'group number; 0 when empty' : 'the previous period\'s when empty');
		f.input.value = cor[p] ?? '';
		f.input.addEventListener('input', () => setError(f, groupRef(f.input.value)));
		return [p, f];
	});
	const cos = field('cos', 'CoS', { autocomplete: 'off', inputmode: 'numeric' }, '0 when empty');
	cos.input.value = rec.cos ?? '';
	// as the trunk form: the cor module's rules for "group" and "ars"
	const group = field('group', 'Interconnect group', { autocomplete: 'off', inputmode: 'numeric' }, '0 when empty');
	group.input.value = rec.group ?? '';
	const ars = field('ars', 'ARS plan', { autocomplete: 'off' }, '"default" when empty');
	ars.input.value = rec.ars ?? '';
	const checks = [[number, v => /^[0-9]{1,32}$/.test(v) ? '' : '1-32 digits'],
		...per.map(([, f]) => [f, groupRef]), [cos, groupRef], [group, groupRef], [ars, arsRef]];
	for (const [f, c] of checks)
		f.input.addEventListener('input', () => setError(f, c(f.input.value)));
	const err = alertBox('bad');
	const form = h('form', { class: 'card grid2', novalidate: true, 'aria-label': a ? `Assignment of ${a.id}` : 'New assignment' },
		h('h3', { text: a ? `Extension ${a.id}` : 'Assign an extension' }), err, number.wrap,
		per.map(([, f]) => f.wrap), cos.wrap, group.wrap, ars.wrap, h('div', { class: 'actions' },
			h('button', { type: 'submit', text: a ? 'Save' : 'Assign' })));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		err.textContent = '';
		const bad = checks.filter(([f, c]) => { setError(f, c(f.input.value)); return c(f.input.value); });
		if (bad.length)
			return bad[0][0].input.focus();
		const b = {};
		const c = {};
		for (const [p, f] of per)
			if (f.input.value !== '')
				c[p] = Number(f.input.value);
		if (Object.keys(c).length)
			b.cor = c;
		for (const [k, f] of [['cos', cos], ['group', group]])
			if (f.input.value !== '')
				b[k] = Number(f.input.value);
		if (ars.input.value !== '')
			b.ars = ars.input.value;
		if (a)
			b.revision = a.revision;
		try {
			await call('PUT', `/api/cor/ext/${encodeURIComponent(number.input.value)}`, b);
			go('#/cor', `Extension ${number.input.value} assigned.`);
		} catch (e) {
			err.textContent = e.message;
			const all = { cor: per[0][1], ...Object.fromEntries(per), cos, group, ars, id: number };
			for (const [k, m] of Object.entries(e.fields))
				if (all[k])
					setError(all[k], m);
		}
	});
	return form;
}
