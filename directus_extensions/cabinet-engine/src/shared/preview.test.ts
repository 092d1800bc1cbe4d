import { describe, expect, it } from 'vitest';
import { previewLocation, previewToken } from './preview';

const config = { url: 'http://127.0.0.1:8000/', secret: 'preview-secret-for-tests-000000' };

describe('preview tokens', () => {
	it('signs exactly as the engine checks (engine.web.preview.make_token)', () => {
		// make_token('preview-secret-for-tests-000000', seconds=3600, now=1000) in the engine
		expect(previewToken(config.secret, 1000, 3600)).toBe(
			'v1.4600.a1981cd65ad9a8a1ea25282554958dbfab821a6c28b3c4945342e14a5f8fb047',
		);
	});

	it('sends the preview of an item to the engine with a token', () => {
		const location = previewLocation(config, undefined, 'cabinet_screens', 'home', 1000);
		expect(location).toBe(`http://127.0.0.1:8000/preview/cabinet_screens/home?token=${previewToken(config.secret, 1000)}`);
		expect(previewLocation(config, 'https://lk.example.ru', 'cabinet_news', 'fiber-2026', 1000)).toMatch(
			/^https:\/\/lk\.example\.ru\/preview\/cabinet_news\/fiber-2026\?token=v1\.4600\./,
		);
	});

	it('refuses what is not an item of the cabinet', () => {
		expect(previewLocation(config, undefined, 'directus_users', '1', 1000)).toBeNull();
		expect(previewLocation(config, undefined, 'cabinet_screens', '../admin', 1000)).toBeNull();
		expect(previewLocation(config, undefined, 'cabinet_screens', 'a?b=c', 1000)).toBeNull();
	});
});
