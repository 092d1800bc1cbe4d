/**
 * Test support (not part of the bundle): a fake engine on a real HTTP server at 127.0.0.1 on a
 * free port, a logger that remembers its warnings, and a port nobody listens on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
	method: string;
	path: string;
	headers: IncomingMessage['headers'];
	body: unknown;
}

export interface EngineReply {
	status: number;
	body?: unknown;
	/** Milliseconds to wait before answering. */
	delayMs?: number;
}

export type EngineHandler = (request: RecordedRequest) => EngineReply | Promise<EngineReply>;

export interface FakeEngine {
	url: string;
	requests: RecordedRequest[];
	/** Replace how the engine answers. */
	reply: (handler: EngineHandler) => void;
	/** Wait until the engine has received `count` requests (fails after `timeoutMs`). */
	waitForRequests: (count: number, timeoutMs?: number) => Promise<RecordedRequest[]>;
	close: () => Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	const text = Buffer.concat(chunks).toString('utf8');
	if (!text) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

export async function startFakeEngine(handler: EngineHandler = () => ({ status: 200, body: { valid: true } })): Promise<FakeEngine> {
	let current = handler;
	const requests: RecordedRequest[] = [];
	const sockets = new Set<import('node:net').Socket>();

	const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
		const recorded: RecordedRequest = {
			method: req.method ?? '',
			path: req.url ?? '',
			headers: req.headers,
			body: await readBody(req),
		};
		requests.push(recorded);
		const reply = await current(recorded);
		if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
		if (res.destroyed) return;
		const payload = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
		res.writeHead(reply.status, { 'Content-Type': 'application/json' });
		res.end(payload);
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});

	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		reply: (next) => {
			current = next;
		},
		waitForRequests: async (count, timeoutMs = 2000) => {
			const started = Date.now();
			while (requests.length < count) {
				if (Date.now() - started > timeoutMs) {
					throw new Error(`fake engine got ${requests.length} requests, expected ${count}`);
				}
				await new Promise((resolve) => setTimeout(resolve, 5));
			}
			return requests;
		},
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

/** An address on 127.0.0.1 where nothing listens (a server is opened and closed to find one). */
export async function closedEngineUrl(): Promise<string> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return `http://127.0.0.1:${port}`;
}

export interface MemoryLogger {
	warnings: string[];
	infos: string[];
	warn: (message: string) => void;
	info: (message: string) => void;
	waitForWarning: (timeoutMs?: number) => Promise<string>;
}

export function memoryLogger(): MemoryLogger {
	const warnings: string[] = [];
	const infos: string[] = [];
	return {
		warnings,
		infos,
		warn: (message) => {
			warnings.push(message);
		},
		info: (message) => {
			infos.push(message);
		},
		waitForWarning: async (timeoutMs = 2000) => {
			const started = Date.now();
			while (warnings.length === 0) {
				if (Date.now() - started > timeoutMs) throw new Error('no warning was logged');
				await new Promise((resolve) => setTimeout(resolve, 5));
			}
			return warnings[0] as string;
		},
	};
}

export const SECRET = 'test-secret';

export function engineEnv(url: string, secret: string = SECRET): Record<string, unknown> {
	return { CABINET_ENGINE_URL: url, CABINET_ENGINE_SECRET: secret };
}

/** Fake `filter`/`action` registration functions, as Directus hands them to a hook. */
export function fakeRegister() {
	const filters = new Map<string, (payload: any, meta: Record<string, any>, context: any) => any>();
	const actions = new Map<string, (meta: Record<string, any>, context: any) => any>();
	const register = {
		filter: (event: string, handler: any) => {
			filters.set(event, handler);
		},
		action: (event: string, handler: any) => {
			actions.set(event, handler);
		},
		init: () => undefined,
		schedule: () => undefined,
		embed: () => undefined,
	};
	return { register, filters, actions };
}

/** The context Directus hands to a hook or endpoint, with only what the bundle reads. */
export function fakeContext(env: Record<string, unknown>, logger: MemoryLogger): any {
	return { env, logger, services: {}, database: null, emitter: null, getSchema: async () => ({}) };
}

export const EVENT_CONTEXT = { database: null, schema: null, accountability: null } as any;
