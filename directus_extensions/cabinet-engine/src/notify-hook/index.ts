/**
 * Change notification: after Directus saved a change to a cabinet's design, or to a file (logos and
 * media), tell the engine so it reloads. Fire and forget: the save's response never waits for the
 * engine, and a failure is only logged.
 *
 * Directus 12 event names: user collections emit `items.create|update|delete` and, for manual drag
 * sorting, `items.sort` (meta `{collection, item, to}`, action only). `directus_files` is a system
 * collection: it emits `files.create|update|delete`, and an upload emits only `files.upload`.
 */
import { defineHook } from '@directus/extensions-sdk';
import {
	CHANGED_PATH,
	DEFAULT_TIMEOUT_MS,
	FILES_COLLECTION,
	callEngine,
	isDesignCollection,
	keyList,
	loadEngineConfig,
	type EngineConfig,
	type ItemEvent,
	type Logger,
	type PrimaryKey,
} from '../shared/engine';

export interface ChangeNotice {
	event: ItemEvent;
	collection: string;
	keys: PrimaryKey[];
}

/** Posts one notice to the engine. Never throws; logs a warning when the engine did not take it. */
export async function notifyEngine(config: EngineConfig, notice: ChangeNotice, logger: Logger): Promise<boolean> {
	try {
		const result = await callEngine(config, 'POST', CHANGED_PATH, notice, DEFAULT_TIMEOUT_MS);
		if (result.kind === 'answer' && result.status >= 200 && result.status < 300) return true;
		const why =
			result.kind === 'unreachable'
				? `not reachable (${result.error})`
				: result.status === 401
					? 'refused the shared secret (CABINET_ENGINE_SECRET differs from the engine\'s)'
					: `answered HTTP ${result.status}`;
		logger.warn(
			`Cabinet engine at ${config.url} ${why}; it was not told about ${notice.event} of ` +
				`${notice.collection} ${JSON.stringify(notice.keys)} and shows the old cabinet until its next reload.`,
		);
	} catch (error) {
		logger.warn(`Cabinet engine notification failed: ${String(error)}`);
	}
	return false;
}

type Meta = Record<string, any>;

/** Keys a Directus action names: `key` after create or upload, `keys` after update or delete. */
function changedKeys(event: ItemEvent, collection: string, meta: Meta, schema: unknown): PrimaryKey[] {
	const raw = event === 'sort' ? [meta['item'], meta['to']] : meta['keys'] !== undefined ? meta['keys'] : meta['key'];
	return keyList(raw, collection, schema);
}

export default defineHook(({ action }, { env, logger }) => {
	const config = loadEngineConfig(env, logger);
	if (!config) return;

	const send = (notice: ChangeNotice): void => {
		// Not awaited: the save has already been committed and its response must not wait.
		void notifyEngine(config, notice, logger);
	};

	const designEvents: ItemEvent[] = ['create', 'update', 'delete', 'sort'];
	for (const event of designEvents) {
		action(`items.${event}`, (meta, context) => {
			const collection = meta['collection'];
			if (!isDesignCollection(collection)) return;
			send({ event, collection, keys: changedKeys(event, collection, meta, context?.schema) });
		});
	}

	const fileEvents: [string, ItemEvent][] = [
		['files.create', 'create'],
		['files.update', 'update'],
		['files.delete', 'delete'],
		// An upload writes the file's content (a new file or a replacement): the engine reloads it.
		['files.upload', 'update'],
	];
	for (const [name, event] of fileEvents) {
		action(name, (meta, context) => {
			send({ event, collection: FILES_COLLECTION, keys: changedKeys(event, FILES_COLLECTION, meta, context?.schema) });
		});
	}
});
