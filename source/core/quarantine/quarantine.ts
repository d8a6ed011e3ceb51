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
import {LifeboatError} from '../errors.js';
import {openGateway, type GatewayStore} from '../store/gateway-store.js';
import {REDACTED_MARKER, tableSpec, TABLES, type CategoryId} from '../store/schema.js';
import {fileSpecOf, safeTarget} from '../restore/archive-routes.js';
import {describeFile, fileChanges, maskedLive, readLive} from '../restore/conflict-detail.js';
import {FILES_TABLE, type ConflictDetail, type QuarantineEntry, type QuarantineRestore, type RestoreMode} from '../restore/restore-types.js';
import {mergeRedacted, serializeJson} from '../restore/json-merge.js';
import {changedColumns, codecFor, rowValues, valuesToObject, type RowValues} from '../restore/row-codec.js';
import {recoverInterruptedRestores} from '../restore/staging.js';

export const QUARANTINE_KIND = 'lifeboat-quarantine';

export type QuarantineSummary = {
	restoreId: string;
	createdAt: string;
	mode: RestoreMode;
	backup: {id: string; name: string; createdAt: string};
	source: string;
	intoTenant: string | null;
	/** `<category>/<table>` → rows quarantined. */
	tables: Record<string, number>;
	files: Array<{category: CategoryId; target: string}>;
};

type StoredSummary = QuarantineSummary & {kind: typeof QUARANTINE_KIND};

export function writeQuarantineSummary(dir: string, summary: QuarantineSummary): void {
	fs.mkdirSync(dir, {recursive: true});
	const stored: StoredSummary = {kind: QUARANTINE_KIND, ...summary};
	fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(stored, null, 2) + '\n');
}

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
	if (summary.kind !== QUARANTINE_KIND) throw new LifeboatError('corrupt-archive', `${dir} is not a Lifeboat quarantine folder`);
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

type StoredEntry =
	| {kind: 'row'; category: CategoryId; table: string; id: string; values: RowValues; entryId: string}
	| {kind: 'file'; category: CategoryId; table: typeof FILES_TABLE; id: string; file: string; entryId: string};

function readEntries(dir: string, summary: QuarantineSummary): StoredEntry[] {
	const entries: StoredEntry[] = [];
	for (const key of Object.keys(summary.tables)) {
		const [category, table] = key.split('/') as [CategoryId, string];
		if (!TABLES.some(spec => spec.name === table)) continue;
		const codec = codecFor(tableSpec(table));
		const file = path.join(dir, category, `${table}.jsonl`);
		if (!fs.existsSync(file)) continue;
		let line = 0;
		for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
			line++;
			if (!text.trim()) continue;
			const values = rowValues(codec, JSON.parse(text), `${file} line ${line}`);
			entries.push({kind: 'row', category, table, id: values[0] as string, values, entryId: `${table}:${String(values[0])}`});
		}
	}
	for (const file of summary.files) {
		entries.push({kind: 'file', category: file.category, table: FILES_TABLE, id: file.target, file: path.join(dir, file.category, FILES_TABLE, ...file.target.split('/')), entryId: `${FILES_TABLE}:${file.target}`});
	}
	return entries;
}

function liveRow(store: GatewayStore, table: string, id: string): RowValues | undefined {
	return store.db.prepare(codecFor(tableSpec(table)).selectSql).raw(true).get(id) as RowValues | undefined;
}

function describe(store: GatewayStore, summary: QuarantineSummary, entry: StoredEntry): QuarantineEntry {
	const base = {restoreId: summary.restoreId, category: entry.category, table: entry.table, id: entry.id, createdAt: summary.createdAt, entryId: entry.entryId};
	if (entry.kind === 'row') {
		const live = liveRow(store, entry.table, entry.id);
		const codec = codecFor(tableSpec(entry.table));
		return {...base, liveExists: Boolean(live), changed: live ? changedColumns(codec, live, entry.values) : []};
	}
	const live = readLive(path.join(store.paths.root, ...entry.id.split('/')));
	return {...base, liveExists: Boolean(live), changed: live ? fileChanges(fs.readFileSync(entry.file), live, fileSpecOf(entry.id)) : []};
}

