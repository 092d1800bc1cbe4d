/**
 * GET /cabinet-engine/preview/:collection/:item — the Live Preview and the Visual Editor open this:
 * a signed-in user is sent on to the engine's preview page with a fresh signed token (the engine
 * shows previews to nobody else). CABINET_ENGINE_PUBLIC_URL, when set, is the address the
 * operator's browser reaches the engine at (default: CABINET_ENGINE_URL).
 *
 * GET /cabinet-engine/status — the engine's status for signed-in Directus users (the Insights panel
 * polls it). Proxies the engine's GET /api/v1/schema/status with the shared secret, which never
 * leaves the server. The answer is always HTTP 200 JSON once the user is signed in:
 *   engine answered:     {"reachable": true, ...the engine's JSON}
 *   engine not usable:   {"reachable": false, "error": "..."}  (plus "configured": false when unset)
 */
import { defineEndpoint } from '@directus/extensions-sdk';
import {
	DEFAULT_TIMEOUT_MS,
	NOT_CONFIGURED_MESSAGE,
	STATUS_PATH,
	callEngine,
	isRecord,
	loadEngineConfig,
	type EngineConfig,
} from '../shared/engine';
import { previewLocation } from '../shared/preview';

export const ENDPOINT_ID = 'cabinet-engine';

export type StatusAnswer = { reachable: true; [key: string]: unknown } | { reachable: false; error: string; configured?: false };

export async function fetchStatus(config: EngineConfig | null): Promise<StatusAnswer> {
	if (!config) return { reachable: false, configured: false, error: `${NOT_CONFIGURED_MESSAGE}.` };

	const result = await callEngine(config, 'GET', STATUS_PATH, undefined, DEFAULT_TIMEOUT_MS);
	if (result.kind === 'unreachable') {
		return { reachable: false, error: `The cabinet engine at ${config.url} is not reachable: ${result.error}.` };
	}
	if (result.status === 401 || result.status === 403) {
		return {
			reachable: false,
			error:
				`The cabinet engine at ${config.url} refused Directus' shared secret: ` +
				"CABINET_ENGINE_SECRET does not match the engine's.",
		};
	}
	if (result.status !== 200 || !isRecord(result.body)) {
		return {
			reachable: false,
			error: `The cabinet engine at ${config.url} gave an unexpected answer to ${STATUS_PATH} (HTTP ${result.status}).`,
		};
	}
	return { ...result.body, reachable: true };
}

interface StatusRequest {
	accountability?: { user?: string | null } | null;
	params?: Record<string, string>;
}

interface StatusResponse {
	status: (code: number) => StatusResponse;
	json: (body: unknown) => unknown;
	set?: (field: string, value: string) => unknown;
	redirect?: (status: number, location: string) => unknown;
}

function forbidden(response: StatusResponse, message: string): void {
	response.status(403).json({ errors: [{ message, extensions: { code: 'FORBIDDEN' } }] });
}

export default defineEndpoint({
	id: ENDPOINT_ID,
	handler: (router, { env, logger }) => {
		const config = loadEngineConfig(env, logger);

		router.get('/preview/:collection/:item', (req, res) => {
			const request = req as unknown as StatusRequest;
			const response = res as unknown as StatusResponse;
			if (!request.accountability?.user) {
				forbidden(response, 'Sign in to Directus to see the preview.');
				return;
			}
			if (!config) {
				response.status(503).json({ errors: [{ message: `${NOT_CONFIGURED_MESSAGE}.` }] });
				return;
			}
			const publicUrl = typeof env['CABINET_ENGINE_PUBLIC_URL'] === 'string' ? env['CABINET_ENGINE_PUBLIC_URL'] : undefined;
			const location = previewLocation(
				config,
				publicUrl,
				request.params?.['collection'] ?? '',
				request.params?.['item'] ?? '',
				Date.now() / 1000,
			);
			if (!location) {
				response.status(404).json({ errors: [{ message: 'Nothing of the cabinet to preview here.' }] });
				return;
			}
			response.set?.('Cache-Control', 'no-store');
			response.redirect?.(302, location);
		});

		router.get('/status', async (req, res) => {
			const request = req as unknown as StatusRequest;
			const response = res as unknown as StatusResponse;
			if (!request.accountability?.user) {
				forbidden(response, "Sign in to Directus to see the cabinet engine's status.");
				return;
			}
			const answer = await fetchStatus(config);
			response.set?.('Cache-Control', 'no-store');
			response.status(200).json(answer);
		});
	},
});
