// Slot for the Trunks page: filled in by its own change.
import { h } from './dom.js';

export function renderTrunks(main) {
	main.append(h('h1', { text: 'Trunks' }));
}

export function renderTrunkForm(main) {
	main.append(h('h1', { text: 'Trunks' }));
}
