// The access log: the last 20 failed and 20 successful accesses and the
// changes, read only (the API has no call that edits or deletes them).
import { h, alertBox, table } from './dom.js';
import { call } from './api.js';

// ISO 8601 UTC from the server, shown as "YYYY-MM-DD HH:MM:SS" under a UTC heading.
const when = t => String(t || '').replace('T', ' ').replace(/(Z|[+-]00(:?00)?)$/, '');
const rows = list => (list || []).map(e => [when(e.time), e.actor, e.action, e.object]);
const logTable = (cols, list) => {
	const t = table(cols, rows(list));
	t.classList.add('log');
	return t;
};

export async function renderAudit(main) {
	const msg = alertBox('bad');
	main.append(h('h1', { text: 'Access log' }), msg);
	try {
		const a = await call('GET', '/api/audit');
		const cols = ['Time (UTC)', 'Who', 'What', 'Object'];
		main.append(
			h('section', { id: 'audit-failed', 'aria-labelledby': 'audit-failed-h' },
				h('h2', { id: 'audit-failed-h', text: 'Failed accesses (last 20)' }), logTable(cols, a.failed)),
			h('section', { id: 'audit-ok', 'aria-labelledby': 'audit-ok-h' },
				h('h2', { id: 'audit-ok-h', text: 'Successful accesses (last 20)' }), logTable(cols, a.successful)),
			h('section', { id: 'audit-changes', 'aria-labelledby': 'audit-changes-h' },
				h('h2', { id: 'audit-changes-h', text: 'Changes' }), logTable(cols, a.changes)),
			h('p', { class: 'hint', text: 'Since the WebAdmin started. The complete, tamper-evident record is the ' +
				'audit log: bulwarkctl audit list.' }));
	} catch (e) {
		msg.textContent = e.message;
	}
}
