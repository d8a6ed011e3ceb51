import crypto from 'node:crypto';
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import {openArchive, readAll} from '../archive/archive-reader.js';
import {splitLines} from '../archive/line-splitter.js';
import {LifeboatError} from '../errors.js';
import {openGateway} from '../store/gateway-store.js';
import {tableSpec, TABLES, type CategoryId, type GatewayFileSpec} from '../store/schema.js';
import {agentOfTarget, fileSpecOf, fileTarget, routeEntry, safeTarget} from './archive-routes.js';
import {agentFilePolicy} from '../store/agent-files.js';
import {changedPaths, mergeRedacted} from './json-merge.js';
import {parseJsonBounded, setOwn, utf8Text, type JsonNode} from '../json-text.js';
import {REDACTED_MARKER} from '../store/schema.js';
import {redactionOf, scrubTextBytes} from '../redaction.js';
import {BackupIds} from './backup-ids.js';
import {resolveContext, type RestoreContext} from './restore-context.js';
import {FILES_TABLE, type ConflictDetail, type RestoreOptions} from './restore-types.js';
import {changedColumns, codecFor, displayRow, isLiveSecret, parseRow, readLiveRow, scrubStored, type RowValues, type TableCodec} from '../rows/table-codec.js';
import {displayValue, type StoredValue} from '../rows/value-codec.js';

/** Shown instead of a live secret in side-by-side views: secrets never reach the screen. */
export const LIVE_SECRET_MASK = '[secret: kept]';

const PREVIEW_BYTES = 64 * 1024;

/**
 * A live row for a side-by-side view: secret columns masked, and `scrub` columns shown as a backup
 * would hold them, the credentials in their text masked (a description quoting an API key).
 */
export function maskedLive(codec: TableCodec, live: RowValues | undefined): Record<string, unknown> {
	if (!live) return {};
	const out = displayRow(codec, live);
	for (const index of [...codec.redacted, ...codec.sealed]) {
		if (isLiveSecret(live[index])) out[codec.names[index]!] = LIVE_SECRET_MASK;
	}
	for (const index of codec.scrubbed) {
		const value = live[index];
		if (value === null || value === undefined) continue;
		const shown = displayValue(scrubStored(value));
		if (typeof shown === 'string' && shown !== out[codec.names[index]!]) out[codec.names[index]!] = masked(shown);
	}
	return out;
}

function parseJson(content: Buffer): unknown {
	try {
		return parseJsonBounded(utf8Text(content) ?? '');
	} catch {
		return undefined;
	}
}

/** How a value a backup would redact shows on the live side: the marker, wherever it stands, reads as a kept secret. */
function masked(replacement: unknown): unknown {
	return typeof replacement === 'string' ? replacement.replaceAll(REDACTED_MARKER, LIVE_SECRET_MASK) : replacement;
}

/**
 * Leaves of a JSON document by dotted path, every value a backup would redact masked (redaction/redact-json.ts
 * decides, so the view hides what the backup leaves out and shows what it keeps); markers already
 * in the document are shown as they are.
 */
export function flattenJson(value: unknown): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	const {node: root, replace, rename} = redactionOf(value);
	const walk = (node: JsonNode, trail: string) => {
		const label = trail || '(root)';
		if (replace.has(node)) setOwn(out, label, masked(replace.get(node)));
		else if (node.kind === 'array') {
			if (node.items.length === 0) setOwn(out, label, []);
			node.items.forEach((item, index) => walk(item, `${trail}[${index}]`));
		} else if (node.kind === 'object') {
			if (node.entries.length === 0) setOwn(out, label, {});
			for (const entry of node.entries) {
				const key = rename.get(entry) ?? entry.key;
				walk(entry.value, trail ? `${trail}.${key}` : key);
			}
		} else setOwn(out, label, node.value);
	};
	walk(root, '');
	return out;
}

/** A file's side of a side-by-side view: flattened JSON for gateway JSON files (secrets masked), else size, hash and a text preview. */
export function describeFile(target: string, content: Buffer | undefined, spec: GatewayFileSpec | undefined): Record<string, unknown> {
	if (!content) return {};
	if (spec?.kind === 'json') {
		const parsed = parseJson(content);
		if (parsed !== undefined) return flattenJson(parsed);
	}
	const out: Record<string, unknown> = {path: target, size: content.length, sha256: crypto.createHash('sha256').update(content).digest('hex')};
	const preview = previewOf(target, content.subarray(0, PREVIEW_BYTES), content.length, spec);
	if (preview !== undefined) out['preview'] = preview;
	return out;
}

