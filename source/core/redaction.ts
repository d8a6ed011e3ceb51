import {REDACTED_MARKER, SECRET_JSON_KEY, type TableSpec} from './store/schema.js';

export type Row = Record<string, unknown>;

/**
 * Returns a copy of a row safe to put in a backup: `redact` columns replaced by the marker,
 * `encrypt` columns handed to `sealSecret` (which puts them in the encrypted block) and replaced
 * by a pointer. Null stays null so restore can tell "had no secret" from "secret redacted".
 */
export function redactRow(table: TableSpec, row: Row, sealSecret: (column: string, id: string, value: unknown) => string): Row {
	let copy: Row | undefined;
	for (const column of table.columns) {
		if (column.scrub && typeof row[column.name] === 'string') {
			const scrubbed = scrubColumnValue(row[column.name] as string);
			if (scrubbed !== row[column.name]) {
				copy ??= {...row};
				copy[column.name] = scrubbed;
			}
			continue;
		}
		if (!column.secret) continue;
		const value = row[column.name];
		if (value === null || value === undefined) continue;
		copy ??= {...row};
		copy[column.name] = column.secret === 'redact' ? REDACTED_MARKER : sealSecret(column.name, String(row['id']), value);
	}
	return copy ?? row;
}

/**
 * Credentials that show up inside ordinary-looking strings, whatever the key: passwords in URLs,
 * bearer tokens, token query parameters, JWTs and well-known API key formats.
 */
const VALUE_PATTERNS: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
	[/\b([a-z][a-z0-9+.-]*:\/\/)([^:@\/\s]+):([^@\/\s]+)@/gi, (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED_MARKER}@`],
	[/\b((?:Proxy-)?Authorization["']?\s*[:=]\s*["']?)(?!(?:[A-Za-z]+\s+)?\[REDACTED)([A-Za-z]+\s+)?[^\s"',;]+/gi, (_match, header: string, scheme = '') => `${header}${scheme}${REDACTED_MARKER}`],
	[/\bBearer\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{16,}/g, () => `Bearer ${REDACTED_MARKER}`],
	[/([?&;](?:access_token|refresh_token|id_token|token|api_key|apikey|key|sig|signature|secret|password|pwd|code)=)(?!\[REDACTED)[^&\s#;]+/gi, (_match, name: string) => `${name}${REDACTED_MARKER}`],
	[/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, () => REDACTED_MARKER],
	[/\b(?:sk-(?:ant-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|glpat-[A-Za-z0-9_-]{20,})/g, () => REDACTED_MARKER],
];

/**
 * Redacts credentials embedded in free text; returns the text unchanged when there are none.
 * Idempotent (scrubbing scrubbed text changes nothing), so restore can compare a live value
 * scrubbed the same way against the backup's.
 */
export function scrubText(text: string): string {
	let out = text;
	for (const [pattern, replace] of VALUE_PATTERNS) out = out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
	return out;
}

/**
 * Redacts a parsed JSON document: every value under a secret-looking key at any depth (strings
 * inside a secret object or array too; numbers when the key itself is secret), and credentials
 * embedded in any other string. Returns the dotted paths that were changed.
 */
export function redactJson(value: unknown): {value: unknown; redacted: string[]} {
	const redacted: string[] = [];
	const walk = (node: unknown, trail: string, inSecret: boolean, ownKeySecret: boolean): unknown => {
		if (Array.isArray(node)) return node.map((item, index) => walk(item, `${trail}[${index}]`, inSecret, false));
		if (node && typeof node === 'object') {
			const out: Record<string, unknown> = {};
			for (const [key, child] of Object.entries(node)) {
				const secretKey = SECRET_JSON_KEY.test(key);
				out[key] = walk(child, trail ? `${trail}.${key}` : key, inSecret || secretKey, secretKey);
			}
			return out;
		}
		if (typeof node === 'string' && node.length > 0) {
			if (inSecret) {
				redacted.push(trail);
				return REDACTED_MARKER;
			}
			const scrubbed = scrubText(node);
			if (scrubbed !== node) redacted.push(trail);
			return scrubbed;
		}
		if (typeof node === 'number' && ownKeySecret) {
			redacted.push(trail);
			return REDACTED_MARKER;
		}
		return node;
	};
	return {value: walk(value, '', false, false), redacted};
}

/**
 * A `scrub` column's value as it goes into a backup: JSON documents are redacted like config files
 * (re-serialized only when something was redacted, so clean values stay byte-identical), other
 * text has embedded credentials scrubbed.
 */
export function scrubColumnValue(text: string): string {
	const trimmed = text.trimStart();
	if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
		try {
			const result = redactJson(JSON.parse(text));
			return result.redacted.length > 0 ? JSON.stringify(result.value) : text;
		} catch {
			// Not JSON after all: treat as text.
		}
	}
	return scrubText(text);
}

export function isRedacted(value: unknown): boolean {
	return value === REDACTED_MARKER;
}
