/**
 * `backup diff` for people: one line per category with its counts, then the ids of each list
 * (capped, "…and N more"), then the `--id` entity field by field. Values are shown so that no two
 * different values look alike: text quoted with every invisible character escaped, integers as
 * digits (exact past 2^53), REALs marked, BLOBs and non-UTF-8 text as hex.
 */
import {formatCount} from '../format.js';
import {showId} from '../rows/value-codec.js';
import {terminalSafe} from '../terminal-safe.js';
import type {CategoryDiff, DiffResult, DiffSideInfo, EntityDiff, IdList} from './diff-types.js';

/** Hex digits of a BLOB shown before it is cut (the JSON output always holds it whole). */
const MAX_HEX = 2048;

/** Characters a terminal would not show, or show as a plain space. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/gu;

function quoted(text: string): string {
	// JSON.stringify escapes quotes, backslashes, control characters and lone surrogates.
	return JSON.stringify(text).replace(INVISIBLE, char => (char === ' ' ? char : `\\u{${char.codePointAt(0)!.toString(16).toUpperCase()}}`));
}

function hex(base64: string): string {
	const bytes = Buffer.from(base64, 'base64');
	const digits = bytes.toString('hex');
	return digits.length > MAX_HEX ? `x'${digits.slice(0, MAX_HEX)}…' (${formatCount(bytes.length)} bytes; --json shows it whole)` : `x'${digits}'`;
}

/** One value of a row's backup encoding (value-codec.ts), or a file's size or hash, as text. */
export function showValue(value: unknown): string {
	if (value === undefined) return '(absent)';
	if (value === null) return 'NULL';
	if (typeof value === 'string') return quoted(value);
	if (typeof value === 'number') return String(value);
	if (typeof value === 'object') {
		const tagged = value as Record<string, unknown>;
		if (typeof tagged['$int'] === 'string') return tagged['$int'];
		if ('$real' in tagged) return `${String(tagged['$real'])} (REAL)`;
		if (typeof tagged['$blob'] === 'string') return `BLOB ${hex(tagged['$blob'])}`;
		if (typeof tagged['$text'] === 'string') return `TEXT (not UTF-8) ${hex(tagged['$text'])}`;
	}
	return JSON.stringify(value);
}

function describeSide(side: DiffSideInfo): string {
	if (side.kind === 'live') return `live store ${side.label}`;
	const when = side.createdAt ? `, ${side.createdAt.slice(0, 19).replace('T', ' ')} UTC` : '';
	return `${side.label} (${side.name ?? 'backup'}${when}${side.tenant ? `, tenant ${side.tenant}` : ''})`;
}

/** `Memory: 2 removed, 1 changed (310 unchanged)`, or `Agents: no changes (14 unchanged)`. */
export function formatCategoryCounts(category: Pick<CategoryDiff, 'label' | 'added' | 'removed' | 'changed' | 'unchanged'>): string {
	const parts: string[] = [];
	if (category.added > 0) parts.push(`${formatCount(category.added)} added`);
	if (category.removed > 0) parts.push(`${formatCount(category.removed)} removed`);
	if (category.changed > 0) parts.push(`${formatCount(category.changed)} changed`);
	return `${category.label}: ${parts.length > 0 ? parts.join(', ') : 'no changes'} (${formatCount(category.unchanged)} unchanged)`;
}

/** `+ tools tool_9`: the list's mark, table and id. */
export function formatRef(mark: string, ref: {table: string; id: string}): string {
	return `${mark} ${ref.table} ${showId(ref.id)}`;
}

function listLines(list: IdList, mark: string, word: string, cap: number): string[] {
	const lines = list.ids.slice(0, cap).map(ref => `  ${formatRef(mark, ref)}`);
	const more = list.more + Math.max(0, list.ids.length - cap);
	if (more > 0) lines.push(`  …and ${formatCount(more)} more ${word}`);
	return lines;
}

export function formatEntity(entity: EntityDiff): string[] {
	return entityLines(entity).map(terminalSafe);
}

function entityLines(entity: EntityDiff): string[] {
	const lines = [`${entity.table} ${showId(entity.id)} (${entity.category}): ${entity.status}`];
	for (const change of entity.fields) {
		lines.push(`  ${change.field}`, `    A: ${showValue(change.a)}`, `    B: ${showValue(change.b)}`);
	}
	return lines;
}

/**
 * The whole diff as lines; `cap` ids per list and category. Names, ids and paths come from the
 * archives and the gateway: no control character in them reaches the terminal raw.
 */
export function formatDiff(result: DiffResult, cap = 20): string[] {
	return diffLines(result, cap).map(terminalSafe);
}

function diffLines(result: DiffResult, cap: number): string[] {
	const lines = [`A: ${describeSide(result.a)}`, `B: ${describeSide(result.b)}`];
	if (result.scopeTenant !== null) lines.push(`Compared within tenant ${showId(result.scopeTenant)} (the one-tenant backup's).`);
	for (const category of result.categories) lines.push(`  ${formatCategoryCounts(category)}`);
	for (const {category, onlyIn} of result.notCompared) lines.push(`  ${category}: only in ${onlyIn}; not compared`);
	for (const category of result.categories) {
		if (category.added + category.removed + category.changed === 0) continue;
		lines.push(`${category.label}:`);
		lines.push(...listLines(category.addedIds, '+', 'added', cap), ...listLines(category.removedIds, '-', 'removed', cap), ...listLines(category.changedIds, '~', 'changed', cap));
	}
	const {added, removed, changed} = result.totals;
	lines.push(added + removed + changed === 0 ? 'No differences.' : `In all: ${formatCount(added)} added, ${formatCount(removed)} removed, ${formatCount(changed)} changed.`);
	if (result.entity) {
		if (result.entity.length === 0) lines.push('That id is in neither side (in the compared categories).');
		for (const entity of result.entity) lines.push(...formatEntity(entity));
	}
	for (const warning of result.warnings) lines.push(`Warning: ${warning}`);
	return lines;
}