/**
 * A file's text for a view, as a backup holds it: agent prose scrubbed as plan-files.ts backs it up
 * (credentials masked), other text (document texts, kept as they are) as it is. None of an opaque
 * file, nor of a JSON file that did not parse (a backup leaves it out: nothing says where its
 * secrets are), nor of binary content. A head cut short of the file loses its last, partial line
 * (a credential cut in two would not be seen as one).
 */
function previewOf(target: string, head: Buffer, size: number, spec: GatewayFileSpec | undefined): string | undefined {
	if (spec) return undefined;
	let bytes = head;
	if (head.length < size) bytes = head.subarray(0, head.lastIndexOf(10) + 1);
	const scrubbed = isAgentProse(target) ? scrubTextBytes(bytes).bytes : bytes;
	const text = scrubbed.toString('utf8');
	if (text.includes('\u0000') || text.includes('\ufffd')) return undefined;
	return scrubbed === bytes ? text : (masked(text) as string);
}

function isAgentProse(target: string): boolean {
	const agent = agentOfTarget(target);
	return agent !== undefined && agentFilePolicy(target.slice(`agents/${agent}/`.length)) === 'copy';
}

/** Dotted keys (JSON files; the backup's markers merged with live secrets first) or `content` that differ. */
export function fileChanges(backup: Buffer, live: Buffer | undefined, spec: GatewayFileSpec | undefined): string[] {
	if (!live) return ['(missing live)'];
	if (spec?.kind === 'json') {
		const a = parseJson(backup);
		const b = parseJson(live);
		// A secret key is named as flattenJson shows it.
		if (a !== undefined && b !== undefined) return changedPaths(mergeRedacted(a, b).value, b, {keys: 'as-backed-up'});
	}
	return backup.equals(live) ? [] : ['content'];
}

/**
 * A whole-file change (`content`) as the rows of the side-by-side view that differ (size, sha256,
 * preview), so the view marks them; JSON files' dotted keys are kept as they are.
 */
export function describedChanges(changed: readonly string[], backup: Record<string, unknown>, live: Record<string, unknown>): string[] {
	if (!changed.includes('content')) return [...changed];
	const rows = Object.keys({...backup, ...live}).filter(key => key !== 'path' && JSON.stringify(backup[key]) !== JSON.stringify(live[key]));
	return rows.length > 0 ? [...changed.filter(field => field !== 'content'), ...rows] : [...changed];
}

/** Largest file parsed as JSON or compared in memory; larger files are hashed in chunks. */
const IN_MEMORY_BYTES = 32 * 1024 * 1024;

function hashFileSync(file: string): {size: number; sha256: string; head: Buffer} {
	const hash = crypto.createHash('sha256');
	const fd = fs.openSync(file, 'r');
	const buffer = Buffer.alloc(1024 * 1024);
	let size = 0;
	let head = Buffer.alloc(0);
	try {
		for (let read = fs.readSync(fd, buffer, 0, buffer.length, null); read > 0; read = fs.readSync(fd, buffer, 0, buffer.length, null)) {
			hash.update(buffer.subarray(0, read));
			if (size === 0) head = Buffer.from(buffer.subarray(0, Math.min(read, PREVIEW_BYTES)));
			size += read;
		}
	} finally {
		fs.closeSync(fd);
	}
	return {size, sha256: hash.digest('hex'), head};
}

/** describeFile for a file on disk, without reading a large one into memory. */
export function describeFileOnDisk(target: string, file: string, spec: GatewayFileSpec | undefined): Record<string, unknown> {
	const stats = fs.statSync(file, {throwIfNoEntry: false});
	if (!stats?.isFile()) return {};
	if (stats.size <= IN_MEMORY_BYTES) return describeFile(target, fs.readFileSync(file), spec);
	const {size, sha256, head} = hashFileSync(file);
	const out: Record<string, unknown> = {path: target, size, sha256};
	const preview = previewOf(target, head, size, spec);
	if (preview !== undefined) out['preview'] = preview;
	return out;
}

/** fileChanges for two files on disk (the live one may be missing), large files compared by hash. */
export function fileChangesOnDisk(backupFile: string, liveFile: string, spec: GatewayFileSpec | undefined): string[] {
	const live = fs.statSync(liveFile, {throwIfNoEntry: false});
	if (!live?.isFile()) return ['(missing live)'];
	const backup = fs.statSync(backupFile);
	if (backup.size <= IN_MEMORY_BYTES && live.size <= IN_MEMORY_BYTES) return fileChanges(fs.readFileSync(backupFile), fs.readFileSync(liveFile), spec);
	if (backup.size !== live.size) return ['content'];
	return hashFileSync(backupFile).sha256 === hashFileSync(liveFile).sha256 ? [] : ['content'];
}

