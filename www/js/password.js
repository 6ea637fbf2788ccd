// Change password. At first login (must_change) this is the only page the
// router lets through. The policy is listed under the field and each rule
// turns met or unmet as you type; the server's verdict (including "not one
// of the last 4 passwords", which only it can know) appears by the field.
import { h, field, setError, alertBox } from './dom.js';
import { call, current, setSession } from './api.js';
import { passwordRules } from './rules.js';

export function renderPassword(main, { go }) {
	const s = current();
	const rules = passwordRules(s.user);
	const cur = field('current', 'Current password', { type: 'password', autocomplete: 'current-password' });
	const neu = field('new', 'New password', { type: 'password', autocomplete: 'new-password' });
	const again = field('again', 'New password again', { type: 'password', autocomplete: 'new-password' });
	const list = h('ul', { class: 'rules', id: 'pw-rules', 'aria-label': 'Password rules' },
		rules.map(([text]) => h('li', { text })));
	neu.wrap.insertBefore(list, neu.err);
	neu.input.setAttribute('aria-describedby', `pw-rules ${neu.err.id}`);
	const msg = alertBox('bad');
	const info = alertBox('info');
	if (s.must_change)
		info.textContent = 'This password must be changed before you can use the WebAdmin.';
	const check = () => {
		const pw = neu.input.value;
		let ok = true;
		rules.forEach(([, test], i) => {
			const met = test(pw);
			ok = ok && met;
			list.children[i].className = pw === '' ? '' : (met ? 'met' : 'unmet');
		});
		return ok;
	};
	neu.input.addEventListener('input', () => { check(); setError(neu, ''); });
	again.input.addEventListener('input', () => setError(again,
		again.input.value && again.input.value !== neu.input.value ? 'does not match the new password' : ''));
	const btn = h('button', { type: 'submit', text: 'Change password' });
	const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'pw-h' },
		h('h1', { id: 'pw-h', text: 'Change password' }), info, msg, cur.wrap, neu.wrap, again.wrap, btn);
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		setError(cur, cur.input.value ? '' : 'enter the current password');
		setError(neu, check() ? '' : 'does not meet the rules marked above');
		setError(again, again.input.value === neu.input.value ? '' : 'does not match the new password');
		const bad = form.querySelector('[aria-invalid="true"]');
		if (bad) {
			bad.focus();
			return;
		}
		btn.disabled = true;
		try {
			const answer = await call('POST', '/api/password', { current: cur.input.value, new: neu.input.value });
			setSession(answer);
			go('#/', 'Password changed.');
		} catch (e) {
			msg.textContent = e.message;
			setError(cur, e.fields.current);
			setError(neu, e.rules.length ? e.rules.join('; ') : e.fields.new);
			(e.fields.current ? cur : neu).input.focus();
		} finally {
			btn.disabled = false;
		}
	});
	main.append(form);
	cur.input.focus();
}
