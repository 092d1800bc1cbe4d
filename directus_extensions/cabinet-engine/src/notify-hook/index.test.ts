import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetNotConfiguredWarning } from '../shared/engine';
import {
	EVENT_CONTEXT,
	SECRET,
	closedEngineUrl,
	engineEnv,
	fakeContext,
	fakeRegister,
	memoryLogger,
	startFakeEngine,
	type FakeEngine,
} from '../shared/testing';
import hook, { notifyEngine } from './index';

function registerWith(env: Record<string, unknown>) {
	const logger = memoryLogger();
	const { register, actions } = fakeRegister();
	hook(register as any, fakeContext(env, logger));
	return { actions, logger };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('notify hook', () => {
	let engine: FakeEngine;

	beforeEach(async () => {
		resetNotConfiguredWarning();
		engine = await startFakeEngine(() => ({ status: 202, body: { ok: true } }));
	});

	afterEach(async () => {
		await engine.close();
	});

	it('listens to item and file changes', () => {
		const { actions } = registerWith(engineEnv(engine.url));
		expect([...actions.keys()].sort()).toEqual([
			'files.create',
			'files.delete',
			'files.update',
			'files.upload',
			'items.create',
			'items.delete',
			'items.sort',
			'items.update',
		]);
	});

	it('posts one notice after a create, without making the save wait', async () => {
		const { actions, logger } = registerWith(engineEnv(engine.url));

		const returned = actions.get('items.create')!(
			{ payload: { title: 'Home' }, key: 7, collection: 'cabinet_screens' },
			EVENT_CONTEXT,
		);

		// The handler returns at once (nothing to await) and the engine has not been called yet.
		expect(returned).toBeUndefined();
		expect(engine.requests).toHaveLength(0);

		await engine.waitForRequests(1);
		await pause(50);
		expect(engine.requests).toHaveLength(1);
		const [request] = engine.requests;
		expect(request!.method).toBe('POST');
		expect(request!.path).toBe('/api/v1/schema/changed');
		expect(request!.headers['x-cabinet-secret']).toBe(SECRET);
		expect(request!.headers['content-type']).toBe('application/json');
		expect(request!.body).toEqual({ event: 'create', collection: 'cabinet_screens', keys: [7] });
		expect(logger.warnings).toEqual([]);
	});

	it.each([
		['items.update', { payload: {}, keys: [1, 2], collection: 'cabinet_fields' }, { event: 'update', collection: 'cabinet_fields', keys: [1, 2] }],
		['items.delete', { payload: [3], keys: [3], collection: 'cabinet_fields' }, { event: 'delete', collection: 'cabinet_fields', keys: [3] }],
		['items.sort', { collection: 'cabinet_sections', item: 4, to: 9 }, { event: 'sort', collection: 'cabinet_sections', keys: [4, 9] }],
		['files.create', { payload: {}, key: 'f-1', collection: 'directus_files' }, { event: 'create', collection: 'directus_files', keys: ['f-1'] }],
		['files.update', { payload: {}, keys: ['f-1'], collection: 'directus_files' }, { event: 'update', collection: 'directus_files', keys: ['f-1'] }],
		['files.upload', { payload: {}, key: 'f-2', collection: 'directus_files' }, { event: 'update', collection: 'directus_files', keys: ['f-2'] }],
		['files.delete', { payload: ['f-3'], keys: ['f-3'], collection: 'directus_files' }, { event: 'delete', collection: 'directus_files', keys: ['f-3'] }],
	])('reports %s', async (event, meta, notice) => {
		const { actions } = registerWith(engineEnv(engine.url));

		actions.get(event)!(meta, EVENT_CONTEXT);

		const [request] = await engine.waitForRequests(1);
		expect(request!.body).toEqual(notice);
	});

	it('sends keys from a URL as numbers when the primary key is numeric', async () => {
		const { actions } = registerWith(engineEnv(engine.url));
		const schema = { collections: { cabinet_fields: { primary: 'id', fields: { id: { type: 'integer' } } } } };

		actions.get('items.update')!({ keys: ['12'], collection: 'cabinet_fields' }, { ...EVENT_CONTEXT, schema });

		const [request] = await engine.waitForRequests(1);
		expect(request!.body).toEqual({ event: 'update', collection: 'cabinet_fields', keys: [12] });
	});

	it.each(['cabinet_applications', 'cabinet_support_requests', 'articles', 'directus_users'])(
		'ignores changes to %s',
		async (collection) => {
			const { actions } = registerWith(engineEnv(engine.url));

			for (const event of ['items.create', 'items.update', 'items.delete', 'items.sort']) {
				actions.get(event)!({ collection, key: 1, keys: [1], item: 1, to: 2 }, EVENT_CONTEXT);
			}

			await pause(100);
			expect(engine.requests).toHaveLength(0);
		},
	);

	it('swallows an unreachable engine and logs a warning', async () => {
		const url = await closedEngineUrl();
		const { actions, logger } = registerWith(engineEnv(url));

		expect(() => actions.get('items.update')!({ keys: [5], collection: 'cabinet_screens' }, EVENT_CONTEXT)).not.toThrow();

		const warning = await logger.waitForWarning();
		expect(warning).toContain(`Cabinet engine at ${url} not reachable`);
		expect(warning).toContain('update of cabinet_screens [5]');
	});

	it('swallows an engine error and logs a warning', async () => {
		engine.reply(() => ({ status: 500, body: 'boom' }));
		const { actions, logger } = registerWith(engineEnv(engine.url));

		actions.get('items.delete')!({ keys: [5], collection: 'cabinet_screens' }, EVENT_CONTEXT);

		expect(await logger.waitForWarning()).toContain('answered HTTP 500');
	});

	it('names a secret mismatch in its warning', async () => {
		engine.reply(() => ({ status: 401, body: {} }));
		const logger = memoryLogger();

		const delivered = await notifyEngine(
			{ url: engine.url, secret: 'wrong' },
			{ event: 'create', collection: 'cabinet_screens', keys: [1] },
			logger,
		);

		expect(delivered).toBe(false);
		expect(logger.warnings[0]).toContain('CABINET_ENGINE_SECRET');
	});

	it('stays idle when the engine is not configured', async () => {
		const { actions, logger } = registerWith({ CABINET_ENGINE_SECRET: SECRET });
		expect(actions.size).toBe(0);
		expect(logger.warnings).toHaveLength(1);
	});
});
