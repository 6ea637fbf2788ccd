// Slot for the My phone page: filled in by its own change.
import { h } from './dom.js';

export function renderSelf(main) {
	main.append(h('h1', { text: 'My phone' }));
}
