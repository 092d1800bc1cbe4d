/**
 * Everything the API entries of the bundle share: which collections belong to a cabinet's design,
 * how the engine's address and shared secret are read from Directus' environment, and one function
 * that calls the engine (with the secret header and a timeout).
 *
 * The contract with the engine:
 *   POST {CABINET_ENGINE_URL}/api/v1/schema/validate  {event, collection, keys, payload}
 *        200 {"valid": true}  |  422 {"valid": false, "issues": [{path, message, where}]}
 *   POST {CABINET_ENGINE_URL}/api/v1/schema/changed   {event, collection, keys}
 *   GET  {CABINET_ENGINE_URL}/api/v1/schema/status
 * Every request carries `X-Cabinet-Secret: {CABINET_ENGINE_SECRET}`; 401 means the secrets differ.
 */

/** The name Directus' `ServiceUnavailableError` shows as `Service "<name>" is unavailable`. */
export const ENGINE_SERVICE = 'cabinet-engine';

export const SECRET_HEADER = 'X-Cabinet-Secret';

export const VALIDATE_TIMEOUT_MS = 5000;
export const DEFAULT_TIMEOUT_MS = 3000;

export const VALIDATE_PATH = '/api/v1/schema/validate';
export const CHANGED_PATH = '/api/v1/schema/changed';
export const STATUS_PATH = '/api/v1/schema/status';

export const DESIGN_COLLECTION_PREFIX = 'cabinet_';

/** Collections with the `cabinet_` prefix that hold data the engine writes, not a cabinet's design. */
export const DATA_COLLECTIONS: readonly string[] = ['cabinet_applications', 'cabinet_support_requests'];

/** Files (logos, media) are not validated, but the engine is told when they change. */
export const FILES_COLLECTION = 'directus_files';

export type ItemEvent = 'create' | 'update' | 'delete' | 'sort';

export type PrimaryKey = string | number;

export interface EngineConfig {
	/** Base address without a trailing slash, e.g. http://127.0.0.1:8000 */
	url: string;
	secret: string;
}

/** The part of Directus' logger (pino) the bundle uses. */
export interface Logger {
	warn: (message: string) => void;
	info?: (message: string) => void;
}

export function isDesignCollection(collection: unknown): collection is string {
	return (
		typeof collection === 'string' &&
		collection.startsWith(DESIGN_COLLECTION_PREFIX) &&
		!DATA_COLLECTIONS.includes(collection)
	);
}

/**
 * Directus casts environment values by their look: `123` becomes a number, `a,b` an array,
 * `true` a boolean, `null` null. Turn such a value back into the text the operator wrote (a secret
 * with a comma or made of digits must still work; `string:` before a value also keeps it as text).
 */
function settingText(value: unknown): string {
	if (typeof value === 'string') return value.trim();
	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
	if (Array.isArray(value)) return value.map((part) => settingText(part)).join(',');
	return '';
}

/** The engine's address and secret from Directus' environment, or null when either is missing. */
export function readEngineConfig(env: Record<string, unknown> | undefined | null): EngineConfig | null {
	const url = settingText(env?.['CABINET_ENGINE_URL']).replace(/\/+$/, '');
	const secret = settingText(env?.['CABINET_ENGINE_SECRET']);
	if (!url || !secret) return null;
	return { url, secret };
}

export const NOT_CONFIGURED_MESSAGE =
	'CABINET_ENGINE_URL and CABINET_ENGINE_SECRET must both be set in the environment of Directus';

let notConfiguredWarned = false;
let configuredLogged = false;

/**
 * Reads the configuration once per entry at start-up. When it is missing, logs one warning for the
 * whole bundle (not one per entry) and returns null: the entries then stay idle.
 */
