import { describe, expect, it } from 'vitest';
import { describeLoadError, formatLatency, formatStatus, formatTime, pickLang } from './format';

const NOW = new Date('2026-11-23T18:05:00Z');
const OPTIONS = { now: NOW, timeZone: 'UTC' } as const;

const STATUS = {
	reachable: true,
	source: 'directus',
	version: 'abc123',
	loaded_at: '2026-11-23T18:00:00+00:00',
	last_error: null,
	billing: { binding: 'demo', state: 'ok', latency_ms: 12.3, checked_at: '2026-11-23T18:04:30+00:00' },
};

describe('formatStatus', () => {
	it('shows a reachable engine', () => {
		const view = formatStatus(STATUS, OPTIONS);

		expect(view.reachable).toBe(true);
		expect(view.headline).toBe('Engine reachable');
		expect(view.error).toBeNull();
		expect(view.version).toBe('abc123');
		expect(view.loadedAt).toEqual({ iso: '2026-11-23T18:00:00+00:00', text: '23 Nov 2026, 18:00:00 (5 minutes ago)' });
		expect(view.lastError).toBeNull();
		expect(view.billing).toEqual({
			binding: 'demo',
			state: 'ok',
			ok: true,
			latency: '12 ms',
			checkedAt: { iso: '2026-11-23T18:04:30+00:00', text: '23 Nov 2026, 18:04:30 (30 seconds ago)' },
		});
	});

	it('lists the issues of the last validation error', () => {
		const view = formatStatus(
			{
				...STATUS,
				last_error: {
					at: '2026-11-23T17:05:00+00:00',
					issues: [
						{ path: 'screens[2].sections[0].fields[3].value', message: "unknown data source 'acount'", where: 'cabinet_fields #12 (value)' },
						'plain text issue',
					],
				},
				billing: { binding: 'demo', state: 'down', latency_ms: null },
			},
			OPTIONS,
		);

		expect(view.lastError?.at?.text).toBe('23 Nov 2026, 17:05:00 (1 hour ago)');
		expect(view.lastError?.issues).toEqual([
			{ where: 'cabinet_fields #12 (value)', path: 'screens[2].sections[0].fields[3].value', message: "unknown data source 'acount'" },
			{ where: '', path: '', message: 'plain text issue' },
		]);
		expect(view.lastError?.more).toBeNull();
		expect(view.billing).toMatchObject({ state: 'down', ok: false, latency: '', checkedAt: null });
	});

	it('shows at most ten issues', () => {
		const issues = Array.from({ length: 12 }, (_, i) => ({ message: `m${i}` }));
		const view = formatStatus({ ...STATUS, last_error: { at: null, issues } }, OPTIONS);

		expect(view.lastError?.issues).toHaveLength(10);
		expect(view.lastError?.more).toBe('and 2 more');
		expect(view.lastError?.at).toBeNull();
	});

	it('shows an unreachable engine with its error', () => {
		const view = formatStatus({ reachable: false, error: 'The cabinet engine at http://e is not reachable: ECONNREFUSED.' }, OPTIONS);

		expect(view).toMatchObject({
			reachable: false,
			configured: true,
			headline: 'Engine not reachable',
			error: 'The cabinet engine at http://e is not reachable: ECONNREFUSED.',
			billing: null,
			lastError: null,
		});
	});

	it('tells a missing configuration apart', () => {
		expect(formatStatus({ reachable: false, configured: false, error: 'x' }).headline).toBe('Engine not configured');
	});

	it('survives garbage', () => {
		const view = formatStatus('nonsense', OPTIONS);
		expect(view.reachable).toBe(false);
		expect(formatStatus({ reachable: true }, OPTIONS)).toMatchObject({ version: 'unknown', loadedAt: null, billing: null });
	});

	it('speaks Russian', () => {
		const view = formatStatus(STATUS, { ...OPTIONS, lang: 'ru' });
		expect(view.headline).toBe('Движок доступен');
		expect(view.billing?.state).toBe('работает');
		expect(view.loadedAt?.text).toContain('5 минут назад');
	});
});

describe('helpers', () => {
	it('picks the language from the app locale', () => {
		expect(pickLang('ru-RU')).toBe('ru');
		expect(pickLang('en-US')).toBe('en');
		expect(pickLang('de-DE')).toBe('en');
		expect(pickLang(undefined)).toBe('en');
	});

	it('formats latency', () => {
		expect(formatLatency(12.3)).toBe('12 ms');
		expect(formatLatency(4.25)).toBe('4.3 ms');
		expect(formatLatency(1530)).toBe('1.5 s');
		expect(formatLatency(null)).toBe('');
	});

	it('keeps a time it cannot read as it is', () => {
		expect(formatTime('yesterday', OPTIONS)).toEqual({ iso: 'yesterday', text: 'yesterday' });
		expect(formatTime(null, OPTIONS)).toBeNull();
	});

	it('explains why the status could not be loaded', () => {
		expect(describeLoadError({ response: { status: 403 } })).toBe('Sign in to Directus to see the engine status');
		expect(describeLoadError({ response: { status: 404 } })).toContain('not installed');
		expect(describeLoadError({ message: 'Network Error' })).toBe('Could not load the engine status: Network Error');
		expect(
			describeLoadError({ response: { status: 500, data: { errors: [{ message: 'Boom' }] } } }, 'ru'),
		).toBe('Не удалось получить состояние движка: Boom');
	});
});
