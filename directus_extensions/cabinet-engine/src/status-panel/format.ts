/**
 * Turns the answer of GET /cabinet-engine/status into what the panel shows. Plain TypeScript (no
 * Vue), so it is tested on its own. Texts in English and Russian; the app's language picks one.
 */

export type Lang = 'en' | 'ru';

/** How often the panel asks for the status, in milliseconds. */
export const POLL_INTERVAL_MS = 10_000;

export interface Texts {
	loading: string;
	reachable: string;
	unreachable: string;
	notConfigured: string;
	version: string;
	loadedAt: string;
	lastError: string;
	none: string;
	unknown: string;
	billing: string;
	binding: string;
	state: string;
	latency: string;
	stateOk: string;
	stateDown: string;
	loadFailed: string;
	forbidden: string;
	notInstalled: string;
	checkedAt: string;
	moreIssues: (count: number) => string;
}

export const TEXTS: Record<Lang, Texts> = {
	en: {
		loading: 'Loading the engine status…',
		reachable: 'Engine reachable',
		unreachable: 'Engine not reachable',
		notConfigured: 'Engine not configured',
		version: 'Live schema version',
		loadedAt: 'Loaded',
		lastError: 'Last validation error',
		none: 'none',
		unknown: 'unknown',
		billing: 'Billing',
		binding: 'Binding',
		state: 'State',
		latency: 'Latency',
		stateOk: 'ok',
		stateDown: 'down',
		loadFailed: 'Could not load the engine status',
		forbidden: 'Sign in to Directus to see the engine status',
		notInstalled: 'The cabinet-engine endpoint is not installed in this Directus',
		checkedAt: 'checked',
		moreIssues: (count) => `and ${count} more`,
	},
	ru: {
		loading: 'Загружаем состояние движка…',
		reachable: 'Движок доступен',
		unreachable: 'Движок недоступен',
		notConfigured: 'Движок не настроен',
		version: 'Версия схемы',
		loadedAt: 'Загружена',
		lastError: 'Последняя ошибка проверки',
		none: 'нет',
		unknown: 'неизвестно',
		billing: 'Биллинг',
		binding: 'Привязка',
		state: 'Состояние',
		latency: 'Задержка',
		stateOk: 'работает',
		stateDown: 'не отвечает',
		loadFailed: 'Не удалось получить состояние движка',
		forbidden: 'Войдите в Directus, чтобы увидеть состояние движка',
		notInstalled: 'Точка cabinet-engine не установлена в этом Directus',
		checkedAt: 'проверено',
		moreIssues: (count) => `и ещё ${count}`,
	},
};

