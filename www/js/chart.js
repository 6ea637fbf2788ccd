// Call volume: the back end keeps no history (only the calls.total
// counter), so the page samples it at each refresh and draws calls per
// interval since the WebAdmin was opened, as SVG bars. Bounded: the last
// 30 samples.
const NS = 'http://www.w3.org/2000/svg';
const KEEP = 30;
const samples = [];   // { t: ms, total }

export function sample(total) {
	samples.push({ t: Date.now(), total });
	while (samples.length > KEEP + 1)
		samples.shift();
}

function svg(tag, attrs, text) {
	const el = document.createElementNS(NS, tag);
	for (const [k, v] of Object.entries(attrs))
		el.setAttribute(k, String(v));
	if (text !== undefined)
		el.textContent = text;
	return el;
}

export function volumeChart() {
	const W = 1000, H = 150, pad = 24;
	const deltas = samples.slice(1).map((s, i) => Math.max(0, s.total - samples[i].total));
	const max = Math.max(1, ...deltas);
	const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
		'aria-label': `Calls per refresh interval, last ${deltas.length} intervals, at most ${max}` });
	root.append(svg('line', { class: 'axis', x1: pad, y1: H - pad, x2: W, y2: H - pad }));
	root.append(svg('text', { x: 2, y: 12 }, String(max)));
	root.append(svg('text', { x: 2, y: H - pad }, '0'));
	const bw = (W - pad) / KEEP;
	deltas.forEach((d, i) => {
		const bh = (H - 2 * pad) * d / max;
		root.append(svg('rect', { class: 'bar', x: pad + i * bw + 1, y: H - pad - bh,
			width: Math.max(1, bw - 2), height: bh }));
	});
	if (!deltas.length)
		root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'collecting samples…'));
	return root;
}
