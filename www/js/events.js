// Slot for the Events page: filled in by its own change.
import { h } from './dom.js';

export function renderEvents(main) {
	main.append(h('h1', { text: 'Events' }));
}