/** The app's locale ("ru-RU", "en-US", ...) to one of the panel's languages. */
export function pickLang(locale: unknown): Lang {
	return typeof locale === 'string' && locale.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

export interface FormatOptions {
	lang?: Lang;
	now?: Date;
	/** IANA time zone for absolute times; the browser's when not given. */
	timeZone?: string;
}

export interface IssueView {
	where: string;
	path: string;
	message: string;
}

export interface StatusView {
	reachable: boolean;
	configured: boolean;
	headline: string;
	error: string | null;
	version: string;
	loadedAt: TimeView | null;
	lastError: { at: TimeView | null; issues: IssueView[]; more: string | null } | null;
	billing: { binding: string; state: string; ok: boolean | null; latency: string; checkedAt: TimeView | null } | null;
}

export interface TimeView {
	/** ISO text for <time datetime>. */
	iso: string;
	/** "23.11.2026, 18:00:00 (5 minutes ago)" */
	text: string;
}

/** At most this many issues of the last validation error are listed. */
export const MAX_SHOWN_ISSUES = 10;

function record(value: unknown): Record<string, unknown> | null {
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function text(value: unknown): string {
	if (typeof value === 'string') return value;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return '';
}

const INTL_LOCALE: Record<Lang, string> = { en: 'en-GB', ru: 'ru-RU' };

export function formatRelative(date: Date, now: Date, lang: Lang): string {
	const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
	const rtf = new Intl.RelativeTimeFormat(INTL_LOCALE[lang], { numeric: 'auto' });
	const abs = Math.abs(seconds);
	if (abs < 60) return rtf.format(seconds, 'second');
	if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
	if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
	return rtf.format(Math.round(seconds / 86400), 'day');
}

export function formatTime(value: unknown, options: FormatOptions = {}): TimeView | null {
	const iso = text(value);
	if (!iso) return null;
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return { iso, text: iso };
	const lang = options.lang ?? 'en';
	const absolute = new Intl.DateTimeFormat(INTL_LOCALE[lang], {
		dateStyle: 'medium',
		timeStyle: 'medium',
		timeZone: options.timeZone,
	}).format(date);
	return { iso, text: `${absolute} (${formatRelative(date, options.now ?? new Date(), lang)})` };
}

export function formatLatency(value: unknown): string {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return '';
	if (value >= 1000) return `${(value / 1000).toFixed(value >= 10000 ? 0 : 1)} s`;
	return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ms`;
}

function formatIssues(value: unknown, t: Texts): { issues: IssueView[]; more: string | null } {
	const list = Array.isArray(value) ? value : [];
	const issues = list.slice(0, MAX_SHOWN_ISSUES).map((item) => {
		const issue = record(item);
		return issue
			? { where: text(issue['where']), path: text(issue['path']), message: text(issue['message']) }
			: { where: '', path: '', message: text(item) };
	});
	const rest = list.length - issues.length;
	return { issues, more: rest > 0 ? t.moreIssues(rest) : null };
}

/** The status answer (anything: it comes over the network) as the panel's view. */
export function formatStatus(raw: unknown, options: FormatOptions = {}): StatusView {
	const lang = options.lang ?? 'en';
	const t = TEXTS[lang];
	const status = record(raw) ?? {};
	const configured = status['configured'] !== false;
	const reachable = status['reachable'] === true;
	const error = text(status['error']) || null;

	const headline = !configured ? t.notConfigured : reachable ? t.reachable : t.unreachable;

	if (!reachable) {
		return { reachable, configured, headline, error, version: '', loadedAt: null, lastError: null, billing: null };
	}

	const last = record(status['last_error']);
	const lastError = last ? { at: formatTime(last['at'], options), ...formatIssues(last['issues'], t) } : null;

	const billingRecord = record(status['billing']);
	let billing: StatusView['billing'] = null;
	if (billingRecord) {
		const state = text(billingRecord['state']);
		billing = {
			binding: text(billingRecord['binding']) || t.unknown,
			state: state === 'ok' ? t.stateOk : state === 'down' ? t.stateDown : state || t.unknown,
			ok: state === 'ok' ? true : state === 'down' ? false : null,
			latency: formatLatency(billingRecord['latency_ms']),
			checkedAt: formatTime(billingRecord['checked_at'], options),
		};
	}

	return {
		reachable,
		configured,
		headline,
		error,
		version: text(status['version']) || t.unknown,
		loadedAt: formatTime(status['loaded_at'], options),
		lastError,
		billing,
	};
}

/** Why the panel could not get the status from Directus itself (an axios error from useApi). */
export function describeLoadError(error: unknown, lang: Lang = 'en'): string {
	const t = TEXTS[lang];
	const failure = record(error);
	const response = record(failure?.['response']);
	const status = response?.['status'];
	if (status === 401 || status === 403) return t.forbidden;
	if (status === 404) return t.notInstalled;
	const data = record(response?.['data']);
	const errors = data?.['errors'];
	const first = Array.isArray(errors) ? record(errors[0]) : null;
	const detail = text(first?.['message']) || text(failure?.['message']);
	return detail ? `${t.loadFailed}: ${detail}` : t.loadFailed;
}
