/**
 * The quarantine: entries an additive restore found in conflict with the live store (same id,
 * different content) are never written over live data; the backup's version goes to
 *
 *   <data-dir>/quarantine/<restore-id>/summary.json
 *   <data-dir>/quarantine/<restore-id>/<category>/<table>.jsonl        one backup row per line
 *   <data-dir>/quarantine/<restore-id>/<category>/files/<path in data dir>   conflicting files
 *
 * Rows are stored as they would be inserted (ids remapped for --into-tenant, secrets still as the
 * backup's redaction markers). `accept` writes the quarantined version over the live one, keeping
 * the live secret columns (a marker never replaces a secret); `discard` drops it. Both take all
 * entries of a restore or chosen `table:id` entries, and remove the folder once it is empty.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {LineSplitter} from '../archive/line-splitter.js';
import {LifeboatError} from '../errors.js';
import {JsonlSpool} from '../jsonl-spool.js';
import {openGateway, type GatewayStore} from '../store/gateway-store.js';
import {isCategoryId, REDACTED_MARKER, tableSpec, TABLES, type CategoryId} from '../store/schema.js';
import {fileSpecOf, isRestorableTarget, safeTarget} from '../restore/archive-routes.js';
import {describedChanges, describeFileOnDisk, fileChangesOnDisk, maskedLive, readLive} from '../restore/conflict-detail.js';
import {FILES_TABLE, type ConflictDetail, type QuarantineEntry, type QuarantineRestore} from '../restore/restore-types.js';
import {mergeRedactedText} from '../restore/json-merge.js';
import {utf8Text} from '../json-text.js';
import {changedColumns, codecFor, displayRow, readLiveRow, rowValues, sameValue, writeRow, type RowValues} from '../rows/table-codec.js';
import {recoverInterruptedRestores} from '../store/staging.js';
import {QUARANTINE_KIND, type QuarantineSummary, type StoredSummary} from '../restore/quarantine-writer.js';

export {QUARANTINE_KIND, type QuarantineSummary} from '../restore/quarantine-writer.js';
export type {QuarantineEntry, QuarantineRestore} from '../restore/restore-types.js';

function quarantineRoot(dataDir: string): string {
	return path.join(path.resolve(dataDir), 'quarantine');
}

function restoreDir(dataDir: string, restoreId: string): string {
	if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(restoreId)) throw new LifeboatError('usage', `Invalid restore id "${restoreId}"`);
	const dir = path.join(quarantineRoot(dataDir), restoreId);
	if (!fs.existsSync(path.join(dir, 'summary.json'))) {
		const known = listQuarantine(dataDir).map(entry => entry.restoreId);
		throw new LifeboatError('usage', `No quarantine for restore ${restoreId} (known: ${known.join(', ') || 'none'})`);
	}
	return dir;
}

function readSummary(dir: string): StoredSummary {
	let summary: StoredSummary;
	try {
		summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as StoredSummary;
	} catch (error) {
		throw new LifeboatError('corrupt-archive', `${path.join(dir, 'summary.json')} is not readable (${(error as Error).message})`);
	}
	if (summary?.kind !== QUARANTINE_KIND) throw new LifeboatError('corrupt-archive', `${dir} is not a Lifeboat quarantine folder`);
	if (!summary.tables || typeof summary.tables !== 'object' || !Array.isArray(summary.files)) throw new LifeboatError('corrupt-archive', `${path.join(dir, 'summary.json')} is malformed`);
	return summary;
}

function entryCount(summary: QuarantineSummary): number {
	return Object.values(summary.tables).reduce((sum, count) => sum + count, 0) + summary.files.length;
}

/** Every restore with quarantined entries, oldest first. */
export function listQuarantine(dataDir: string): QuarantineRestore[] {
	const root = quarantineRoot(dataDir);
	if (!fs.existsSync(root)) return [];
	const out: QuarantineRestore[] = [];
	for (const name of fs.readdirSync(root).sort()) {
		const dir = path.join(root, name);
		if (!fs.existsSync(path.join(dir, 'summary.json'))) continue;
		const summary = readSummary(dir);
		const categories: Record<string, number> = {};
		for (const [key, count] of Object.entries(summary.tables)) categories[key.split('/')[0]!] = (categories[key.split('/')[0]!] ?? 0) + count;
		for (const file of summary.files) categories[file.category] = (categories[file.category] ?? 0) + 1;
		out.push({
			restoreId: summary.restoreId,
			createdAt: summary.createdAt,
			dir: `quarantine/${name}`,
			backup: summary.backup,
			mode: summary.mode,
			intoTenant: summary.intoTenant,
			entries: entryCount(summary),
			categories,
		});
	}
	return out;
}

