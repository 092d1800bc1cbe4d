import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	callEngine,
	isDesignCollection,
	keyList,
	loadEngineConfig,
	readEngineConfig,
	resetNotConfiguredWarning,
} from './engine';
import { SECRET, closedEngineUrl, memoryLogger, startFakeEngine, type FakeEngine } from './testing';

describe('design collections', () => {
	it('are the cabinet_* collections except the two data collections', () => {
		expect(isDesignCollection('cabinet_screens')).toBe(true);
		expect(isDesignCollection('cabinet_fields')).toBe(true);
		expect(isDesignCollection('cabinet_applications')).toBe(false);
		expect(isDesignCollection('cabinet_support_requests')).toBe(false);
		expect(isDesignCollection('cabinets')).toBe(false);
		expect(isDesignCollection('directus_files')).toBe(false);
		expect(isDesignCollection(undefined)).toBe(false);
	});
});

describe('configuration', () => {
	beforeEach(() => resetNotConfiguredWarning());

	it('reads the address without trailing slashes', () => {
		expect(readEngineConfig({ CABINET_ENGINE_URL: 'http://127.0.0.1:8000/', CABINET_ENGINE_SECRET: 's' })).toEqual({
			url: 'http://127.0.0.1:8000',
			secret: 's',
		});
	});

	it('undoes the casting Directus applies to environment values', () => {
		// Directus turns "123456" into a number and "a,b" into an array.
		expect(readEngineConfig({ CABINET_ENGINE_URL: 'http://e', CABINET_ENGINE_SECRET: 123456 })?.secret).toBe('123456');
		expect(readEngineConfig({ CABINET_ENGINE_URL: 'http://e', CABINET_ENGINE_SECRET: ['a', 'b'] })?.secret).toBe('a,b');
	});

	it('is missing when either value is missing or empty', () => {
		expect(readEngineConfig({ CABINET_ENGINE_URL: 'http://e' })).toBeNull();
		expect(readEngineConfig({ CABINET_ENGINE_SECRET: 's' })).toBeNull();
		expect(readEngineConfig({ CABINET_ENGINE_URL: '', CABINET_ENGINE_SECRET: 's' })).toBeNull();
		expect(readEngineConfig(undefined)).toBeNull();
	});

	it('warns once for the whole bundle', () => {
		const logger = memoryLogger();
		expect(loadEngineConfig({}, logger)).toBeNull();
		expect(loadEngineConfig({}, logger)).toBeNull();
		expect(logger.warnings).toHaveLength(1);
		expect(loadEngineConfig({ CABINET_ENGINE_URL: 'http://e', CABINET_ENGINE_SECRET: 's' }, logger)).not.toBeNull();
		expect(logger.warnings).toHaveLength(1);
	});

	it('says once where the engine is', () => {
		const logger = memoryLogger();
		loadEngineConfig({ CABINET_ENGINE_URL: 'http://e', CABINET_ENGINE_SECRET: 's' }, logger);
		loadEngineConfig({ CABINET_ENGINE_URL: 'http://e', CABINET_ENGINE_SECRET: 's' }, logger);
		expect(logger.infos).toEqual(['Cabinet engine extension: cabinet_* changes are checked by the engine at http://e.']);
		expect(logger.warnings).toEqual([]);
	});
});

describe('keyList', () => {
	it('makes a list of primary keys', () => {
		expect(keyList(5)).toEqual([5]);
		expect(keyList(['a', 'b'])).toEqual(['a', 'b']);
		expect(keyList(undefined)).toEqual([]);
		expect(keyList([1, null, { id: 2 }])).toEqual([1]);
	});

	it('sends numeric primary keys from URLs as numbers', () => {
		const schema = {
			collections: {
				cabinet_fields: { primary: 'id', fields: { id: { type: 'integer' } } },
				cabinet_screens: { primary: 'id', fields: { id: { type: 'uuid' } } },
			},
		};
		expect(keyList(['12', 13, 'x'], 'cabinet_fields', schema)).toEqual([12, 13, 'x']);
		expect(keyList(['12'], 'cabinet_screens', schema)).toEqual(['12']);
		expect(keyList(['12'], 'cabinet_other', schema)).toEqual(['12']);
		expect(keyList(['12'], 'cabinet_fields', null)).toEqual(['12']);
		expect(keyList(['123456789012345678901'], 'cabinet_fields', schema)).toEqual(['123456789012345678901']);
	});
});

describe('callEngine', () => {
	let engine: FakeEngine;

	beforeEach(async () => {
		engine = await startFakeEngine(() => ({ status: 200, body: { ok: true } }));
	});

	afterEach(async () => {
		await engine.close();
	});

	it('sends the secret and JSON, and parses the answer', async () => {
		const result = await callEngine({ url: engine.url, secret: SECRET }, 'POST', '/x', { a: 1 }, 1000);

		expect(result).toEqual({ kind: 'answer', status: 200, body: { ok: true } });
		expect(engine.requests[0]).toMatchObject({
			method: 'POST',
			path: '/x',
			body: { a: 1 },
			headers: { 'x-cabinet-secret': SECRET, 'content-type': 'application/json' },
		});
	});

	it('sends no body with GET and keeps a non-JSON answer as text', async () => {
		engine.reply(() => ({ status: 500, body: 'Internal Server Error' }));
		const result = await callEngine({ url: engine.url, secret: SECRET }, 'GET', '/y', undefined, 1000);

		expect(result).toEqual({ kind: 'answer', status: 500, body: 'Internal Server Error' });
		expect(engine.requests[0]!.body).toBeUndefined();
	});

	it('gives up after the timeout', async () => {
		engine.reply(() => ({ status: 200, body: {}, delayMs: 1000 }));
		const started = Date.now();
		const result = await callEngine({ url: engine.url, secret: SECRET }, 'POST', '/slow', {}, 100);

		expect(result).toEqual({ kind: 'unreachable', error: 'no answer within 0.1 s' });
		expect(Date.now() - started).toBeLessThan(900);
	});

	it('reports a refused connection', async () => {
		const url = await closedEngineUrl();
		const result = await callEngine({ url, secret: SECRET }, 'GET', '/z', undefined, 1000);

		expect(result).toEqual({ kind: 'unreachable', error: `connect ECONNREFUSED ${url.replace('http://', '')}` });
	});
});
