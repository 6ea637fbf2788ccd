// Call volume: calls started per interval over the last 24 hours, as the
// server counts them (GET /api/dashboard "history": interval seconds, the
// newest interval's end, counts oldest first), drawn as SVG bars with an
// hour axis. Built with DOM calls only (strict CSP, no inline anything).
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
	const el = document.createElementNS(NS, tag);
	for (const [k, v] of Object.entries(attrs))
		el.setAttribute(k, String(v));
	if (text !== undefined)
		el.textContent = text;
	return el;
}

const hhmm = secs => new Date(secs * 1000).toISOString().slice(11, 16);

export function volumeChart(history) {
	const W = 1000, H = 170, pad = 28, bottom = 22;
	const calls = (history && Array.isArray(history.calls)) ? history.calls : [];
	const step = (history && history.interval) || 900;
	const end = (history && history.end) || Math.floor(Date.now() / 1000);
	const total = calls.reduce((a, b) => a + b, 0);
	const max = Math.max(1, ...calls);
	const hours = Math.round(calls.length * step / 3600);
	const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
		'aria-label': `Calls started per ${step / 60} minutes over the last ${hours} hours: ` +
			`${total} in all, at most ${max} in one interval` });
	const base = H - bottom;
	root.append(svg('line', { class: 'axis', x1: pad, y1: base, x2: W, y2: base }));
	root.append(svg('text', { x: 2, y: 12 }, String(max)));
	root.append(svg('text', { x: 2, y: base }, '0'));
	const bw = (W - pad) / Math.max(1, calls.length);
	calls.forEach((n, i) => {
		const from = end - (calls.length - i) * step;
		const bh = (base - 16) * n / max;
		const bar = svg('rect', { class: 'bar', x: pad + i * bw + 1, y: base - bh,
			width: Math.max(1, bw - 2), height: bh });
		bar.append(svg('title', {}, `${hhmm(from)}–${hhmm(from + step)} UTC: ${n} calls`));
		root.append(bar);
		if (from % (4 * 3600) === 0)   // a tick every 4 hours
			root.append(svg('text', { x: pad + i * bw, y: H - 4 }, hhmm(from)));
	});
	if (!calls.length)
		root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no history yet'));
	return root;
}
