// The dashboard: figures from GET /api/dashboard, refreshed every 10 s.
// Refreshing stops once nobody has touched keyboard or pointer for the
// session's idle timeout, so an unattended screen still times out.
import { h, clear, alertBox } from './dom.js';
import { call, current } from './api.js';
import { volumeChart } from './chart.js';

const EVERY = 10000;
let lastActivity = Date.now();
for (const ev of ['keydown', 'pointerdown', 'pointermove', 'wheel'])
	addEventListener(ev, () => { lastActivity = Date.now(); }, { passive: true });

function tile(label, value, id) {
	return h('div', { class: 'tile', id },
		h('span', { class: 'n', text: String(value ?? 0) }), h('span', { class: 'l', text: label }));
}

function draw(box, d) {
	clear(box).append(
		h('div', { class: 'tiles' },
			tile('Registrations', d.registrations, 'dash-registrations'),
			tile('Active calls', d.active_calls, 'dash-calls'),
			tile('Active alarms', d.active_alarms, 'dash-alarms'),
			tile('Blocked sources (SIP + web)', (d.blocked_sources_sip || 0) + (d.blocked_sources_web || 0),
				'dash-blocked')),
		h('h2', { text: 'Call volume (last 24 hours)' }),
		h('div', { class: 'chart', id: 'dash-volume' }, volumeChart(d.history)),
		h('p', { class: 'hint', text: `Calls started per ${(d.history?.interval || 900) / 60} minutes (UTC), ` +
			`counted by the server since the WebAdmin started; refreshed every ${EVERY / 1000} s. ` +
			`${d.total_calls || 0} calls since the server started; ${d.sessions || 0} web sessions.` }));
}

export function renderDashboard(main, { alive }) {
	const msg = alertBox('bad');
	const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted', text: 'Loading…' }));
	main.append(h('h1', { text: 'Dashboard' }), msg, box);
	const refresh = async () => {
		if (!alive())
			return;
		try {
			const d = await call('GET', '/api/dashboard');
			msg.textContent = '';
			if (alive())
				draw(box, d);
		} catch (e) {
			msg.textContent = e.message;
		}
		const idle = (current()?.idle_timeout || 900) * 1000;
		if (alive() && Date.now() - lastActivity < idle)
			setTimeout(refresh, EVERY);
	};
	refresh();
}
