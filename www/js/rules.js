// Client copies of the server's checks (modules/webadmin/wapass.c and
// waext.c) so forms answer as you type. The server checks again and its
// answer wins: its field errors are shown next to the same fields.

export const SPECIALS = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

// Each rule: the server's own message and a test that passes when met.
export function passwordRules(user) {
	const ascii = pw => [...pw].every(c => c.charCodeAt(0) < 0x80);
	return [
		['must be 8 to 255 characters long', pw => pw.length >= 8 && pw.length <= 255],
		['must contain an upper-case letter (A-Z)', pw => /[A-Z]/.test(pw)],
		['must contain a lower-case letter (a-z)', pw => /[a-z]/.test(pw)],
		['must contain a digit (0-9)', pw => /[0-9]/.test(pw)],
		[`must contain a special character: ${SPECIALS}`, pw => [...pw].some(c => SPECIALS.includes(c))],
		['must not contain letters with diacritics or other non-ASCII characters', ascii],
		['must not contain spaces or control characters',
			pw => ![...pw].some(c => c.charCodeAt(0) < 0x21 || c.charCodeAt(0) === 0x7f)],
		['must not be "password"', pw => pw.toLowerCase() !== 'password'],
		['must not be the user name', pw => !user || pw.toLowerCase() !== user.toLowerCase()],
	];
}

const chars = (s, max, extra) => s.length >= 1 && s.length <= max &&
	[...s].every(c => /[A-Za-z0-9]/.test(c) || extra.includes(c));

// Extension fields: '' means "not set" for the optional ones.
export const extChecks = {
	number: v => /^[0-9]{1,32}$/.test(v) ? '' : 'the number is 1-32 digits',
	name: v => new TextEncoder().encode(v).length <= 128 && !/[\u0000-\u001f\u007f-\u009f]/.test(v)
		? '' : 'at most 128 bytes of UTF-8 without control characters',
	sip_user: v => v === '' || chars(v, 64, "-.!%*_+`'~") ? '' : "1-64 of A-Z a-z 0-9 - . ! % * _ + ` ' ~",
	secret: v => v === '' || (v.length <= 255 && !/[\u0000-\u001f\u007f]/.test(v))
		? '' : '1-255 characters without control characters',
	cor: v => v === '' || chars(v, 64, '-_.') ? '' : '1-64 of A-Z a-z 0-9 - _ .',
	cos: v => v === '' || chars(v, 64, '-_.') ? '' : '1-64 of A-Z a-z 0-9 - _ .',
	srtp: v => ['', 'mandatory', 'optional', 'off'].includes(v) ? '' : 'one of mandatory, optional, off',
	max_contacts: v => v === '' || (/^[0-9]{1,2}$/.test(v) && +v >= 1 && +v <= 20)
		? '' : 'must be a whole number from 1 to 20',
};
