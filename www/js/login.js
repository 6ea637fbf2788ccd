// The login page. The server gives one answer for an unknown user, a wrong
// password and a locked account; this page shows it as given, and the
// 429 of a blocked address or the 409 of a full session table likewise.
import { h, field, setError, alertBox } from './dom.js';
import { call, setSession } from './api.js';

export function renderLogin(main, { go }) {
	const user = field('user', 'User name', { autocomplete: 'username', required: true });
	const pw = field('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true });
	const msg = alertBox('bad');
	const btn = h('button', { type: 'submit', text: 'Log in' });
	const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'login-h' },
		h('h1', { id: 'login-h', text: 'Log in to Bulwark' }), msg, user.wrap, pw.wrap, btn);
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		msg.textContent = '';
		setError(user, user.input.value ? '' : 'enter the user name');
		setError(pw, pw.input.value ? '' : 'enter the password');
		if (!user.input.value || !pw.input.value)
			return;
		btn.disabled = true;
		try {
			const s = await call('POST', '/api/login', { user: user.input.value, password: pw.input.value });
			setSession(s);
			go(s.must_change ? '#/password' : '#/');
		} catch (e) {
			pw.input.value = '';
			msg.textContent = e.message;
			if (e.fields.user)
				setError(user, e.fields.user);
			pw.input.focus();
		} finally {
			btn.disabled = false;
		}
	});
	main.append(form);
	(user.input.value ? pw.input : user.input).focus();
}