type RowEntry = {kind: 'row'; category: CategoryId; table: string; id: string; values: RowValues; entryId: string};
type FileEntry = {kind: 'file'; category: CategoryId; table: typeof FILES_TABLE; id: string; file: string; entryId: string};
type StoredEntry = RowEntry | FileEntry;

type TableFile = {key: string; category: CategoryId; table: string; file: string};

/**
 * Lines of a file, read 64 KB at a time: a quarantine can hold millions of rows, so nothing here
 * reads a whole JSONL file or keeps more than the entries asked for. (Synchronous, like the rest
 * of this module's API, which the console calls directly. Small chunks keep the strings made
 * per chunk in V8's young generation, cheap to collect.)
 */
function* fileLines(file: string): Generator<string> {
	const fd = fs.openSync(file, 'r');
	try {
		const buffer = Buffer.alloc(64 * 1024);
		const splitter = new LineSplitter({what: file});
		let lines: string[] = [];
		const collect = (line: string) => lines.push(line);
		for (let read = fs.readSync(fd, buffer, 0, buffer.length, null); read > 0; read = fs.readSync(fd, buffer, 0, buffer.length, null)) {
			// The splitter keeps a partial line's bytes: give it a copy, the buffer is reused.
			splitter.push(Buffer.from(buffer.subarray(0, read)), collect);
			const ready = lines;
			lines = [];
			yield* ready;
		}
		splitter.end(collect);
		yield* lines;
	} finally {
		fs.closeSync(fd);
	}
}

/** The JSONL files a summary lists (`<category>/<table>` keys are checked: they become paths). */
function tableFiles(dir: string, summary: QuarantineSummary): TableFile[] {
	return Object.keys(summary.tables).map(key => {
		const [category, table, extra] = key.split('/');
		if (extra !== undefined || !isCategoryId(category) || !TABLES.some(spec => spec.name === table && spec.category === category)) {
			throw new LifeboatError('corrupt-archive', `${path.join(dir, 'summary.json')}: unknown table ${JSON.stringify(key).slice(0, 80)}`);
		}
		return {key, category, table: table!, file: path.join(dir, category, `${table}.jsonl`)};
	});
}

function fileEntries(dir: string, summary: QuarantineSummary): FileEntry[] {
	return summary.files.map(file => {
		if (!isCategoryId(file.category) || typeof file.target !== 'string' || !isRestorableTarget(file.target)) {
			throw new LifeboatError('corrupt-archive', `${path.join(dir, 'summary.json')}: invalid file entry ${JSON.stringify(String(file.target)).slice(0, 80)}`);
		}
		return {kind: 'file', category: file.category, table: FILES_TABLE, id: file.target, file: path.join(dir, file.category, FILES_TABLE, ...file.target.split('/')), entryId: `${FILES_TABLE}:${file.target}`};
	});
}

/** Quarantined rows, one at a time, optionally the tables of `first` before the others. */
function* rowEntries(dir: string, summary: QuarantineSummary, first: ReadonlySet<string> = new Set()): Generator<RowEntry> {
	const tables = tableFiles(dir, summary).sort((a, b) => Number(first.has(b.table)) - Number(first.has(a.table)));
	for (const {category, table, file} of tables) {
		if (!fs.existsSync(file)) continue;
		const codec = codecFor(tableSpec(table));
		let line = 0;
		for (const text of fileLines(file)) {
			line++;
			if (!text.trim()) continue;
			let parsed: unknown;
			try {
				parsed = JSON.parse(text);
			} catch {
				throw new LifeboatError('corrupt-archive', `${file} line ${line}: not valid JSON`);
			}
			const values = rowValues(codec, parsed, `${file} line ${line}`);
			yield {kind: 'row', category, table, id: values[0] as string, values, entryId: `${table}:${String(values[0])}`};
		}
	}
}

