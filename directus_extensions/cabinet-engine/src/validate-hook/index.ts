/**
 * Validation hook: before Directus saves a change to a cabinet's design (any `cabinet_*` collection
 * except the two data collections the engine writes), the engine checks it. A refusal becomes
 * Directus' `InvalidPayloadError` (HTTP 400), whose message the Data Studio shows to the editor.
 *
 * Directus 12 emits filters `items.create`, `items.update` and `items.delete` for user collections.
 * Manual drag sorting (`POST /utils/sort`) emits only the action `items.sort`, so it cannot be
 * checked beforehand; the notify hook reports it to the engine after the fact.
 */
import { InvalidPayloadError, ServiceUnavailableError } from '@directus/errors';
import { defineHook } from '@directus/extensions-sdk';
import {
	ENGINE_SERVICE,
	VALIDATE_PATH,
	VALIDATE_TIMEOUT_MS,
	callEngine,
	isDesignCollection,
	isRecord,
	keyList,
	loadEngineConfig,
	type EngineConfig,
	type PrimaryKey,
} from '../shared/engine';

export const MAX_LISTED_ISSUES = 10;

export interface EngineIssue {
	path?: string;
	message?: string;
	where?: string;
}

type ValidatedEvent = 'create' | 'update' | 'delete';

function withoutFinalStop(text: string): string {
	return text.trim().replace(/[.\s]+$/, '');
}

/** One issue as an editor reads it: "<where, else path>: <message>". */
export function describeIssue(issue: unknown): string {
	if (!isRecord(issue)) return withoutFinalStop(String(issue));
	const place = [issue['where'], issue['path']].find((value) => typeof value === 'string' && value.trim());
	const message = typeof issue['message'] === 'string' && issue['message'].trim() ? issue['message'] : 'invalid';
	return place ? `${withoutFinalStop(place as string)}: ${withoutFinalStop(message)}` : withoutFinalStop(message);
}

/**
 * The reason put in `InvalidPayloadError` (Directus shows it as "Invalid payload. <reason>.").
 * At most MAX_LISTED_ISSUES issues are listed, then "and N more".
 */
export function refusalReason(issues: unknown): string {
	const list = Array.isArray(issues) ? issues : [];
	if (list.length === 0) return 'The cabinet engine refused this change without naming a reason';
	const shown = list.slice(0, MAX_LISTED_ISSUES).map(describeIssue);
	const rest = list.length - shown.length;
	if (rest > 0) shown.push(`and ${rest} more`);
	return `The cabinet engine refused this change: ${shown.join('; ')}`;
}

export function unreachableReason(config: EngineConfig, detail?: string): string {
	const why = detail ? ` (${withoutFinalStop(detail)})` : '';
	return `The cabinet engine at ${config.url} is not reachable${why}, so this change cannot be checked. Try again in a minute`;
}

export function secretMismatchReason(config: EngineConfig): string {
	return (
		`The cabinet engine at ${config.url} refused Directus' shared secret: ` +
		`CABINET_ENGINE_SECRET in Directus' environment does not match the engine's, so this change cannot be checked. ` +
		'Ask the administrator to set the same secret on both sides'
	);
}

/**
 * Asks the engine about one change. Resolves when the engine accepts it; throws a Directus error
 * (which rejects the save) otherwise.
 */
export async function validateChange(
	config: EngineConfig,
	event: ValidatedEvent,
	collection: string,
	keys: PrimaryKey[],
	payload: unknown,
): Promise<void> {
	const result = await callEngine(
		config,
		'POST',
		VALIDATE_PATH,
		{ event, collection, keys, payload: event === 'delete' ? null : payload },
		VALIDATE_TIMEOUT_MS,
	);

	if (result.kind === 'unreachable') {
		throw new ServiceUnavailableError({ service: ENGINE_SERVICE, reason: unreachableReason(config, result.error) });
	}

	const { status, body } = result;
	const valid = isRecord(body) ? body['valid'] : undefined;

	if (status === 200 && valid === true) return;

	if ((status === 422 || status === 200) && valid === false) {
		const issues = isRecord(body) && Array.isArray(body['issues']) ? body['issues'] : [];
		// The full list travels in the error's extensions for API clients; the message lists ten.
		const extensions = { reason: refusalReason(issues), issues };
		throw new InvalidPayloadError(extensions);
	}

	if (status === 422) {
		throw new InvalidPayloadError({ reason: refusalReason([]) });
	}

	if (status === 401 || status === 403) {
		throw new ServiceUnavailableError({ service: ENGINE_SERVICE, reason: secretMismatchReason(config) });
	}

	if (status >= 500) {
		throw new ServiceUnavailableError({
			service: ENGINE_SERVICE,
			reason: unreachableReason(config, `it answered HTTP ${status}`),
		});
	}

	throw new ServiceUnavailableError({
		service: ENGINE_SERVICE,
		reason:
			`The cabinet engine at ${config.url} gave an unexpected answer (HTTP ${status}) to ${VALIDATE_PATH}, ` +
			'so this change cannot be checked. Check that CABINET_ENGINE_URL points at the engine',
	});
}

export default defineHook(({ filter }, { env, logger }) => {
	const config = loadEngineConfig(env, logger);
	if (!config) return;

	filter('items.create', async (payload, meta) => {
		if (isDesignCollection(meta['collection'])) {
			await validateChange(config, 'create', meta['collection'], [], payload);
		}
		return payload;
	});

	filter('items.update', async (payload, meta, context) => {
		const collection = meta['collection'];
		if (isDesignCollection(collection)) {
			const keys = keyList(meta['keys'], collection, context?.schema);
			await validateChange(config, 'update', collection, keys, payload);
		}
		return payload;
	});

	// For deletes Directus hands the filter the list of primary keys as its payload.
	filter('items.delete', async (keys, meta, context) => {
		const collection = meta['collection'];
		if (isDesignCollection(collection)) {
			await validateChange(config, 'delete', collection, keyList(keys, collection, context?.schema), null);
		}
		return keys;
	});
});
