/**
 * Preview tokens: the engine's preview pages open only with a signed, expiring token, which this
 * extension hands to signed-in Directus users. Format (the engine checks the same):
 *   v1.<expires, unix seconds>.<hex HMAC-SHA256 of "preview:<expires>" with the shared secret>
 */
import { createHmac } from 'node:crypto';
import type { EngineConfig } from './engine';

export const PREVIEW_SECONDS = 3600;
const COLLECTION = /^cabinet_[a-z_]+$/;
const ITEM = /^[A-Za-z0-9_-]{1,64}$/;

export function previewToken(secret: string, nowSeconds: number, seconds: number = PREVIEW_SECONDS): string {
	const expires = Math.floor(nowSeconds + seconds);
	const signature = createHmac('sha256', secret).update(`preview:${expires}`).digest('hex');
	return `v1.${expires}.${signature}`;
}

/**
 * Where the preview of an item opens: the engine's page for it, with a fresh token; null for what
 * is not an item of the cabinet (the address is built from checked parts only).
 */
export function previewLocation(
	config: EngineConfig,
	publicUrl: string | undefined,
	collection: string,
	item: string,
	nowSeconds: number,
): string | null {
	if (!COLLECTION.test(collection) || !ITEM.test(item)) return null;
	const base = (publicUrl || config.url).replace(/\/+$/, '');
	const token = previewToken(config.secret, nowSeconds);
	return `${base}/preview/${collection}/${encodeURIComponent(item)}?token=${encodeURIComponent(token)}`;
}