/** Live rows by id, read exactly. */
function liveRows(store: GatewayStore): (table: string, id: string) => RowValues | undefined {
	return (table, id) => readLiveRow(store.db, codecFor(tableSpec(table)), id);
}

function livePath(store: GatewayStore, target: string): string {
	return path.join(store.paths.root, ...target.split('/'));
}

function describe(store: GatewayStore, live: ReturnType<typeof liveRows>, summary: QuarantineSummary, entry: StoredEntry): QuarantineEntry {
	const base = {restoreId: summary.restoreId, category: entry.category, table: entry.table, id: entry.id, createdAt: summary.createdAt, entryId: entry.entryId};
	if (entry.kind === 'row') {
		const row = live(entry.table, entry.id);
		const codec = codecFor(tableSpec(entry.table));
		return {...base, liveExists: Boolean(row), changed: row ? changedColumns(codec, row, entry.values) : []};
	}
	const changed = fileChangesOnDisk(entry.file, livePath(store, entry.id), fileSpecOf(entry.id));
	const liveExists = changed[0] !== '(missing live)';
	return {...base, liveExists, changed: liveExists ? changed : []};
}

/**
 * The entries of one restore's quarantine, with what differs from the live store now, one at a
 * time (the CLI prints them as they come: a quarantine can hold millions of rows).
 */
export function* quarantineEntries(dataDir: string, restoreId: string): Generator<QuarantineEntry> {
	const dir = restoreDir(dataDir, restoreId);
	const summary = readSummary(dir);
	const store = openGateway(dataDir);
	try {
		const live = liveRows(store);
		for (const entry of rowEntries(dir, summary)) yield describe(store, live, summary, entry);
		for (const entry of fileEntries(dir, summary)) yield describe(store, live, summary, entry);
	} finally {
		store.close();
	}
}

/** The entries of one restore's quarantine as a list (see quarantineEntries). */
export function listQuarantineEntries(dataDir: string, restoreId: string): QuarantineEntry[] {
	return [...quarantineEntries(dataDir, restoreId)];
}

/**
 * The entries named by `table:id` handles (or bare ids, when only one entry has that id), read by
 * streaming the quarantine: only matches are kept, and the scan stops once every handle has an
 * exact match (the handles' tables are read first).
 */
function pick(dir: string, summary: QuarantineSummary, wanted: readonly string[], restoreId: string): StoredEntry[] {
	const handles = new Set(wanted);
	const exact = new Map<string, StoredEntry>();
	const byId = new Map<string, StoredEntry[]>();
	const consider = (entry: StoredEntry) => {
		if (handles.has(entry.entryId) && !exact.has(entry.entryId)) exact.set(entry.entryId, entry);
		if (handles.has(entry.id)) {
			const list = byId.get(entry.id) ?? [];
			if (list.length < 20) list.push(entry);
			byId.set(entry.id, list);
		}
	};
	for (const entry of fileEntries(dir, summary)) consider(entry);
	if (exact.size < handles.size) {
		const first = new Set([...handles].map(handle => handle.split(':')[0]!));
		for (const entry of rowEntries(dir, summary, first)) {
			consider(entry);
			if (exact.size === handles.size) break;
		}
	}
	const chosen = new Map<string, StoredEntry>();
	for (const handle of wanted) {
		let entry = exact.get(handle);
		if (!entry) {
			const matches = byId.get(handle) ?? [];
			if (matches.length > 1) throw new LifeboatError('usage', `"${handle}" matches ${matches.length} entries of restore ${restoreId}; use table:id (${matches.map(match => match.entryId).join(', ')})`);
			if (matches.length === 0) throw new LifeboatError('usage', `No entry "${handle}" in the quarantine of restore ${restoreId}`);
			entry = matches[0]!;
		}
		chosen.set(entry.entryId, entry);
	}
	return [...chosen.values()];
}

