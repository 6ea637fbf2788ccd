// Read-only pages: modules and their state, alarms (active and recently
// cleared).
import { h, alertBox, table, fmtTime } from './dom.js';
import { call } from './api.js';

export async function renderModules(main) {
	const msg = alertBox('bad');
	main.append(h('h1', { text: 'Modules' }), msg);
	try {
		const d = await call('GET', '/api/modules');
		main.append(table(['Module', 'Version', 'State'],
			(d.modules || []).map(m => [m.name, m.version, m.state]), 'Loaded modules'));
	} catch (e) {
		msg.textContent = e.message;
	}
}

export async function renderAlarms(main) {
	const msg = alertBox('bad');
	main.append(h('h1', { text: 'Alarms' }), msg);
	try {
		const d = await call('GET', '/api/alarms');
		const list = d.alarms || [];
		main.append(table(['Severity', 'State', 'Rule', 'Event', 'Count', 'Raised', 'Cleared', 'Text'],
			list.map(a => [h('span', { class: `sev-${a.severity}`, text: a.severity }),
				a.active ? 'active' : 'cleared', a.rule, a.event, a.count,
				fmtTime(a.raised), fmtTime(a.cleared), a.text]), 'Active and recently cleared alarms'));
	} catch (e) {
		msg.textContent = e.message;
	}
}
