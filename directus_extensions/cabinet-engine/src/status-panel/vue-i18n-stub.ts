/**
 * Test stand-in for vue-i18n, which the Directus app provides to panels at run time (it is not a
 * dependency of the bundle). Only `useI18n().locale` is used by the panel.
 */
import { ref } from 'vue';

export const locale = ref('en-US');

export function useI18n() {
	return { locale };
}
