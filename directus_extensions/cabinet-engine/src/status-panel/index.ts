import { definePanel } from '@directus/extensions-sdk';
import PanelComponent from './panel.vue';

export default definePanel({
	id: 'cabinet-engine-status',
	name: 'Cabinet engine status',
	icon: 'monitor_heart',
	description:
		'Whether the cabinet engine is reachable, its live schema version, the last validation error and the billing connection.',
	component: PanelComponent,
	options: [],
	minWidth: 12,
	minHeight: 10,
});
