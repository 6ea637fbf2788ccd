// Change password. At first login (must_change) this is the only page the
// router lets through. The policy is listed under the field and each rule
// turns met or unmet as you type; the server's verdict (including "not one
// of the last 4 passwords", which only it can know) appears by the field.
// An administrator's password may expire (password-expiry-days): the page
// says when, and why a change is forced when it has expired.
import { h, field, setError, alertBox, fmtTime, focusInvalid } from './dom.js';
import { call, current, setSession } from './api.js';
import { passwordRules } from './rules.js';

// Lists the policy under a password field and marks each rule met or unmet
// as you type; returns a function telling whether all are met. userOf gives
// the account name (the "not the user name" rule).
export function attachRules(f, userOf) {
	const list = h('ul', { class: 'rules', id: `${f.input.id}-rules`, 'aria-label': 'Password rules' });
	f.wrap.insertBefore(list, f.err);
	f.input.setAttribute('aria-describedby', `${list.id} ${f.err.id}`);
	const check = () => {
		const pw = f.input.value;
		const rules = passwordRules(userOf());
		list.replaceChildren(...rules.map(([text, test]) =>
			h('li', { class: pw === '' ? '' : (test(pw) ? 'met' : 'unmet'), text })));
		return rules.every(([, test]) => test(pw));
	};
	f.input.addEventListener('input', check);
	check();
	return check;
}

export function renderPassword(main, { go }) {
	const s = current();
	const cur = field('current', 'Current password', { type: 'password', autocomplete: 'current-password' });
	const neu = field('new', 'New password', { type: 'password', autocomplete: 'new-password' });
	const again = field('again', 'New password again', { type: 'password', autocomplete: 'new-password' });
	const check = attachRules(neu, () => s.user);
	const msg = alertBox('bad');
	const info = alertBox('info');
	if (s.must_change && s.reason === 'password expired')
		info.textContent = 'Your password has expired: choose a new one before you can use the WebAdmin.';
	else if (s.must_change)
		info.textContent = 'This password must be changed before you can use the WebAdmin.';
	else if (s.password_expires)
		info.textContent = `Your password expires on ${fmtTime(s.password_expires)}.`;
	info.id = 'pw-info';
	neu.input.addEventListener('input', () => setError(neu, ''));
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
		if (focusInvalid(form))
			return;
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
