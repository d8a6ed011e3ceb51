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
		if (!column.secret) continue;
		const value = row[column.name];
		if (value === null || value === undefined) continue;
		copy ??= {...row};
		copy[column.name] = column.secret === 'redact' ? REDACTED_MARKER : sealSecret(column.name, String(row['id']), value);
	}
	return copy ?? row;
}

/**
 * Redacts secret-looking keys at any depth of a parsed JSON document. A secret key whose value is
 * an object has every string inside it redacted. Returns the dotted paths that were redacted.
 */
export function redactJson(value: unknown): {value: unknown; redacted: string[]} {
	const redacted: string[] = [];
	const walk = (node: unknown, trail: string, inSecret: boolean): unknown => {
		if (Array.isArray(node)) return node.map((item, index) => walk(item, `${trail}[${index}]`, inSecret));
		if (node && typeof node === 'object') {
			const out: Record<string, unknown> = {};
			for (const [key, child] of Object.entries(node)) {
				out[key] = walk(child, trail ? `${trail}.${key}` : key, inSecret || SECRET_JSON_KEY.test(key));
			}
			return out;
		}
		if (inSecret && typeof node === 'string' && node.length > 0) {
			redacted.push(trail);
			return REDACTED_MARKER;
		}
		return node;
	};
	return {value: walk(value, '', false), redacted};
}

export function isRedacted(value: unknown): boolean {
	return value === REDACTED_MARKER;
}
