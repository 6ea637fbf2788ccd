// Slot for the Security page: filled in by its own change.
import { h } from './dom.js';

export function renderSecurity(main) {
	main.append(h('h1', { text: 'Security' }));
}