export function loadEngineConfig(env: Record<string, unknown> | undefined | null, logger: Logger): EngineConfig | null {
	const config = readEngineConfig(env);
	if (config && !configuredLogged) {
		configuredLogged = true;
		logger.info?.(`Cabinet engine extension: cabinet_* changes are checked by the engine at ${config.url}.`);
	}
	if (!config && !notConfiguredWarned) {
		notConfiguredWarned = true;
		logger.warn(
			`Cabinet engine extension is idle: ${NOT_CONFIGURED_MESSAGE}. ` +
				'Until then changes to cabinet_* collections are saved without being checked by the engine, ' +
				'the engine is not told about changes, and /cabinet-engine/status reports "not configured".',
		);
	}
	return config;
}

/** For tests: let the next missing configuration log its warning again. */
export function resetNotConfiguredWarning(): void {
	notConfiguredWarned = false;
	configuredLogged = false;
}

export type EngineResult =
	| { kind: 'answer'; status: number; body: unknown }
	| { kind: 'unreachable'; error: string };

function describeFetchError(error: unknown, timedOut: boolean, timeoutMs: number): string {
	if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
	const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
	if (cause && typeof cause.code === 'string') {
		if (typeof cause.message !== 'string' || !cause.message) return cause.code;
		return cause.message.includes(cause.code) ? cause.message : `${cause.message} (${cause.code})`;
	}
	if (error instanceof Error && error.message) return error.message;
	return String(error);
}

/**
 * Calls the engine. Never throws: an answer of any HTTP status is `answer` (its body parsed as JSON
 * when it is JSON, else the text, or null when empty); no answer at all (refused connection, DNS,
 * timeout) is `unreachable` with a short description.
 */
export async function callEngine(
	config: EngineConfig,
	method: 'GET' | 'POST',
	path: string,
	body: unknown,
	timeoutMs: number,
): Promise<EngineResult> {
	const controller = new AbortController();
	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		controller.abort();
	}, timeoutMs);
	try {
		const response = await fetch(`${config.url}${path}`, {
			method,
			headers: {
				[SECRET_HEADER]: config.secret,
				'Content-Type': 'application/json',
				Accept: 'application/json',
			},
			body: method === 'GET' ? undefined : JSON.stringify(body ?? null),
			signal: controller.signal,
		});
		const text = await response.text();
		let parsed: unknown = null;
		if (text) {
			try {
				parsed = JSON.parse(text);
			} catch {
				parsed = text;
			}
		}
		return { kind: 'answer', status: response.status, body: parsed };
	} catch (error) {
		return { kind: 'unreachable', error: describeFetchError(error, timedOut, timeoutMs) };
	} finally {
		clearTimeout(timer);
	}
}

const NUMERIC_KEY_TYPES = ['integer', 'bigInteger'];

/**
 * Primary keys as a list: Directus gives one key, a list of keys, or nothing. Keys that come from a
 * URL (`PATCH /items/cabinet_fields/12`) reach the hooks as text ("12") while a create reports the
 * number 12; with the schema overview of the event's context, numeric keys are sent as numbers.
 */
export function keyList(value: unknown, collection?: string, schema?: unknown): PrimaryKey[] {
	const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
	const keys = items.filter((key): key is PrimaryKey => typeof key === 'string' || typeof key === 'number');
	if (!collection || !hasNumericPrimaryKey(collection, schema)) return keys;
	return keys.map((key) => {
		if (typeof key !== 'string' || !/^-?\d+$/.test(key)) return key;
		const number = Number(key);
		return Number.isSafeInteger(number) ? number : key;
	});
}

function hasNumericPrimaryKey(collection: string, schema: unknown): boolean {
	const collections = isRecord(schema) ? schema['collections'] : undefined;
	const info = isRecord(collections) ? collections[collection] : undefined;
	if (!isRecord(info) || typeof info['primary'] !== 'string') return false;
	const fields = info['fields'];
	const primary = isRecord(fields) ? fields[info['primary']] : undefined;
	return isRecord(primary) && NUMERIC_KEY_TYPES.includes(primary['type'] as string);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
