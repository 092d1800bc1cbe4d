import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetNotConfiguredWarning } from '../shared/engine';
import {
	SECRET,
	closedEngineUrl,
	engineEnv,
	fakeContext,
	memoryLogger,
	startFakeEngine,
	type FakeEngine,
} from '../shared/testing';
import endpoint, { ENDPOINT_ID } from './index';

const STATUS = {
	source: 'directus',
	version: 'abc123',
	loaded_at: '2026-11-23T18:00:00+00:00',
	last_error: null,
	billing: { binding: 'demo', state: 'ok', latency_ms: 12.3, checked_at: '2026-11-23T18:00:05+00:00' },
};

type Handler = (req: any, res: any) => Promise<void> | void;

function mount(env: Record<string, unknown>) {
	const routes = new Map<string, Handler>();
	const router = {
		get: (path: string, handler: Handler) => routes.set(`GET ${path}`, handler),
	};
	const logger = memoryLogger();
	if (typeof endpoint === 'function') throw new Error('the endpoint must be an object with an id');
	endpoint.handler(router as any, fakeContext(env, logger));
	return { routes, logger };
}

function fakeResponse() {
	const res = {
		statusCode: 0,
		body: undefined as any,
		headers: {} as Record<string, string>,
		status(code: number) {
			res.statusCode = code;
			return res;
		},
		json(body: unknown) {
			res.body = body;
			return res;
		},
		set(field: string, value: string) {
			res.headers[field] = value;
			return res;
		},
	};
	return res;
}

async function getStatus(env: Record<string, unknown>, accountability: unknown) {
	const { routes } = mount(env);
	const res = fakeResponse();
	await routes.get('GET /status')!({ accountability }, res);
	return res;
}

const SIGNED_IN = { user: '6a1c0d4e-0000-4000-8000-000000000001', role: null, admin: false };

describe('status endpoint', () => {
	let engine: FakeEngine;

	beforeEach(async () => {
		resetNotConfiguredWarning();
		engine = await startFakeEngine(() => ({ status: 200, body: STATUS }));
	});

	afterEach(async () => {
		await engine.close();
	});

	it('is mounted at /cabinet-engine/status and /cabinet-engine/preview/…', () => {
		expect(ENDPOINT_ID).toBe('cabinet-engine');
		expect(typeof endpoint === 'object' && endpoint.id).toBe('cabinet-engine');
		expect([...mount(engineEnv(engine.url)).routes.keys()]).toEqual(['GET /preview/:collection/:item', 'GET /status']);
	});

	it('sends a signed-in user to the engine preview with a token, and nobody else', async () => {
		const { routes } = mount(engineEnv(engine.url));
		const preview = routes.get('GET /preview/:collection/:item')!;
		const redirected: { status?: number; location?: string } = {};
		const res = { ...fakeResponse(), redirect(status: number, location: string) { redirected.status = status; redirected.location = location; } };
		await preview({ accountability: { user: 'u1' }, params: { collection: 'cabinet_screens', item: 'home' } }, res);
		expect(redirected.status).toBe(302);
		expect(redirected.location).toMatch(new RegExp(`^${engine.url}/preview/cabinet_screens/home\\?token=v1\\.\\d+\\.[0-9a-f]{64}$`));

		const anonymous = fakeResponse();
		await preview({ accountability: { user: null }, params: { collection: 'cabinet_screens', item: 'home' } }, anonymous);
		expect(anonymous.statusCode).toBe(403);

		const elsewhere = fakeResponse();
		await preview({ accountability: { user: 'u1' }, params: { collection: 'directus_users', item: '1' } }, elsewhere);
		expect(elsewhere.statusCode).toBe(404);
	});

	it.each([
		['no accountability', undefined],
		['the public role', { user: null, role: null }],
	])('answers 403 for %s and does not call the engine', async (_label, accountability) => {
		const res = await getStatus(engineEnv(engine.url), accountability);

		expect(res.statusCode).toBe(403);
		expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
		expect(engine.requests).toHaveLength(0);
	});

	it("proxies the engine's status with the secret", async () => {
		const res = await getStatus(engineEnv(engine.url), SIGNED_IN);

		expect(res.statusCode).toBe(200);
		expect(res.body).toEqual({ ...STATUS, reachable: true });
		expect(res.headers['Cache-Control']).toBe('no-store');
		expect(engine.requests).toHaveLength(1);
		expect(engine.requests[0]).toMatchObject({
			method: 'GET',
			path: '/api/v1/schema/status',
			headers: { 'x-cabinet-secret': SECRET },
		});
	});

	it('reports an unreachable engine with 200', async () => {
		const url = await closedEngineUrl();
		const res = await getStatus(engineEnv(url), SIGNED_IN);

		expect(res.statusCode).toBe(200);
		expect(res.body.reachable).toBe(false);
		expect(res.body.error).toContain(`The cabinet engine at ${url} is not reachable`);
	});

	it('reports a secret mismatch', async () => {
		engine.reply(() => ({ status: 401, body: {} }));
		const res = await getStatus(engineEnv(engine.url, 'wrong'), SIGNED_IN);

		expect(res.body.reachable).toBe(false);
		expect(res.body.error).toContain('CABINET_ENGINE_SECRET');
	});

	it('reports an engine error', async () => {
		engine.reply(() => ({ status: 500, body: 'oops' }));
		const res = await getStatus(engineEnv(engine.url), SIGNED_IN);

		expect(res.body).toEqual({
			reachable: false,
			error: expect.stringContaining('unexpected answer to /api/v1/schema/status (HTTP 500)'),
		});
	});

	it('reports a missing configuration', async () => {
		const res = await getStatus({}, SIGNED_IN);

		expect(res.statusCode).toBe(200);
		expect(res.body).toMatchObject({ reachable: false, configured: false });
		expect(res.body.error).toContain('CABINET_ENGINE_URL and CABINET_ENGINE_SECRET');
	});
});