export function readLive(file: string, max = 256 * 1024 * 1024): Buffer | undefined {
	const stats = fs.statSync(file, {throwIfNoEntry: false});
	if (!stats?.isFile()) return undefined;
	if (stats.size > max) return Buffer.from(`[${stats.size} bytes]`);
	return fs.readFileSync(file);
}

/**
 * One conflicting entity of a planned restore, the backup's version beside the live one (live
 * secrets masked), for the TUI's side-by-side view. `table` is `files` for a file, with `id` its
 * path in the data dir. Streams the archive up to the entity; nothing is written.
 */
export async function getConflictDetail(options: RestoreOptions, category: CategoryId, table: string, id: string): Promise<ConflictDetail> {
	const store = openGateway(options.dataDir);
	try {
		const ctx = await resolveContext(options, store);
		if (!ctx.categories.includes(category)) throw new LifeboatError('unknown-category', `Category ${category} is not part of this restore`);
		const stopEarly = options.source.format !== 'tar.gz';
		if (table === FILES_TABLE) {
			const live = safeTarget(store.paths.root, id);
			const spec = fileSpecOf(id);
			let backup: Buffer | undefined;
			for await (const entry of openArchive(options.source).entries()) {
				if (backup && stopEarly) break;
				const route = routeEntry(entry.path);
				if (backup || entry.kind !== 'file' || (route.kind !== 'agent-file' && route.kind !== 'document-file' && route.kind !== 'document-text' && route.kind !== 'gateway-file')) continue;
				if (route.category !== category || fileTarget(route, ctx.mapper) !== id) continue;
				backup = await readAll(entry, Math.max(entry.size, 0));
			}
			if (!backup) throw new LifeboatError('usage', `No file ${id} in this backup`);
			const liveContent = readLive(live);
			const sides = {backup: describeFile(id, backup, spec), live: describeFile(id, liveContent, spec)};
			return {category, table, id, ...sides, changed: describedChanges(fileChanges(backup, liveContent, spec), sides.backup, sides.live)};
		}
		if (!TABLES.some(spec => spec.name === table) || tableSpec(table).category !== category) throw new LifeboatError('usage', `No table ${table} in category ${category}`);
		const codec = codecFor(tableSpec(table));
		let found: RowValues | undefined;
		let actor: StoredValue | undefined;
		for await (const entry of openArchive(options.source).entries()) {
			if (found && stopEarly) break;
			const route = routeEntry(entry.path);
			if (found || route.kind !== 'table' || route.table.name !== table) continue;
			// Lines are numbered as restore and verify number them (blank lines are not counted).
			let number = 0;
			for await (const line of splitLines(entry.open(), {what: entry.path})) {
				if (found || !line.trim()) continue;
				const where = `${entry.path} line ${++number}`;
				const values = parseRow(codec, line, where);
				if (ctx.mapper.id(values[0] as string) === id) {
					actor = table === 'audit_log' ? values[codec.names.indexOf('actor')] : undefined;
					found = ctx.mapper.values(codec, values);
				}
			}
		}
		if (!found) throw new LifeboatError('usage', `No ${table} ${id} in this backup`);
		if (typeof actor === 'string' && ctx.mapper.remaps && (await isBackupUser(store.db, ctx, actor))) found[codec.names.indexOf('actor')] = ctx.mapper.id(actor);
		const live = readLiveRow(store.db, codec, id);
		return {category, table, id, backup: displayRow(codec, found), live: maskedLive(codec, live), changed: live ? changedColumns(codec, live, found) : codec.compared.map(index => codec.names[index]!)};
	} finally {
		store.close();
	}
}

/** Whether an audit actor names a user of the backup (the restore remaps those: restore-pass.ts). */
async function isBackupUser(db: Database.Database, ctx: RestoreContext, actor: string): Promise<boolean> {
	if (!ctx.metadata.categories.includes('users')) return false;
	const ids = new BackupIds(db);
	try {
		await ids.load(ctx.options.source, new Set(['users']), ctx.backupTenantIds, ctx.options.signal);
		return ids.has('users', actor);
	} finally {
		ids.close();
	}
}
