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

// Focuses the form's first field marked invalid; true when there is one.
export function focusInvalid(form) {
	const bad = form.querySelector('[aria-invalid="true"]');
	bad?.focus();
	return !!bad;
}

// The server's per-field errors ({fields: {name: msg}}) next to the fields
// (a field without one is cleared); focus goes to the first one named.
export function fieldErrors(fields, e) {
	const named = e.fields || {};
	for (const [n, f] of Object.entries(fields))
		setError(f, named[n]);
	const first = Object.keys(named).find(n => fields[n]);
	if (first)
		fields[first].input.focus();
}

// A list row's actions: a link that opens the record (Edit, or View when
// the profile grants read only) and, with write, Delete behind an in-place
// "Yes, delete" / Cancel. remove() deletes; its error goes to msg.
export function rowActions({ href, name, write, msg, remove }) {
	const cell = h('span', { class: 'actions' });
	const open = h('a', { href, 'aria-label': `${write ? 'Edit' : 'View'} ${name}`, text: write ? 'Edit' : 'View' });
	cell.append(open);
	if (!write)
		return cell;
	const del = h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${name}`, text: 'Delete' });
	del.addEventListener('click', () => {
		const yes = h('button', { type: 'button', class: 'danger', text: `Yes, delete ${name}` });
		const no = h('button', { type: 'button', class: 'secondary', text: 'Cancel' });
		no.addEventListener('click', () => { cell.replaceChildren(open, del); del.focus(); });
		yes.addEventListener('click', async () => {
			try {
				await remove();
			} catch (err) {
				msg.textContent = err.message;
				cell.replaceChildren(open, del);
			}
		});
		cell.replaceChildren(yes, no);
		no.focus();
	});
	cell.append(del);
	return cell;
}
