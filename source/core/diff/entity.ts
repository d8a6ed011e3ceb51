/**
 * Rows and files as the diff compares them, and the one entity `--id` shows field by field.
 *
 * A row is compared in its backup encoding: the JSONL object a backup holds (value-codec.ts tags
 * BLOBs, big integers, REALs that look like integers and non-UTF-8 text; secrets are the
 * redaction marker or the sealed-block pointer; `scrub` columns scrubbed). A live row is encoded
 * exactly as a backup of it would be (dump-tables.ts's redactedRow), so a live store and a fresh
 * backup of it compare equal, and equal odd values never look changed.
 */
import crypto from 'node:crypto';
import {TWO_FACTOR_BLOCK_PATH} from '../archive/archive-format.js';
import {redactedRow} from '../backup/dump-tables.js';
import {LIVE_SECRET_MASK} from '../restore/conflict-detail.js';
import {encodeRow, isLiveSecret, type TableCodec} from '../rows/table-codec.js';
import type {StoredValue} from '../rows/value-codec.js';
import type {CategoryId} from '../store/schema.js';
import type {EntityDiff, FieldChange} from './diff-types.js';

/** One side's view of the `--id` entity in one table (or `files`). */
export type CapturedEntity = {category: CategoryId; fields: Record<string, unknown>; shown: Record<string, unknown>};

const SEALED_POINTER = `[ENCRYPTED: ${TWO_FACTOR_BLOCK_PATH}]`;

export function sha256(bytes: Buffer | string): Buffer {
	return crypto.createHash('sha256').update(bytes).digest();
}

/** A backup's row (values as decoded from its JSONL): its encoding. */
export function backupRowEncoding(codec: TableCodec, values: readonly StoredValue[]): Record<string, unknown> {
	return encodeRow(codec, values);
}

/** A live row as a backup of it would hold it. */
export function liveRowEncoding(codec: TableCodec, values: StoredValue[]): Record<string, unknown> {
	return redactedRow(codec, values, () => SEALED_POINTER, {redactedCounts: {}});
}

/** The content hash of an encoded row (its JSON, columns in schema order). */
export function rowHash(encoded: Record<string, unknown>): Buffer {
	return sha256(JSON.stringify(encoded));
}

/** An encoded row captured for the field diff; a live side's real secrets are shown masked, never in clear. */
export function captureRow(category: CategoryId, codec: TableCodec, encoded: Record<string, unknown>, live?: readonly StoredValue[]): CapturedEntity {
	const shown = {...encoded};
	if (live) {
		for (const index of [...codec.redacted, ...codec.sealed]) {
			if (isLiveSecret(live[index])) shown[codec.names[index]!] = LIVE_SECRET_MASK;
		}
	}
	return {category, fields: encoded, shown};
}

export function captureFile(category: CategoryId, digest: {size: number; sha256: string}): CapturedEntity {
	const fields = {size: digest.size, sha256: digest.sha256};
	return {category, fields, shown: fields};
}

/** The entity in one table, A against B: the fields that differ (all of one side's when the other lacks it). */
export function entityDiff(table: string, id: string, a: CapturedEntity | undefined, b: CapturedEntity | undefined): EntityDiff {
	const category = (a ?? b)!.category;
	const names = Object.keys(a?.fields ?? b!.fields);
	const fields: FieldChange[] = [];
	for (const field of names) {
		const same = a && b && JSON.stringify(a.fields[field]) === JSON.stringify(b.fields[field]);
		if (!same) fields.push({field, a: a ? a.shown[field] : undefined, b: b ? b.shown[field] : undefined});
	}
	const status = !a ? 'added' : !b ? 'removed' : fields.length > 0 ? 'changed' : 'unchanged';
	return {category, table, id, status, fields};
}