/** One quarantined entry beside the live version (live secrets masked). */
export function showQuarantineEntry(dataDir: string, restoreId: string, entryId: string): ConflictDetail & {entryId: string; liveExists: boolean} {
	const dir = restoreDir(dataDir, restoreId);
	const summary = readSummary(dir);
	const [entry] = pick(dir, summary, [entryId], restoreId) as [StoredEntry];
	const store = openGateway(dataDir);
	try {
		if (entry.kind === 'row') {
			const codec = codecFor(tableSpec(entry.table));
			const live = liveRows(store)(entry.table, entry.id);
			return {category: entry.category, table: entry.table, id: entry.id, entryId: entry.entryId, liveExists: Boolean(live), backup: displayRow(codec, entry.values), live: maskedLive(codec, live), changed: live ? changedColumns(codec, live, entry.values) : []};
		}
		const spec = fileSpecOf(entry.id);
		const liveFile = livePath(store, entry.id);
		const live = describeFileOnDisk(entry.id, liveFile, spec);
		const liveExists = Object.keys(live).length > 0;
		const backup = describeFileOnDisk(entry.id, entry.file, spec);
		return {category: entry.category, table: FILES_TABLE, id: entry.id, entryId: entry.entryId, liveExists, backup, live, changed: liveExists ? describedChanges(fileChangesOnDisk(entry.file, liveFile, spec), backup, live) : []};
	} finally {
		store.close();
	}
}

/** Removes the quarantine folder (and the quarantine root once empty). */
function removeRestore(dir: string): void {
	fs.rmSync(dir, {recursive: true, force: true});
	const root = path.dirname(dir);
	if (fs.existsSync(root) && fs.readdirSync(root).length === 0) fs.rmdirSync(root);
}

/**
 * Rewrites the quarantine without the given entries (each touched JSONL file streamed to a temp
 * file, then renamed over it); removes the folder when nothing is left.
 */
function dropEntries(dir: string, summary: StoredSummary, done: StoredEntry[]): number {
	const doneIds = new Set(done.map(entry => entry.entryId));
	const touched = new Set(done.flatMap(entry => (entry.kind === 'row' ? [`${entry.category}/${entry.table}`] : [])));
	for (const {key, table, file} of tableFiles(dir, summary)) {
		if (!fs.existsSync(file)) {
			delete summary.tables[key];
			continue;
		}
		if (!touched.has(key)) continue;
		const writer = new JsonlSpool(file + '.tmp', {flags: 'w', fsync: true});
		let kept = 0;
		try {
			for (const line of fileLines(file)) {
				if (!line.trim()) continue;
				let id: unknown;
				try {
					id = (JSON.parse(line) as {id?: unknown}).id;
				} catch {
					id = undefined;
				}
				if (doneIds.has(`${table}:${String(id)}`)) continue;
				writer.writeLine(line);
				kept++;
			}
		} finally {
			writer.close();
		}
		if (kept === 0) {
			fs.rmSync(file + '.tmp');
			fs.rmSync(file);
			delete summary.tables[key];
		} else {
			fs.renameSync(file + '.tmp', file);
			summary.tables[key] = kept;
		}
	}
	for (const entry of done) if (entry.kind === 'file') fs.rmSync(entry.file, {force: true});
	summary.files = summary.files.filter(file => !doneIds.has(`${FILES_TABLE}:${file.target}`));
	const remaining = entryCount(summary);
	if (remaining === 0) removeRestore(dir);
	else fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
	return remaining;
}

/**
 * Applies quarantined versions over the live ones (all of a restore's entries, or the given
 * `table:id` handles): rows in one transaction with the live secret columns kept, then files
 * renamed into place. Writes an audit entry per tenant touched. All entries are streamed from
 * the quarantine files, never held in memory together.
 */