/** The entries of one restore's quarantine, with what differs from the live store now. */
export function listQuarantineEntries(dataDir: string, restoreId: string): QuarantineEntry[] {
	const dir = restoreDir(dataDir, restoreId);
	const summary = readSummary(dir);
	const store = openGateway(dataDir);
	try {
		return readEntries(dir, summary).map(entry => describe(store, summary, entry));
	} finally {
		store.close();
	}
}

function pick(entries: StoredEntry[], wanted: readonly string[] | undefined, restoreId: string): StoredEntry[] {
	if (!wanted || wanted.length === 0) return entries;
	return wanted.map(handle => {
		const exact = entries.find(entry => entry.entryId === handle);
		if (exact) return exact;
		const byId = entries.filter(entry => entry.id === handle);
		if (byId.length === 1) return byId[0]!;
		if (byId.length > 1) throw new LifeboatError('usage', `"${handle}" matches ${byId.length} entries of restore ${restoreId}; use table:id (${byId.map(entry => entry.entryId).join(', ')})`);
		throw new LifeboatError('usage', `No entry "${handle}" in the quarantine of restore ${restoreId}`);
	});
}

/** One quarantined entry beside the live version (live secrets masked). */
export function showQuarantineEntry(dataDir: string, restoreId: string, entryId: string): ConflictDetail & {entryId: string; liveExists: boolean} {
	const dir = restoreDir(dataDir, restoreId);
	const summary = readSummary(dir);
	const [entry] = pick(readEntries(dir, summary), [entryId], restoreId);
	const store = openGateway(dataDir);
	try {
		if (entry!.kind === 'row') {
			const codec = codecFor(tableSpec(entry!.table));
			const live = liveRow(store, entry!.table, entry!.id);
			return {category: entry!.category, table: entry!.table, id: entry!.id, entryId: entry!.entryId, liveExists: Boolean(live), backup: valuesToObject(codec, entry!.values), live: maskedLive(codec, live), changed: live ? changedColumns(codec, live, entry!.values) : []};
		}
		const spec = fileSpecOf(entry!.id);
		const backup = fs.readFileSync(entry!.file);
		const live = readLive(path.join(store.paths.root, ...entry!.id.split('/')));
		return {category: entry!.category, table: FILES_TABLE, id: entry!.id, entryId: entry!.entryId, liveExists: Boolean(live), backup: describeFile(entry!.id, backup, spec), live: describeFile(entry!.id, live, spec), changed: live ? fileChanges(backup, live, spec) : []};
	} finally {
		store.close();
	}
}

/** Rewrites the quarantine without the given entries; removes the folder when nothing is left. */
function dropEntries(dir: string, summary: StoredSummary, done: StoredEntry[]): number {
	const doneIds = new Set(done.map(entry => entry.entryId));
	for (const key of Object.keys(summary.tables)) {
		const [category, table] = key.split('/') as [CategoryId, string];
		const file = path.join(dir, category, `${table}.jsonl`);
		if (!fs.existsSync(file)) {
			delete summary.tables[key];
			continue;
		}
		const kept = fs
			.readFileSync(file, 'utf8')
			.split('\n')
			.filter(line => line.trim() && !doneIds.has(`${table}:${String((JSON.parse(line) as {id: unknown}).id)}`));
		if (kept.length === 0) {
			fs.rmSync(file);
			delete summary.tables[key];
		} else {
			fs.writeFileSync(file + '.tmp', kept.join('\n') + '\n');
			fs.renameSync(file + '.tmp', file);
			summary.tables[key] = kept.length;
		}
	}
	for (const entry of done) if (entry.kind === 'file') fs.rmSync(entry.file, {force: true});
	summary.files = summary.files.filter(file => !doneIds.has(`${FILES_TABLE}:${file.target}`));
	const remaining = entryCount(summary);
	if (remaining === 0) fs.rmSync(dir, {recursive: true, force: true});
	else fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
	const root = path.dirname(dir);
	if (fs.existsSync(root) && fs.readdirSync(root).length === 0) fs.rmdirSync(root);
	return remaining;
}

