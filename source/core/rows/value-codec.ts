/**
 * How one SQLite value travels in a backup's JSONL rows, exactly.
 *
 * A gateway's columns have a declared type, but SQLite stores whatever it is given that the
 * column's affinity does not convert: text in an INTEGER column, a BLOB anywhere, integers past
 * 2^53, infinities, text that is not valid UTF-8. A backup must carry each of those back as the
 * same storage class and bytes, so values that plain JSON would change are written as one-key
 * objects:
 *
 * - `{"$int": "123456789012345678901"}`: an INTEGER that is not a JSON-safe number here;
 * - `{"$real": 1e20}` / `{"$real": "Infinity"}`: a REAL where a plain number would read back as
 *   an integer, or that JSON cannot hold;
 * - `{"$blob": "<base64>"}`: a BLOB;
 * - `{"$text": "<base64>"}`: TEXT whose bytes are not valid UTF-8.
 *
 * Everything else is plain JSON (strings for TEXT, numbers for INTEGER and REAL columns), so a
 * backup of ordinary data reads like ordinary JSONL and older backups decode unchanged. Backup
 * (encode), restore, verify and quarantine (decode) all use this module: one definition.
 */
import type {ColumnType} from '../store/schema.js';

/** TEXT whose bytes are not valid UTF-8: kept as bytes, written back with CAST(? AS TEXT). */
export class RawText {
	constructor(readonly bytes: Buffer) {}

	toString(): string {
		return this.bytes.toString('utf8');
	}
}

/** A value as read from (and written to) SQLite, with its storage class intact. */
export type StoredValue = null | string | bigint | number | Buffer | RawText;

const MAX_INT64 = 2n ** 63n - 1n;
const MIN_INT64 = -(2n ** 63n);
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type EncodedValue = null | string | number | {$int: string} | {$real: number | string} | {$blob: string} | {$text: string};

export function encodeValue(value: StoredValue, type: ColumnType): EncodedValue {
	if (value === null || typeof value === 'string') return value;
	if (typeof value === 'bigint') {
		return type === 'INTEGER' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : {$int: value.toString()};
	}
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) return {$real: String(value)};
		// A plain number reads back as the column's own class: REAL in a REAL column, and in an
		// INTEGER column an integer unless it has a fraction.
		if (type === 'REAL' || (type === 'INTEGER' && !Number.isInteger(value))) return value;
		return {$real: value};
	}
	if (value instanceof RawText) return {$text: value.bytes.toString('base64')};
	return {$blob: value.toString('base64')};
}

/**
 * Decodes one JSON value for a column, or returns a sentence saying why it cannot be one. Plain
 * numbers in TEXT columns are refused (SQLite would have stored them as text).
 */
export function decodeValue(json: unknown, type: ColumnType): StoredValue | {problem: string} {
	if (json === null || typeof json === 'string') return json;
	if (typeof json === 'number') {
		if (!Number.isFinite(json)) return {problem: 'is not a finite number'};
		if (type === 'TEXT') return {problem: 'should be text'};
		if (type === 'INTEGER' && Number.isInteger(json)) return BigInt(json);
		return json;
	}
	if (typeof json !== 'object' || Array.isArray(json)) return {problem: 'has an unsupported value'};
	const keys = Object.keys(json);
	if (keys.length !== 1) return {problem: 'has an unsupported value'};
	const tag = keys[0]!;
	const payload = (json as Record<string, unknown>)[tag];
	switch (tag) {
		case '$int': {
			if (typeof payload !== 'string' || !/^-?(?:0|[1-9]\d{0,18})$/.test(payload)) return {problem: 'has a malformed $int'};
			const value = BigInt(payload);
			if (value > MAX_INT64 || value < MIN_INT64) return {problem: 'has an $int outside 64 bits'};
			return value;
		}
		case '$real': {
			const value = typeof payload === 'number' ? payload : payload === 'Infinity' ? Infinity : payload === '-Infinity' ? -Infinity : undefined;
			if (value === undefined) return {problem: 'has a malformed $real'};
			return value;
		}
		case '$blob':
		case '$text': {
			if (typeof payload !== 'string' || !STRICT_BASE64.test(payload)) return {problem: `has a malformed ${tag}`};
			const bytes = Buffer.from(payload, 'base64');
			return tag === '$blob' ? bytes : new RawText(bytes);
		}
		default:
			return {problem: 'has an unsupported value'};
	}
}

export function isProblem(value: StoredValue | {problem: string}): value is {problem: string} {
	return value !== null && typeof value === 'object' && 'problem' in value;
}

/** Exact equality: same storage class and same value or bytes. */
export function sameStored(a: StoredValue | undefined, b: StoredValue | undefined): boolean {
	const left = a ?? null;
	const right = b ?? null;
	if (left === right) return true;
	if (left === null || right === null) return false;
	if (typeof left !== typeof right) return false;
	if (typeof left === 'number') return Object.is(left, right) || left === right;
	if (left instanceof RawText) return right instanceof RawText && left.bytes.equals(right.bytes);
	if (Buffer.isBuffer(left)) return Buffer.isBuffer(right) && left.equals(right);
	return false;
}

/** The value to bind for a placeholder, and whether that placeholder must be CAST(? AS TEXT). */
export function bindValue(value: StoredValue): {param: null | string | bigint | number | Buffer; castText: boolean} {
	if (value instanceof RawText) return {param: value.bytes, castText: true};
	return {param: value, castText: false};
}

/** A short human rendering (conflict views, messages): never the raw bytes of a BLOB. */
export function displayValue(value: StoredValue | undefined): string | number | null {
	if (value === undefined || value === null) return null;
	if (typeof value === 'string' || typeof value === 'number') return value;
	// A safe integer shows as the number it is; only a larger one (exact as text) as a string.
	if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
	if (value instanceof RawText) return value.toString();
	return `<${value.length}-byte blob ${value.subarray(0, 16).toString('hex')}${value.length > 16 ? '…' : ''}>`;
}

/** A stable key for a stored value (maps and sets of ids). */
export function valueKey(value: StoredValue): string {
	if (value === null) return 'n:';
	if (typeof value === 'string') return `s:${value}`;
	if (typeof value === 'bigint') return `i:${value}`;
	if (typeof value === 'number') return `r:${value}`;
	if (value instanceof RawText) return `t:${value.bytes.toString('base64')}`;
	return `b:${value.toString('base64')}`;
}

/** An id as messages show it: bare when plain, else quoted (and cut) so odd characters stay visible. */
export function showId(id: unknown): string {
	const text = String(id);
	return /^[\w.:@-]{1,80}$/.test(text) ? text : JSON.stringify(text).slice(0, 80);
}
