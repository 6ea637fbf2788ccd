// Slot for the CoR page: filled in by its own change.
import { h } from './dom.js';

export function renderCor(main) {
	main.append(h('h1', { text: 'CoR' }));
}