/**
 * Applies quarantined versions over the live ones (all of a restore's entries, or the given
 * `table:id` handles): rows in one transaction with the live secret columns kept, then files
 * renamed into place. Writes an audit entry per tenant touched.
 */
export function acceptQuarantine(dataDir: string, restoreId: string, entryIds?: readonly string[]): {accepted: number; remaining: number} {
	recoverInterruptedRestores(dataDir);
	const dir = restoreDir(dataDir, restoreId);
	const summary = readSummary(dir);
	const chosen = pick(readEntries(dir, summary), entryIds, restoreId);
	const store = openGateway(dataDir);
	try {
		const files = chosen.filter((entry): entry is Extract<StoredEntry, {kind: 'file'}> => entry.kind === 'file');
		// Quarantined JSON files (gateway config, agent JSON) hold the backup's markers: merge the live secrets in now.
		const targets = files.map(entry => {
			const live = safeTarget(store.paths.root, entry.id);
			if (fileSpecOf(entry.id)?.kind !== 'json') return {entry, live, merged: undefined};
			const parse = (content: Buffer | undefined) => {
				try {
					return content ? (JSON.parse(content.toString('utf8')) as unknown) : undefined;
				} catch {
					return undefined;
				}
			};
			const backup = parse(fs.readFileSync(entry.file));
			if (backup === undefined) throw new LifeboatError('corrupt-archive', `${entry.file} is not valid JSON; not accepted`);
			return {entry, live, merged: serializeJson(mergeRedacted(backup, parse(readLive(live))).value)};
		});
		const tenants = new Set<string>();
		store.db.transaction(() => {
			for (const entry of chosen) {
				if (entry.kind !== 'row') continue;
				const codec = codecFor(tableSpec(entry.table));
				const values = [...entry.values];
				const live = liveRow(store, entry.table, entry.id);
				if (live && live[1] !== values[1]) throw new LifeboatError('conflict', `${entry.table} ${entry.id} now belongs to tenant ${String(live[1])}; not accepted`);
				for (const index of codec.redacted) values[index] = live ? live[index]! : (values[index] ?? REDACTED_MARKER);
				for (const index of codec.sealed) values[index] = live ? live[index]! : null;
				store.db.prepare(codec.replaceSql).run(...values);
				tenants.add(values[1] as string);
			}
			const now = new Date().toISOString();
			for (const tenantId of tenants) {
				store.db
					.prepare(`INSERT INTO audit_log (id, tenant_id, created_at, updated_at, actor, action, target, detail, ip) VALUES (?, ?, ?, ?, 'lifeboat', 'quarantine.accept', ?, ?, NULL)`)
					.run(`aud_${crypto.randomBytes(8).toString('hex')}`, tenantId, now, now, restoreId, JSON.stringify({restoreId, entries: chosen.length}));
			}
		})();
		for (const {entry, live, merged} of targets) {
			fs.mkdirSync(path.dirname(live), {recursive: true});
			if (merged !== undefined) fs.writeFileSync(entry.file, merged);
			fs.renameSync(entry.file, live);
		}
		return {accepted: chosen.length, remaining: dropEntries(dir, summary, chosen)};
	} finally {
		store.close();
	}
}

/** Deletes quarantined entries (all of a restore's, or the given `table:id` handles). */
export function discardQuarantine(dataDir: string, restoreId: string, entryIds?: readonly string[]): {discarded: number; remaining: number} {
	const dir = restoreDir(dataDir, restoreId);
	const summary = readSummary(dir);
	const chosen = pick(readEntries(dir, summary), entryIds, restoreId);
	return {discarded: chosen.length, remaining: dropEntries(dir, summary, chosen)};
}
