// DOM helpers. Everything the server sends is shown through text nodes and
// attributes, never innerHTML, so a name like "<img onerror=...>" stays text.

let uniq = 0;

export function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else if (k === 'text')
			el.textContent = v;
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, kids);
	return el;
}

function append(el, kids) {
	for (const k of kids.flat()) {
		if (k === null || k === undefined || k === false)
			continue;
		el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
}

export function clear(el) {
	while (el.firstChild)
		el.firstChild.remove();
	return el;
}

export function newId(prefix) {
	uniq += 1;
	return `${prefix}-${uniq}`;
}

// A labelled field with its hint and an error line tied to the input by
// aria-describedby, so screen readers read the message with the field.
export function field(name, label, attrs, hint) {
	const id = newId(`f-${name}`);
	const err = h('p', { class: 'error', id: `${id}-err`, 'aria-live': 'polite' });
	const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null;
	const tag = attrs && attrs.options ? 'select' : 'input';
	const a = { ...attrs, id, name, 'aria-describedby': `${hintEl ? `${id}-hint ` : ''}${id}-err` };
	delete a.options;
	const input = h(tag, a, (attrs && attrs.options || []).map(
		([v, t]) => h('option', { value: v, text: t })));
	const wrap = h('div', { class: 'field', 'data-field': name },
		h('label', { for: id, text: label }), input, hintEl, err);
	return { wrap, input, err };
}

export function setError(f, msg) {
	f.err.textContent = msg || '';
	if (msg)
		f.input.setAttribute('aria-invalid', 'true');
	else
		f.input.removeAttribute('aria-invalid');
}

export function alertBox(kind) {
	return h('div', { class: `alert ${kind || 'bad'}`, role: 'alert' });
}

export function fmtTime(secs) {
	if (!secs)
		return '';
	return new Date(secs * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function table(cols, rows, caption) {
	return h('table', {},
		caption ? h('caption', { class: 'muted', text: caption }) : null,
		h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col', text: c })))),
		h('tbody', {}, rows.length ? rows.map(r => h('tr', {}, r.map(c =>
			h('td', {}, c instanceof Node ? c : String(c ?? '')))))
			: h('tr', {}, h('td', { colspan: cols.length, class: 'muted', text: 'Nothing yet.' }))));
}
