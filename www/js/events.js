// The event log: the server's last events (GET /api/events), newest
// first, filtered by a type glob ("call.*") checked with the server's
// rule as you type. While the page is open it polls with after=<last
// seen> every few seconds and puts new events on top; it stops when the
// page is left or nobody has touched the screen for the idle timeout.
import { h, clear, alertBox, field, setError, table } from './dom.js';
import { call, current } from './api.js';

const EVERY = 3000;
const KEEP = 500;                                  // rows kept on the page
const GLOB_RE = /^[A-Za-z0-9._*?-]{1,64}$/;        // the server's rule
let lastActivity = Date.now();
for (const ev of ['keydown', 'pointerdown', 'pointermove', 'wheel'])
	addEventListener(ev, () => { lastActivity = Date.now(); }, { passive: true });

const when = t => String(t || '').replace('T', ' ').replace(/Z$/, '');
const fieldsText = f => Object.entries(f || {}).map(([k, v]) => `${k}=${v}`).join(' ');

function globError(v) {
	if (v === '' || GLOB_RE.test(v))
		return '';
	return "letters, digits, '.', '_', '-', '*' and '?' only (at most 64), e.g. call.*";
}

export function renderEvents(main, { alive }) {
	const msg = alertBox('bad');
	const glob = field('glob', 'Event types', { type: 'search', value: '*', autocomplete: 'off' },
		'A type or a glob: call.*, webadmin.login*, * for all.');
	const status = h('p', { class: 'hint', 'aria-live': 'polite' });
	const box = h('div', { id: 'events-list' });
	main.append(h('h1', { text: 'Event log' }), msg, h('form', { role: 'search' }, glob.wrap),
		status, box);
	let events = [];
	let last = 0;
	let timer = null;

	const draw = () => {
		clear(box).append(table(['Time (UTC)', 'Event', 'Fields'],
			events.map(e => [when(e.time), e.type, fieldsText(e.fields)])));
		box.querySelector('table').classList.add('log');
	};

	const poll = async (fresh) => {
		clearTimeout(timer);
		if (!alive())
			return;
		const g = glob.input.value.trim() || '*';
		const err = globError(g);
		setError(glob, err);
		if (!err) {
			try {
				const q = new URLSearchParams({ glob: g, after: String(fresh ? 0 : last) });
				const d = await call('GET', `/api/events?${q}`);
				if (!alive())
					return;
				events = fresh ? d.events : d.events.concat(events).slice(0, KEEP);
				last = d.last;
				msg.textContent = '';
				status.textContent = `${events.length} shown; the server keeps the last ${d.capacity}` +
					(d.dropped ? `; ${d.dropped} dropped under load` : '') + '.';
				draw();
			} catch (e) {
				if (e.fields && e.fields.glob)
					setError(glob, e.fields.glob);
				else
					msg.textContent = e.message;
			}
		}
		const idle = (current()?.idle_timeout || 900) * 1000;
		if (alive() && Date.now() - lastActivity < idle)
			timer = setTimeout(() => poll(false), EVERY);
		else if (alive())
			status.textContent = 'Paused while idle; type in the filter to resume.';
	};

	let typing = null;
	glob.input.addEventListener('input', () => {
		setError(glob, globError(glob.input.value.trim()));
		clearTimeout(typing);
		typing = setTimeout(() => poll(true), 300);
	});
	glob.wrap.closest('form').addEventListener('submit', ev => { ev.preventDefault(); poll(true); });
	poll(true);
}
