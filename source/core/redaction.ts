/**
 * What a backup holds in place of secrets: rows with their secret columns redacted or sealed,
 * `scrub` columns with embedded credentials redacted. The rules themselves live in redaction/:
 * text (scrub-text.ts and the steps it runs: URLs, command lines, assignments in config and code,
 * markup), JSON documents (redact-json.ts) and text files in their own encoding (text-files.ts).
 */
import {redactJsonText} from './redaction/redact-json.js';
import {scrubText} from './redaction/scrub-text.js';
import {M} from './redaction/text-steps.js';
import type {TableSpec} from './store/schema.js';

export {redactedKeys, redactionOf, redactJson, redactJsonText, renamedBase} from './redaction/redact-json.js';
export {scrubText} from './redaction/scrub-text.js';
export {isSecretName} from './redaction/text-steps.js';
export {markerLines, scrubTextBytes, textFileMarkers, UNREADABLE_TEXT_NOTE} from './redaction/text-files.js';

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
		copy[column.name] = column.secret === 'redact' ? M : sealSecret(column.name, String(row['id']), value);
	}
	return copy ?? row;
}

export function isRedacted(value: unknown): boolean {
	return value === M;
}

/**
 * A `scrub` column's value as it goes into a backup: JSON documents are redacted like config files
 * (only the redacted values rewritten, so the rest stays byte-identical), other text has embedded
 * credentials scrubbed.
 */
export function scrubColumnValue(text: string): string {
	return scrubColumnText(text, 0);
}

function scrubColumnText(text: string, depth: number): string {
	const trimmed = text.trimStart();
	if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
		try {
			return redactJsonText(text).text;
		} catch {
			// Not JSON after all: treat as text.
		}
	}
	// A JSON string holding a JSON document (a value serialized twice): the inner document is redacted
	// like one, and the string written back (as JSON.stringify writes it) only when something changed.
	if (trimmed.startsWith('"') && depth < 4) {
		let inner: unknown;
		try {
			inner = JSON.parse(text);
		} catch {
			inner = undefined;
		}
		if (typeof inner === 'string' && /^\s*[[{"]/.test(inner)) {
			const scrubbed = scrubColumnText(inner, depth + 1);
			return scrubbed === inner ? text : JSON.stringify(scrubbed);
		}
	}
	return scrubText(text);
}
