// Slot for the Profiles page: filled in by its own change.
import { h } from './dom.js';

export function renderProfiles(main) {
	main.append(h('h1', { text: 'Profiles' }));
}

export function renderProfileForm(main) {
	main.append(h('h1', { text: 'Profiles' }));
}
