// Slot for the Certificates page: filled in by its own change.
import { h } from './dom.js';

export function renderCertificates(main) {
	main.append(h('h1', { text: 'Certificates' }));
}
