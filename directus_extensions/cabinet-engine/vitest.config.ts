import { fileURLToPath } from 'node:url';
// The SDK pins @vitejs/plugin-vue itself (it compiles the panel with it); the tests use the same copy.
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [vue()],
	resolve: {
		alias: {
			// The Directus app provides vue-i18n to panels at run time; the tests use a stand-in.
			'vue-i18n': fileURLToPath(new URL('./src/status-panel/vue-i18n-stub.ts', import.meta.url)),
		},
	},
	test: {
		include: ['src/**/*.test.ts'],
		environment: 'node',
		testTimeout: 10_000,
	},
});
