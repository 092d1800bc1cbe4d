import { isDirectusError } from '@directus/errors';
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
import hook, { MAX_LISTED_ISSUES, describeIssue, refusalReason } from './index';

const ISSUE = {
	path: 'screens[2].sections[0].fields[3].value',
	message: "unknown data source 'acount'",
	where: 'cabinet_fields #12 (value)',
};

function registerWith(env: Record<string, unknown>) {
	const logger = memoryLogger();
	const { register, filters } = fakeRegister();
	hook(register as any, fakeContext(env, logger));
	return { filters, logger };
}

async function caught(promise: Promise<unknown>): Promise<any> {
	try {
		await promise;
	} catch (error) {
		return error;
	}
	throw new Error('expected the filter to throw');
}

describe('validate hook', () => {
	let engine: FakeEngine;

	beforeEach(async () => {
		resetNotConfiguredWarning();
		engine = await startFakeEngine();
	});

	afterEach(async () => {
		await engine.close();
	});

	it('registers the create, update and delete filters', () => {
		const { filters } = registerWith(engineEnv(engine.url));
		expect([...filters.keys()].sort()).toEqual(['items.create', 'items.delete', 'items.update']);
	});

	it('returns the payload unchanged when the engine finds it valid', async () => {
		engine.reply(() => ({ status: 200, body: { valid: true, version: 'abc' } }));
		const { filters } = registerWith(engineEnv(engine.url));
		const payload = { title: 'Balance', screen: 3 };

		const result = await filters.get('items.create')!(payload, { collection: 'cabinet_sections' }, EVENT_CONTEXT);

		expect(result).toBe(payload);
		expect(engine.requests).toHaveLength(1);
		const [request] = engine.requests;
		expect(request!.method).toBe('POST');
		expect(request!.path).toBe('/api/v1/schema/validate');
		expect(request!.headers['x-cabinet-secret']).toBe(SECRET);
		expect(request!.headers['content-type']).toBe('application/json');
		expect(request!.body).toEqual({ event: 'create', collection: 'cabinet_sections', keys: [], payload });
	});

	it('sends the keys of an update', async () => {
		const { filters } = registerWith(engineEnv(engine.url));
		const payload = { label: 'Account' };

		const result = await filters.get('items.update')!(
			payload,
			{ collection: 'cabinet_fields', keys: [12, 13] },
			EVENT_CONTEXT,
		);

		expect(result).toBe(payload);
		expect(engine.requests[0]!.body).toEqual({
			event: 'update',
			collection: 'cabinet_fields',
			keys: [12, 13],
			payload,
		});
	});

	it('sends keys from a URL as numbers when the primary key is numeric', async () => {
		const { filters } = registerWith(engineEnv(engine.url));
		const context = {
			...EVENT_CONTEXT,
			schema: { collections: { cabinet_fields: { primary: 'id', fields: { id: { type: 'integer' } } } } },
		};

		await filters.get('items.update')!({ label: 'x' }, { collection: 'cabinet_fields', keys: ['12'] }, context);
		await filters.get('items.delete')!(['12'], { collection: 'cabinet_fields' }, context);

		expect(engine.requests.map((request) => (request.body as any).keys)).toEqual([[12], [12]]);
	});

	it('sends the keys of a delete with a null payload and returns the keys', async () => {
		const { filters } = registerWith(engineEnv(engine.url));
		const keys = ['a1b2', 'c3d4'];

		const result = await filters.get('items.delete')!(keys, { collection: 'cabinet_screens' }, EVENT_CONTEXT);

		expect(result).toBe(keys);
		expect(engine.requests[0]!.body).toEqual({
			event: 'delete',
			collection: 'cabinet_screens',
			keys,
			payload: null,
		});
	});

	it('refuses the save with InvalidPayloadError naming where and what (422)', async () => {
		engine.reply(() => ({ status: 422, body: { valid: false, issues: [ISSUE] } }));
		const { filters } = registerWith(engineEnv(engine.url));

		const error = await caught(
			filters.get('items.update')!({ value: 'acount.balance' }, { collection: 'cabinet_fields', keys: [12] }, EVENT_CONTEXT),
		);

		expect(isDirectusError(error, 'INVALID_PAYLOAD')).toBe(true);
		expect(error.status).toBe(400);
		expect(error.message).toBe(
			"Invalid payload. The cabinet engine refused this change: cabinet_fields #12 (value): unknown data source 'acount'.",
		);
		expect(error.extensions.issues).toEqual([ISSUE]);
	});

	it('lists at most ten issues, then how many more', async () => {
		const issues = Array.from({ length: 13 }, (_, index) => ({
			path: `screens[0].title`,
			message: `problem ${index + 1}.`,
			where: `cabinet_screens #${index + 1} (title)`,
		}));
		engine.reply(() => ({ status: 422, body: { valid: false, issues } }));
		const { filters } = registerWith(engineEnv(engine.url));

		const error = await caught(filters.get('items.create')!({}, { collection: 'cabinet_screens' }, EVENT_CONTEXT));

		expect(error.message).toContain('cabinet_screens #10 (title): problem 10; and 3 more.');
		expect(error.message).not.toContain('problem 11');
		expect(error.extensions.issues).toHaveLength(13);
		expect(MAX_LISTED_ISSUES).toBe(10);
	});

	it('explains a secret mismatch (401)', async () => {
		engine.reply(() => ({ status: 401, body: { error: 'bad secret' } }));
		const { filters } = registerWith(engineEnv(engine.url, 'wrong'));

		const error = await caught(filters.get('items.create')!({}, { collection: 'cabinet_screens' }, EVENT_CONTEXT));

		expect(isDirectusError(error)).toBe(true);
		expect(error.message).toContain('CABINET_ENGINE_SECRET');
		expect(error.message).toContain('does not match');
		expect(engine.requests[0]!.headers['x-cabinet-secret']).toBe('wrong');
	});

	it('throws ServiceUnavailableError when the engine is down', async () => {
		const url = await closedEngineUrl();
		const { filters } = registerWith(engineEnv(url));

		const error = await caught(filters.get('items.create')!({}, { collection: 'cabinet_screens' }, EVENT_CONTEXT));

		expect(isDirectusError(error, 'SERVICE_UNAVAILABLE')).toBe(true);
		expect(error.status).toBe(503);
		expect(error.message).toContain(`The cabinet engine at ${url} is not reachable`);
		expect(error.message).toContain('so this change cannot be checked. Try again in a minute.');
	});

	it('throws ServiceUnavailableError when the engine fails (5xx)', async () => {
		engine.reply(() => ({ status: 502, body: 'Bad Gateway' }));
		const { filters } = registerWith(engineEnv(engine.url));

		const error = await caught(filters.get('items.delete')!([1], { collection: 'cabinet_screens' }, EVENT_CONTEXT));

		expect(isDirectusError(error, 'SERVICE_UNAVAILABLE')).toBe(true);
		expect(error.message).toContain('not reachable (it answered HTTP 502)');
	});

	it('does not let an unexpected answer through', async () => {
		engine.reply(() => ({ status: 404, body: { detail: 'Not Found' } }));
		const { filters } = registerWith(engineEnv(engine.url));

		const error = await caught(filters.get('items.create')!({}, { collection: 'cabinet_screens' }, EVENT_CONTEXT));

		expect(isDirectusError(error, 'SERVICE_UNAVAILABLE')).toBe(true);
		expect(error.message).toContain('unexpected answer (HTTP 404)');
	});

	it.each(['cabinet_applications', 'cabinet_support_requests', 'articles', 'directus_users', 'cabinets'])(
		'ignores the collection %s',
		async (collection) => {
			const { filters } = registerWith(engineEnv(engine.url));
			const payload = { a: 1 };

			expect(await filters.get('items.create')!(payload, { collection }, EVENT_CONTEXT)).toBe(payload);
			expect(await filters.get('items.update')!(payload, { collection, keys: [1] }, EVENT_CONTEXT)).toBe(payload);
			expect(await filters.get('items.delete')!([1], { collection }, EVENT_CONTEXT)).toEqual([1]);
			expect(engine.requests).toHaveLength(0);
		},
	);

	it('stays idle with one warning when the engine is not configured', () => {
		const first = registerWith({ CABINET_ENGINE_URL: engine.url });
		const second = registerWith({});

		expect(first.filters.size).toBe(0);
		expect(second.filters.size).toBe(0);
		expect(first.logger.warnings).toHaveLength(1);
		expect(first.logger.warnings[0]).toContain('CABINET_ENGINE_URL and CABINET_ENGINE_SECRET');
		expect(second.logger.warnings).toHaveLength(0);
	});
});

describe('refusal texts', () => {
	it('prefers where, falls back to path, then to the message alone', () => {
		expect(describeIssue(ISSUE)).toBe("cabinet_fields #12 (value): unknown data source 'acount'");
		expect(describeIssue({ path: 'screens[0]', message: 'no title.' })).toBe('screens[0]: no title');
		expect(describeIssue({ message: 'broken' })).toBe('broken');
	});

	it('has a reason even without issues', () => {
		expect(refusalReason([])).toBe('The cabinet engine refused this change without naming a reason');
	});
});
