// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from 'vue';
import { POLL_INTERVAL_MS } from './format';
import { locale } from './vue-i18n-stub';

const get = vi.fn();

vi.mock('@directus/extensions-sdk', () => ({
	useApi: () => ({ get }),
	definePanel: (config: unknown) => config,
}));

const { default: Panel } = await import('./panel.vue');
const { default: panelConfig } = await import('./index');

const STATUS = {
	reachable: true,
	source: 'directus',
	version: 'abc123',
	loaded_at: '2026-11-23T18:00:00+00:00',
	last_error: {
		at: '2026-11-23T17:59:00+00:00',
		issues: [
			{ path: 'screens[2].sections[0].fields[3].value', message: "unknown data source 'acount'", where: 'cabinet_fields #12 (value)' },
		],
	},
	billing: { binding: 'demo', state: 'ok', latency_ms: 12.3, checked_at: '2026-11-23T18:00:01+00:00' },
};

const settle = async () => {
	for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

describe('status panel', () => {
	let app: App | null = null;
	let root: HTMLElement;

	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
		get.mockReset();
		locale.value = 'en-US';
		root = document.createElement('div');
		document.body.appendChild(root);
	});

	afterEach(() => {
		app?.unmount();
		app = null;
		root.remove();
		vi.useRealTimers();
	});

	function mount() {
		app = createApp(Panel, { showHeader: true });
		app.mount(root);
	}

	it('is an Insights panel named "Cabinet engine status"', () => {
		expect(panelConfig).toMatchObject({ id: 'cabinet-engine-status', name: 'Cabinet engine status' });
	});

	it('shows the status it fetched from /cabinet-engine/status', async () => {
		get.mockResolvedValue({ data: STATUS });
		mount();
		await settle();

		expect(get).toHaveBeenCalledWith('/cabinet-engine/status');
		const text = root.textContent ?? '';
		expect(text).toContain('Engine reachable');
		expect(text).toContain('abc123');
		expect(text).toContain('cabinet_fields #12 (value)');
		expect(text).toContain('screens[2].sections[0].fields[3].value');
		expect(text).toContain("unknown data source 'acount'");
		expect(text).toContain('demo');
		expect(text).toContain('12 ms');
		expect(root.querySelector('[role="status"]')?.textContent).toContain('Engine reachable');
		expect(root.querySelector('time')?.getAttribute('datetime')).toBe('2026-11-23T18:00:00+00:00');
	});

	it('shows "none" without a validation error, and an unreachable engine', async () => {
		get.mockResolvedValueOnce({ data: { ...STATUS, last_error: null } });
		mount();
		await settle();
		expect(root.textContent).toContain('Last validation error');
		expect(root.textContent).toMatch(/Last validation error\s*none/);

		get.mockResolvedValueOnce({ data: { reachable: false, error: 'The cabinet engine at http://e is not reachable' } });
		vi.advanceTimersByTime(POLL_INTERVAL_MS);
		await settle();
		expect(root.textContent).toContain('Engine not reachable');
		expect(root.textContent).toContain('The cabinet engine at http://e is not reachable');
	});

	it('asks again every 10 seconds and stops when removed', async () => {
		get.mockResolvedValue({ data: STATUS });
		mount();
		await settle();
		expect(get).toHaveBeenCalledTimes(1);

		vi.advanceTimersByTime(POLL_INTERVAL_MS);
		await settle();
		expect(get).toHaveBeenCalledTimes(2);

		app!.unmount();
		app = null;
		vi.advanceTimersByTime(3 * POLL_INTERVAL_MS);
		await settle();
		expect(get).toHaveBeenCalledTimes(2);
		expect(POLL_INTERVAL_MS).toBe(10_000);
	});

	it('says why it could not load', async () => {
		get.mockRejectedValue({ response: { status: 403 } });
		mount();
		await settle();
		expect(root.querySelector('[role="alert"]')?.textContent).toBe('Sign in to Directus to see the engine status');
	});

	it('follows the app language', async () => {
		locale.value = 'ru-RU';
		get.mockResolvedValue({ data: STATUS });
		mount();
		await settle();
		expect(root.textContent).toContain('Движок доступен');
	});
});