export function acceptQuarantine(dataDir: string, restoreId: string, entryIds?: readonly string[]): {accepted: number; remaining: number} {
	recoverInterruptedRestores(dataDir);
	const dir = restoreDir(dataDir, restoreId);
	const summary = readSummary(dir);
	const all = !entryIds || entryIds.length === 0;
	const chosen = all ? undefined : pick(dir, summary, entryIds, restoreId);
	const store = openGateway(dataDir);
	try {
		const files = all ? fileEntries(dir, summary) : chosen!.filter((entry): entry is FileEntry => entry.kind === 'file');
		// Quarantined JSON files (gateway config, agent JSON) hold the backup's markers: merge the live secrets in now.
		const targets = files.map(entry => {
			const live = safeTarget(store.paths.root, entry.id);
			if (fileSpecOf(entry.id)?.kind !== 'json') return {entry, live, merged: undefined};
			// The backup's text kept byte for byte, its markers replaced by the live values' own text.
			const backup = utf8Text(fs.readFileSync(entry.file));
			const current = readLive(live);
			try {
				if (backup === undefined) throw new SyntaxError('not UTF-8');
				return {entry, live, merged: mergeRedactedText(backup, current ? utf8Text(current) : undefined).text};
			} catch {
				throw new LifeboatError('corrupt-archive', `${entry.file} is not valid JSON; not accepted`);
			}
		});
		const tenants = new Set<string>();
		let accepted = files.length;
		const liveRow = liveRows(store);
		store.db.transaction(() => {
			const rows = all ? rowEntries(dir, summary) : chosen!.filter((entry): entry is RowEntry => entry.kind === 'row');
			for (const entry of rows) {
				const codec = codecFor(tableSpec(entry.table));
				const values = [...entry.values];
				const live = liveRow(entry.table, entry.id);
				if (live && live[1] !== values[1]) throw new LifeboatError('conflict', `${entry.table} ${entry.id} now belongs to tenant ${String(live[1])}; not accepted`);
				for (const index of codec.redacted) values[index] = live ? (live[index] ?? null) : (values[index] ?? REDACTED_MARKER);
				for (const index of codec.sealed) values[index] = live ? (live[index] ?? null) : null;
				// Scrubbed text that only differs from live by its redacted credentials keeps live's.
				for (const index of codec.scrubbed) if (live && sameValue(codec, index, live[index], values[index])) values[index] = live[index]!;
				writeRow(store.db, codec, values, {replace: true});
				tenants.add(values[1] as string);
				accepted++;
			}
			const now = new Date().toISOString();
			for (const tenantId of tenants) {
				store.db
					.prepare(`INSERT INTO audit_log (id, tenant_id, created_at, updated_at, actor, action, target, detail, ip) VALUES (?, ?, ?, ?, 'lifeboat', 'quarantine.accept', ?, ?, NULL)`)
					.run(`aud_${crypto.randomBytes(8).toString('hex')}`, tenantId, now, now, restoreId, JSON.stringify({restoreId, entries: accepted}));
			}
		})();
		for (const {entry, live, merged} of targets) {
			fs.mkdirSync(path.dirname(live), {recursive: true});
			if (merged !== undefined) fs.writeFileSync(entry.file, merged);
			// Quarantined files are owner-only; once live, one gets the mode of the file it replaces
			// (or of a newly written file), as any restored file does.
			const mode = fs.statSync(live, {throwIfNoEntry: false})?.mode ?? 0o666 & ~process.umask();
			fs.renameSync(entry.file, live);
			fs.chmodSync(live, mode & 0o7777);
		}
		if (all) {
			removeRestore(dir);
			return {accepted, remaining: 0};
		}
		return {accepted, remaining: dropEntries(dir, summary, chosen!)};
	} finally {
		store.close();
	}
}

/** Deletes quarantined entries (all of a restore's, or the given `table:id` handles). */
export function discardQuarantine(dataDir: string, restoreId: string, entryIds?: readonly string[]): {discarded: number; remaining: number} {
	const dir = restoreDir(dataDir, restoreId);
	const summary = readSummary(dir);
	if (!entryIds || entryIds.length === 0) {
		const discarded = entryCount(summary);
		removeRestore(dir);
		return {discarded, remaining: 0};
	}
	const chosen = pick(dir, summary, entryIds, restoreId);
	return {discarded: chosen.length, remaining: dropEntries(dir, summary, chosen)};
}
