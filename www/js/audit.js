// The access log, read from the server's audit log: the last 20 failed
// and 20 successful accesses and every change, newest first, 50 a page.
// Read only (the API has no call that edits or deletes a record); older
// pages are plain links (#/audit/before-SEQ), so the page has no form.
import { h, alertBox, table } from './dom.js';
import { call } from './api.js';

// ISO 8601 UTC from the server, shown as "YYYY-MM-DD HH:MM:SS" under a UTC heading.
const when = t => String(t || '').replace('T', ' ').replace(/(Z|[+-]00(:?00)?)$/, '');
const rows = (list, detail) => (list || []).map(e =>
	[when(e.time), e.actor, e.action, e.object].concat(detail ? [e.detail || ''] : []));
const logTable = (cols, list, detail) => {
	const t = table(cols, rows(list, detail));
	t.classList.add('log');
	return t;
};

function section(id, title, table_) {
	return h('section', { id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h`, text: title }), table_);
}

export async function renderAudit(main, { param }) {
	const msg = alertBox('bad');
	const m = /^before-(\d+)$/.exec(param || '');
	const before = m ? m[1] : '';
	main.append(h('h1', { text: 'Access log' }), msg);
	try {
		const a = await call('GET', before ? `/api/audit?before=${before}` : '/api/audit');
		const cols = ['Time (UTC)', 'Who', 'What', 'Object'];
		if (!before)
			main.append(
				section('audit-failed', 'Failed accesses (last 20)', logTable(cols, a.failed)),
				section('audit-ok', 'Successful accesses (last 20)', logTable(cols, a.successful)));
		main.append(
			section('audit-changes', before ? `Changes before record ${before}` : 'Changes',
				logTable(cols.concat(['Detail']), a.changes, true)),
			h('nav', { class: 'pager', 'aria-label': 'Older and newer changes' },
				before ? h('a', { href: '#/audit', text: 'Newest' }) : null,
				a.next_before ? h('a', { href: `#/audit/before-${a.next_before}`, text: 'Older changes' }) : null),
			h('p', { class: 'hint', text: 'From the tamper-evident audit log, kept across restarts; it also ' +
				'shows changes made with bulwarkctl and by modules. Check its chain with bulwarkctl audit verify.' }));
	} catch (e) {
		msg.textContent = e.message;
	}
}
