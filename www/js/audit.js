// The access log: the last 20 failed and 20 successful accesses and the
// changes, read only (the API has no call that edits or deletes them).
import { h, alertBox, table } from './dom.js';
import { call } from './api.js';

const rows = list => (list || []).map(e => [e.time, e.actor, e.action, e.object]);

export async function renderAudit(main) {
	const msg = alertBox('bad');
	main.append(h('h1', { text: 'Access log' }), msg);
	try {
		const a = await call('GET', '/api/audit');
		const cols = ['Time (UTC)', 'Who', 'What', 'Object'];
		main.append(
			h('section', { id: 'audit-failed', 'aria-labelledby': 'audit-failed-h' },
				h('h2', { id: 'audit-failed-h', text: 'Failed accesses (last 20)' }), table(cols, rows(a.failed))),
			h('section', { id: 'audit-ok', 'aria-labelledby': 'audit-ok-h' },
				h('h2', { id: 'audit-ok-h', text: 'Successful accesses (last 20)' }), table(cols, rows(a.successful))),
			h('section', { id: 'audit-changes', 'aria-labelledby': 'audit-changes-h' },
				h('h2', { id: 'audit-changes-h', text: 'Changes' }), table(cols, rows(a.changes))),
			h('p', { class: 'hint', text: 'Since the WebAdmin started. The complete, tamper-evident record is the ' +
				'audit log: bulwarkctl audit list.' }));
	} catch (e) {
		msg.textContent = e.message;
	}
}
