import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import type Database from 'better-sqlite3';
import type {BackupManifest, RedactionNote} from '../archive/archive-format.js';
import {compareCodeUnits} from '../format.js';
import {jsonEntryCeiling, openArchive, readAll, type ArchiveEntry} from '../archive/archive-reader.js';
import {READ_LIMITS} from '../archive/entry-guard.js';
import {bufferAllocated} from '../gc-pacer.js';
import {LineSplitter} from '../archive/line-splitter.js';
import {parseManifest, parseMetadata} from '../backup/read-metadata.js';
import {hashingTap} from '../hashing-tap.js';
import {JsonlSpool} from '../jsonl-spool.js';
import {LifeboatError} from '../errors.js';
import {categorySpec, CATEGORIES, REDACTED_MARKER, tableSpec, type CategoryId} from '../store/schema.js';
import {documentFileName, documentTextName, isPathSegment} from '../archive/archive-paths.js';
import {agentOfTarget, fileTarget, isRestorableTarget, routeEntry, safeTarget, type EntryRoute, type FileRoute} from './archive-routes.js';
import {deepEqual, mergeRedactedText} from './json-merge.js';
import {parseJsonBounded, utf8Text} from '../json-text.js';
import {agentFilePolicy, type AgentFilePolicy} from '../store/agent-files.js';
import {redactJsonText, scrubTextBytes, textFileMarkers} from '../redaction.js';
import {deletableByWalk, DeleteByWalk} from './walk-deletion.js';
import {LiveWalk, ordersByUtf8, queryPlan} from './live-walk.js';
import {readManifestUpFront, type RestoreContext} from './restore-context.js';
import {backupWins, CONFLICT_ID_LIMIT, FILES_TABLE, type AppliedCounts, type CategoryPlan, type ConflictRef, type DanglingReference, type TableCounts} from './restore-types.js';
import {codecFor, writesInPlace, encodeRow, holdsMarker, rowTenant, isLiveSecret, parseRow, sameContent, sameValue, updateRow, writeRow, type RowValues, type TableCodec} from '../rows/table-codec.js';
import {ReferenceCheck} from '../rows/reference-check.js';
import {BackupIds, DanglingCount, danglingTargets} from './backup-ids.js';
import {formatDangling} from './format-plan.js';
import {documentFileOwners, fileSharedWithAnotherTenant} from '../store/document-files.js';
import {bindValue, decodeValue, isProblem, sameStored, showId, type StoredValue} from '../rows/value-codec.js';
import type {Staging} from '../store/staging.js';
import {unsealTwoFactor, type TwoFactorSecrets} from '../backup/two-factor-block.js';

/** Largest JSON entry (gateway config, 2FA block) read into memory. */
const MAX_SMALL_ENTRY = READ_LIMITS.maxJsonFileBytes;
/** Longest JSONL line accepted (a real row is far smaller). */
const MAX_LINE = 64 * 1024 * 1024;

type Status = 'new' | 'identical' | 'conflict';
/** A backup file compared with the live one: its status, its staged copy (when applying) and its size. */
type StagedFileCompare = {status: Status; staged: string | undefined; size: number};

type CategoryAcc = {
	tables: Map<string, TableCounts>;
	files: TableCounts;
	fileCount: number;
	fileBytes: number;
	conflicts: ConflictRef[];
	conflictTotal: number;
};

export type PassOutcome = {
	categories: CategoryPlan[];
	secretsToReenter: RedactionNote[];
	warnings: string[];
	danglingReferences: DanglingReference[];
	twoFactor: {users: number; restorable: boolean; restored: number} | null;
	applied: AppliedCounts;
	quarantined: {tables: Record<string, number>; files: Array<{category: CategoryId; target: string}>};
};

/** Test-only failure injection (never set in production): see restore tests. */
type TestHooks = {failAfterRows?: number; pauseAfterRows?: number; pauseAt?: string};

export function testHooks(): TestHooks {
	const raw = process.env['LIFEBOAT_TEST_HOOK'];
	if (!raw) return {};
	const [name, value] = raw.split(':');
	if (name === 'fail-after-rows') return {failAfterRows: Number(value)};
	if (name === 'pause-after-rows') return {pauseAfterRows: Number(value)};
	if (name === 'pause') return {pauseAt: value};
	return {};
}

/** Blocks the process for good (a test kills it): the point is to be killed mid-restore. */
export function pauseForever(where: string): void {
	fs.writeSync(2, `LIFEBOAT_TEST_PAUSED ${where}\n`);
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

function emptyCounts(): TableCounts {
	return {new: 0, identical: 0, conflicts: 0, toDelete: 0};
}

/**
 * A restore's totals in the plan's terms (rows and files alike, per category summed), so a dry run
 * and the restore count the same things; plus what was written, quarantined and deleted.
 */
function appliedCounts(categories: readonly CategoryPlan[], written: {inserted: number; quarantined: number; deleted: number; files: number}): AppliedCounts {
	const sum = (key: keyof TableCounts) => categories.reduce((total, category) => total + category[key], 0);
	return {new: sum('new'), identical: sum('identical'), conflicts: sum('conflicts'), ...written, deleted: sum('toDelete')};
}

/** The warning for a document file another tenant's document also names: never written or deleted. */
function sharedFileLeftAlone(target: string): string {
	return `${target}: also the file of another tenant's document; left alone`;
}

function corrupt(message: string): LifeboatError {
	return new LifeboatError('corrupt-archive', `${message}; nothing was restored`);
}

/** Streams an entry through a sha256, into `file` when given. */
async function consumeEntry(entry: ArchiveEntry, file?: string): Promise<{size: number; sha256: string}> {
	const tap = hashingTap();
	const sink = file
		? fs.createWriteStream(file, {flags: 'wx'})
		: new Writable({
				write(_chunk, _encoding, callback) {
					callback();
				},
			});
	await pipeline(entry.open(), tap.transform, sink);
	return tap.result();
}

async function hashFile(file: string): Promise<string> {
	const hash = crypto.createHash('sha256');
	for await (const chunk of fs.createReadStream(file, {highWaterMark: 1024 * 1024})) hash.update(chunk as Buffer);
	return hash.digest('hex');
}


type PendingSealed = {table: string; column: string; newId: string; oldId: string; live: StoredValue; replaceLive: boolean};

/**
 * Whether a pass restoring `categories` reads this entry whole and checks its size and SHA-256
 * against the manifest (record, then checkManifest): every entry of a category it restores. Verify
 * leaves those to the pass (checkedElsewhere).
 */
export function passChecksEntry(categories: readonly CategoryId[], archivePath: string): boolean {
	const route = routeEntry(archivePath);
	return 'category' in route && categories.includes(route.category);
}

/**
 * One pass over the archive against the live store. In `plan` mode it only classifies (new,
 * identical, conflict) and counts; in `apply` mode the same classification drives the writes,
 * inside the caller's open transaction and into the caller's staging folder. Sharing one code path
 * is what makes the plan's counts equal what the restore does.
 */
export class RestorePass {
	private readonly db: Database.Database;
	private readonly root: string;
	private readonly acc = new Map<CategoryId, CategoryAcc>();
	private readonly seen = new Map<string, {size: number; sha256: string}>();
	private readonly notes = new Map<string, number>();
	private readonly warnings: string[] = [];
	private readonly pendingSealed: PendingSealed[] = [];
	private readonly backupTargets = new Set<string>();
	private readonly liveHasRows = new Map<string, boolean>();
	private readonly liveInScope = new Map<string, number>();
	private readonly liveFilesInScope: Array<{category: CategoryId; target: string}> = [];
	private readonly liveFileTargets = new Set<string>();
	/** documents/files names left on disk by restored documents without a live row: settled once the whole backup is read (deleteMissing). */
	private readonly leftoverDocumentFiles: Array<{name: string; tenant: string}> = [];
	private documentFoldersHoldFiles: boolean | undefined;
	/** Agent ids (as in the archive) of the backup's agents rows; agents/<id>/ files must be one of them. */
	private readonly backupAgentIds = new Set<string>();
	/** The same agents after id remapping (their folders are the ones the restore writes). */
	private readonly restoredAgentIds = new Set<string>();
	/** Document id (as in the archive) → ext, from the backup's documents index. */
	private readonly backupDocuments = new Map<string, {ext: StoredValue; tenant: string}>();
	private references: ReferenceCheck | undefined;
	/** Ids of backup tables the restore does not write (or needs before their turn): see backup-ids.ts. */
	private backupIds: BackupIds | undefined;
	private dangling: DanglingCount | undefined;
	private danglingReferences: DanglingReference[] = [];
	private sealedRestored = 0;
	/** Tables read to the end (so a file whose owner is not among their rows can be refused at once). */
	private readonly tablesRead = new Set<string>();
	/** Rows read per table (tenants skipped by --into-tenant too): checked against metadata.json's counts. */
	private readonly rowsRead = new Map<string, number>();
	/** Files read before their owner's table (folder archives list files first): checked at the end. */
	private readonly ownerChecks: Array<{path: string; route: FileRoute}> = [];
	private readonly statements = new Map<string, Database.Statement>();
	private readonly walks = new Map<string, LiveWalk>();
	/** Tables whose live rows the archive lacks are found by the walk (deletionByWalk). */
	private readonly walkDeletions = new Map<string, DeleteByWalk>();
	private readonly quarantineSpools = new Map<string, JsonlSpool>();
	private readonly quarantinedTables: Record<string, number> = {};
	private readonly quarantinedFiles: Array<{category: CategoryId; target: string}> = [];
	private manifest: BackupManifest | undefined;
	private twoFactorBlock: Buffer | undefined;
	private secrets: TwoFactorSecrets | undefined;
	private unsealError: string | undefined;
	private sourceTenantPlan: string | undefined;
	private rows = 0;
	private bytesDone = 0;
	/** What apply mode wrote, counted as it writes (the plan-shaped totals come from the categories). */
	private readonly applied = {inserted: 0, quarantined: 0, deleted: 0, files: 0};
	private readonly hooks = testHooks();

	/**
	 * `staging` makes it apply (else it plans). `skipOrderedIds` (without id remapping only) lets
	 * the reference check skip the ids of tables nothing references while they come in order: the
	 * pass then throws IdsOutOfOrder when they do not, and is run again without it (planPass, and
	 * the applying path after a rollback). A replace then deletes the live rows of those tables
	 * that the archive lacks as its walk passes them (deletionByWalk), not by the table of ids.
	 */
	constructor(
		private readonly ctx: RestoreContext,
		private readonly staging?: Staging,
		private readonly passOptions: {skipOrderedIds?: boolean} = {},
	) {
		this.db = ctx.store.db;
		this.root = ctx.store.paths.root;
		for (const id of ctx.categories) this.acc.set(id, {tables: new Map(), files: emptyCounts(), fileCount: 0, fileBytes: 0, conflicts: [], conflictTotal: 0});
	}

	private get applying(): boolean {
		return this.staging !== undefined;
	}

	/** Overwrite and replace write the backup's version of a conflicting entry; additive quarantines it. */
	private get backupWins(): boolean {
		return backupWins(this.ctx.mode);
	}

	/** The live table walked in id order beside the archive's rows (live-walk.ts). */
	private liveWalk(codec: TableCodec): LiveWalk {
		const table = codec.spec.name;
		let walk = this.walks.get(table);
		if (!walk) {
			const deletion = this.deletionByWalk(codec);
			walk = new LiveWalk(this.db, codec, deletion && ((row, rowid) => deletion.passed(row, rowid)));
			this.walks.set(table, walk);
		}
		return walk;
	}

	/**
	 * Whether an applying replace may find the live rows of `table` the archive lacks by its walk
	 * (the others' ids are remembered). Not the tenants and documents, whose live rows the pass
	 * reads again as it goes (a slug clash, a file two tenants' documents share): a row deleted
	 * mid-pass would change those answers. Not a table where writing one row can remove or add
	 * others (a foreign schema's triggers, foreign keys or extra UNIQUE indexes), nor a WITHOUT
	 * ROWID one: the walk could no longer tell the rows the archive lacks.
	 */
	private walkCanDelete(table: string): boolean {
		if (!(this.applying && this.ctx.mode === 'replace')) return true;
		return table !== 'tenants' && table !== 'documents' && deletableByWalk(this.db, table) && writesInPlace(this.db, codecFor(tableSpec(table)));
	}

	/**
	 * An applying replace whose reference check does not remember this table's ids finds the live
	 * rows the archive lacks by its walk (walk-deletion.ts); undefined otherwise.
	 */
	private deletionByWalk(codec: TableCodec): DeleteByWalk | undefined {
		const table = codec.spec.name;
		if (!(this.applying && this.ctx.mode === 'replace' && this.references!.skips(table))) return undefined;
		let deletion = this.walkDeletions.get(table);
		if (!deletion) {
			deletion = new DeleteByWalk(this.db, codec, this.scopeSql(table), this.ctx.scopeTenantIds);
			this.walkDeletions.set(table, deletion);
		}
		return deletion;
	}

	private statement(key: string, sql: string): Database.Statement {
		let statement = this.statements.get(key);
		if (!statement) {
			statement = this.db.prepare(sql);
			this.statements.set(key, statement);
		}
		return statement;
	}

	private scopeSql(table: string): string {
		const column = table === 'tenants' ? 'id' : 'tenant_id';
		return `${column} IN (${this.ctx.scopeTenantIds.map(() => '?').join(', ') || 'NULL'})`;
	}

	/** The tenants table is left alone by --into-tenant, and by a restore told to keep it (lifeboat serve's imports). */
	private keepsTenantRows(): boolean {
		return this.ctx.intoTenant !== null || this.ctx.options.keepTenantRows === true;
	}

	/** Tables whose rows the restore writes (the tenants table is left alone by --into-tenant). */
	private restoredTables(): Array<{category: CategoryId; table: string}> {
		return this.ctx.categories.flatMap(category =>
			categorySpec(category)
				.tables.filter(table => !(table === 'tenants' && this.keepsTenantRows()))
				.map(table => ({category, table})),
		);
	}

	/** Reads what the pass needs from the live store before anything changes. */
	private snapshotLive(): void {
		for (const {table} of this.restoredTables()) {
			this.liveHasRows.set(table, this.db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() !== undefined);
			if (this.ctx.mode === 'replace') {
				const row = this.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${this.scopeSql(table)}`).get(...this.ctx.scopeTenantIds) as {n: number};
				this.liveInScope.set(table, row.n);
			}
		}
		if (this.ctx.mode !== 'replace') return;
		// Paths are built from LIVE ids here, and replace deletes what it finds: a live id that is
		// not a safe id (a row written by something else, or an older Lifeboat) is skipped with a
		// warning, and every path is checked against the shapes restore may touch.
		const scope = this.ctx.scopeTenantIds;
		if (this.ctx.categories.includes('agents')) {
			for (const {id} of this.db.prepare(`SELECT id FROM agents WHERE ${this.scopeSql('agents')}`).all(...scope) as Array<{id: unknown}>) this.liveAgentFolder(id);
		}
		if (this.ctx.categories.includes('documents')) {
			for (const {id, ext, tenant} of this.db.prepare(`SELECT id, ext, tenant_id AS tenant FROM documents WHERE ${this.scopeSql('documents')}`).all(...scope) as Array<{id: unknown; ext: unknown; tenant: string}>) {
				this.liveDocumentFiles(id, ext, tenant);
			}
		}
		for (const category of this.ctx.categories) {
			for (const spec of categorySpec(category).files ?? []) {
				if (fs.lstatSync(path.join(this.root, spec.path), {throwIfNoEntry: false})) this.addLiveFile(category, spec.path);
			}
		}
	}

	/** A live file replace may delete, if it is one of the shapes restore manages. */
	private addLiveFile(category: CategoryId, target: string): void {
		if (!isRestorableTarget(target)) {
			this.warnings.push(`${JSON.stringify(target).slice(0, 120)}: not a path restore manages; left alone`);
			return;
		}
		// One name can be the file of several documents (ids and extensions hold dots): counted once.
		if (this.liveFileTargets.has(target)) return;
		this.liveFileTargets.add(target);
		this.liveFilesInScope.push({category, target});
	}

	/** Every file under agents/<id>/ (an agent in scope, or a restored agent whose folder outlived its row). */
	private liveAgentFolder(id: unknown): void {
		// An id that cannot name a folder (empty, `..`, a slash) has none.
		if (!isPathSegment(id)) return;
		const dir = path.join(this.root, 'agents', id);
		const stats = fs.lstatSync(dir, {throwIfNoEntry: false});
		if (!stats) return;
		if (!stats.isDirectory()) {
			this.warnings.push(`agents/${id} is a link or not a folder; left alone`);
			return;
		}
		for (const file of walkFiles(dir)) this.addLiveFile('agents', `agents/${id}/${file}`);
	}

	/** A document's live file and text (a document in scope, or a restored one whose files outlived its row). */
	private liveDocumentFiles(id: unknown, ext: unknown, tenant: string): void {
		const name = documentFileName(id, ext);
		// A file that is also another tenant's document's (ids and extensions may hold dots) is theirs too: never deleted.
		const shared = name !== undefined && fileSharedWithAnotherTenant(this.db, name, tenant);
		if (shared) this.warnings.push(sharedFileLeftAlone(`documents/files/${name}`));
		// A JSON bundle made without --include-files holds no document files: the live ones stay.
		const keepFiles = Boolean(this.ctx.metadata.omittedDocumentFiles);
		const names = [name && !shared && !keepFiles && `documents/files/${name}`, documentTextName(id) && `documents/text/${documentTextName(id)}`];
		for (const target of names) {
			if (target && fs.lstatSync(path.join(this.root, ...target.split('/')), {throwIfNoEntry: false})) this.addLiveFile('documents', target);
		}
	}

	/**
	 * Replace: a restored agent or document with no live row may still have live files (a folder
	 * whose row was deleted, or files written before their row): the restored entity owns them now,
	 * so the ones the backup does not hold go, as they would for a live row. No other tenant's row
	 * can own them: a live row with the same id is this row's live side (or an id collision, refused).
	 */
	private liveFilesWithoutRow(codec: TableCodec, values: RowValues): void {
		if (codec.spec.name === 'agents') this.liveAgentFolder(values[0]);
		else if (codec.spec.name === 'documents' && this.liveDocumentFolders()) this.leftoverDocument(values[0], values[codec.extColumn!] ?? null, values[1] as string);
	}

	/**
	 * A restored document without a live row: its leftover text now, its leftover file once the
	 * whole backup is read, since whether another tenant's document owns that name must not depend
	 * on the rows this pass has written so far (the plan writes none).
	 */
	private leftoverDocument(id: unknown, ext: unknown, tenant: string): void {
		const text = documentTextName(id);
		if (text && fs.lstatSync(path.join(this.root, 'documents', 'text', text), {throwIfNoEntry: false})) this.addLiveFile('documents', `documents/text/${text}`);
		const name = documentFileName(id, ext);
		if (!name || this.ctx.metadata.omittedDocumentFiles) return;
		if (fs.lstatSync(path.join(this.root, 'documents', 'files', name), {throwIfNoEntry: false})) this.leftoverDocumentFiles.push({name, tenant});
	}

	/** Another tenant's document owns `name` after the restore: a live one outside the restored tenants, or one of the backup's. */
	private ownedByAnotherTenant(name: string, tenant: string): boolean {
		const scope = this.ctx.scopeTenantIds;
		if (documentFileOwners(this.db, name).some(owner => owner.tenant !== tenant && !scope.includes(owner.tenant))) return true;
		for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
			// Ids as in the archive: only an --into-tenant restore remaps, and it brings one tenant.
			const backup = this.ctx.mapper.remaps ? undefined : this.backupDocuments.get(name.slice(0, dot));
			if (backup && backup.ext === name.slice(dot + 1) && backup.tenant !== tenant) return true;
		}
		return false;
	}

	/** Whether documents/files or documents/text hold anything (a restore into an empty store skips the look-ups). */
	private liveDocumentFolders(): boolean {
		this.documentFoldersHoldFiles ??= ['files', 'text'].some(folder => {
			let dir: fs.Dir | undefined;
			try {
				dir = fs.opendirSync(path.join(this.root, 'documents', folder));
				return dir.readSync() !== null;
			} catch {
				return false;
			} finally {
				dir?.closeSync();
			}
		});
		return this.documentFoldersHoldFiles;
	}

	private progress(category: CategoryId): void {
		const onProgress = this.ctx.options.onProgress;
		if (!onProgress) return;
		if (this.applying) onProgress({phase: 'apply', category, rows: this.rows, bytesDone: this.bytesDone, bytesTotal: this.ctx.metadata.totalBytes});
		else onProgress({phase: 'plan', category, rows: this.rows});
	}

	private checkAbort(): void {
		const signal = this.ctx.options.signal;
		if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new LifeboatError('interrupted', 'Restore interrupted; nothing was changed');
	}

	private record(entry: ArchiveEntry, digest: {size: number; sha256: string}): void {
		if (this.seen.has(entry.path)) throw new LifeboatError('unsafe-archive', `${entry.path}: appears twice in the archive; nothing was restored`);
		this.seen.set(entry.path, digest);
		this.bytesDone += digest.size;
	}

	private selected(route: EntryRoute): boolean {
		if (route.kind === 'metadata' || route.kind === 'manifest' || route.kind === 'index' || route.kind === 'unknown' || route.kind === 'unsafe') return true;
		return this.ctx.categories.includes(route.category);
	}

	async run(): Promise<PassOutcome> {
		try {
			return await this.runPass();
		} finally {
			// Quarantine files of a pass that failed are discarded with its staging: closed first, no
			// descriptor left open, and a failure to close never hides the pass's own error.
			for (const spool of this.quarantineSpools.values()) {
				try {
					spool.close();
				} catch {}
			}
			this.quarantineSpools.clear();
		}
	}

	private async runPass(): Promise<PassOutcome> {
		// Random-access archives: the manifest up front; tar.gz: when reached (it is last).
		this.manifest = await readManifestUpFront(this.ctx.options);
		this.snapshotLive();
		const skipOrderedIds = !this.ctx.mapper.remaps && this.passOptions.skipOrderedIds === true;
		const remembered = new Set(this.restoredTables().flatMap(({table}) => (this.walkCanDelete(table) ? [] : [table])));
		this.references = new ReferenceCheck(this.db, {live: true, restored: new Set(this.restoredTables().map(({table}) => table)), skipOrderedIds, remembered});
		try {
			await this.readOutside();
			await this.readArchive();
			this.references.finish();
			this.references.inbound({replaced: this.ctx.mode === 'replace' ? this.ctx.scopeTenantIds : undefined});
			this.danglingReferences = this.dangling?.result() ?? [];
		} finally {
			this.backupIds?.close();
		}
		try {
			const dangling = formatDangling(this.danglingReferences, this.ctx.categories);
			if (dangling) this.warnings.push(dangling);
			for (const {path: where, route} of this.ownerChecks) this.checkOwner(where, route, true);
			this.checkManifest();
			this.checkCounts();
			if (this.ctx.categories.includes('users') && this.ctx.metadata.twoFactor) await this.unseal();
			this.resolveSealed();
			// Replace deletes the live rows whose ids the reference check did not see in the archive.
			if (this.ctx.mode === 'replace') this.deleteMissing();
		} finally {
			this.references.close();
		}
		this.closeSpools();
		return this.outcome();
	}

	/** Audit actors are remapped by --into-tenant when they name a user of the backup. */
	private get remapsActors(): boolean {
		return this.ctx.mapper.remaps && this.ctx.categories.includes('audit') && this.ctx.metadata.categories.includes('users');
	}

	/**
	 * Before the pass: the ids of the backup's tables that restored rows point at but the restore
	 * leaves out (--only, --into-tenant), and of its users when audit actors may need remapping
	 * (an archive may list the audit log before the users).
	 */
	private async readOutside(): Promise<void> {
		const targets = danglingTargets(new Set(this.restoredTables().map(({table}) => table)), this.ctx.metadata);
		const tables = new Set(targets.keys());
		if (this.remapsActors) tables.add('users');
		if (tables.size === 0) return;
		this.backupIds = new BackupIds(this.db);
		await this.backupIds.load(this.ctx.options.source, tables, this.ctx.backupTenantIds, this.ctx.options.signal);
		this.dangling = new DanglingCount(this.db, this.backupIds, targets, this.ctx.mapper);
	}

	/**
	 * --into-tenant ids: the mapper's (ids, tenant, references), and an audit entry's actor when it
	 * names a user of the backup; any other actor ('lifeboat', an email, an unknown user) is kept.
	 */
	private remap(codec: TableCodec, values: RowValues): void {
		const actorIndex = codec.spec.name === 'audit_log' ? codec.names.indexOf('actor') : -1;
		const actor = actorIndex >= 0 ? values[actorIndex] : undefined;
		this.ctx.mapper.values(codec, values);
		if (typeof actor === 'string' && this.remapsActors && this.backupIds?.has('users', actor)) values[actorIndex] = this.ctx.mapper.id(actor);
	}

	private async readArchive(): Promise<void> {
		for await (const entry of openArchive(this.ctx.options.source).entries()) {
			this.checkAbort();
			if (entry.kind === 'directory') continue;
			const route = routeEntry(entry.path);
			if (route.kind === 'unsafe') throw new LifeboatError('unsafe-archive', `${entry.path}: ${route.reason}; nothing was restored`);
			if (!this.selected(route)) continue;
			switch (route.kind) {
				case 'metadata':
				case 'manifest':
				case 'two-factor': {
					const text = await readAll(entry, route.kind === 'two-factor' ? MAX_SMALL_ENTRY : jsonEntryCeiling(entry.path));
					this.record(entry, {size: text.length, sha256: crypto.createHash('sha256').update(text).digest('hex')});
					if (route.kind === 'metadata' && parseMetadata(text).id !== this.ctx.metadata.id) throw corrupt('metadata.json changed while restoring');
					if (route.kind === 'manifest') this.manifest ??= parseManifest(text);
					if (route.kind === 'two-factor') this.twoFactorBlock = text;
					break;
				}
				case 'table':
					await this.table(entry, route);
					break;
				case 'index':
					this.record(entry, await consumeEntry(entry));
					break;
				case 'unknown':
					this.record(entry, await consumeEntry(entry));
					this.warnings.push(`${entry.path}: not a part of a backup this Lifeboat knows; skipped`);
					break;
				default:
					await this.file(entry, route);
			}
		}
	}

	private counts(category: CategoryId, table: string): TableCounts {
		const acc = this.acc.get(category)!;
		let counts = acc.tables.get(table);
		if (!counts) {
			counts = emptyCounts();
			acc.tables.set(table, counts);
		}
		return counts;
	}

	private conflict(category: CategoryId, ref: ConflictRef): void {
		const acc = this.acc.get(category)!;
		acc.conflictTotal++;
		if (acc.conflicts.length < CONFLICT_ID_LIMIT) acc.conflicts.push(ref);
	}

	private note(field: string, count = 1): void {
		this.notes.set(field, (this.notes.get(field) ?? 0) + count);
	}

	private async table(entry: ArchiveEntry, route: Extract<EntryRoute, {kind: 'table'}>): Promise<void> {
		const codec = codecFor(route.table);
		const table = route.table.name;
		const skipRows = table === 'tenants' && this.keepsTenantRows();
		let line = 0;
		const onLine = (text: string) => {
			line++;
			const where = `${entry.path} line ${line}`;
			const values = rowValuesChecked(codec, text, where, this.ctx.backupTenantIds);
			this.rowsRead.set(table, (this.rowsRead.get(table) ?? 0) + 1);
			if (skipRows) {
				if (values[0] === this.ctx.mapper.sourceTenantId) this.sourceTenantPlan = String(values[codec.names.indexOf('plan')]);
				return;
			}
			this.row(codec, route.category, values, where);
		};
		this.record(entry, await this.readLines(entry, onLine));
		this.tablesRead.add(table);
		this.references!.tableDone(table);
		this.progress(route.category);
	}

	/** One row of the archive: remapped, checked for references, classified, then applied. */
	private row(codec: TableCodec, category: CategoryId, values: RowValues, where: string): void {
		const table = codec.spec.name;
		const oldId = values[0] as string;
		this.dangling?.row(codec, values);
		this.remap(codec, values);
		if (table === 'documents') this.backupDocuments.set(oldId, {ext: values[codec.extColumn!] ?? null, tenant: values[1] as string});
		this.references!.row(codec, values, where);
		const id = values[0] as string;
		if (table === 'agents') {
			this.backupAgentIds.add(oldId);
			this.restoredAgentIds.add(id);
		}
		const walk = this.liveHasRows.get(table) ? this.liveWalk(codec) : undefined;
		const live = walk?.get(id);
		let status: Status = 'new';
		if (live) {
			if (live[1] !== values[1]) {
				throw new LifeboatError('conflict', `${table} ${showId(id)} already exists in tenant ${showId(live[1])}, not ${showId(values[1])} (id collision); nothing was restored`, {
					forClients: `${table} ${showId(id)} already exists in another tenant (id collision); nothing was restored`,
				});
			}
			status = sameContent(codec, live, values) ? 'identical' : 'conflict';
		}
		if (table === 'tenants' && status === 'new') this.refuseSlugClash(codec, values);
		if (!live && this.ctx.mode === 'replace') this.liveFilesWithoutRow(codec, values);
		const counts = this.counts(category, table);
		if (status === 'new') counts.new++;
		else if (status === 'identical') counts.identical++;
		else {
			counts.conflicts++;
			this.conflict(category, {table, id});
		}
		this.applyRow(codec, category, values, {status, oldId, live, rowid: walk?.foundRowid, where});
		this.rows++;
		if (this.rows % 20_000 === 0) this.progress(category);
		if (this.applying && this.hooks.failAfterRows !== undefined && this.rows >= this.hooks.failAfterRows) {
			throw new LifeboatError('interrupted', `Test failure injected after ${this.rows} rows`);
		}
		if (this.applying && this.hooks.pauseAfterRows !== undefined && this.rows === this.hooks.pauseAfterRows) pauseForever(`after ${this.rows} rows`);
	}

	/** A new tenant may not take a slug another live tenant (not one this backup brings) already has. */
	private refuseSlugClash(codec: TableCodec, values: RowValues): void {
		const slug = values[codec.names.indexOf('slug')];
		const clash = this.statement('slug-clash', `SELECT id FROM tenants WHERE slug = ? AND id <> ?`).all(bindValue(slug ?? null).param, values[0]) as Array<{id: string}>;
		const other = clash.find(row => !this.ctx.backupTenantIds.has(row.id));
		if (other) {
			throw new LifeboatError('conflict', `tenant ${showId(values[0])} has the slug ${showId(slug)}, which tenant ${showId(other.id)} already uses here; restore it into that tenant with --into-tenant, or rename one; nothing was restored`, {
				forClients: `tenant ${showId(values[0])} has the slug ${showId(slug)}, which another tenant already uses here; nothing was restored`,
			});
		}
	}

	/**
	 * Writes (apply mode) what the classification decided: a conflict of an additive restore goes
	 * to quarantine, new and (overwrite, replace) conflicting rows are written with their secrets resolved,
	 * identical rows stay, apart from a sealed 2FA secret the backup can bring back (resolveSealed).
	 */
	private applyRow(codec: TableCodec, category: CategoryId, values: RowValues, row: {status: Status; oldId: string; live: RowValues | undefined; rowid: unknown; where: string}): void {
		const table = codec.spec.name;
		const {status, oldId, live} = row;
		if (status === 'conflict' && !this.backupWins) {
			if (!this.applying) return;
			this.quarantineSpool(category, table).write(encodeRow(codec, values));
			this.quarantinedTables[`${category}/${table}`] = (this.quarantinedTables[`${category}/${table}`] ?? 0) + 1;
			this.applied.quarantined++;
			return;
		}
		if (status === 'identical') {
			this.pendSealed(codec, values, oldId, live);
			return;
		}
		this.fillSecrets(codec, values, oldId, live);
		if (!this.applying) return;
		try {
			// A conflicting row (live, same id and tenant) is rewritten in place where that equals a REPLACE.
			if (status === 'new' || !updateRow(this.db, codec, values, row.rowid)) writeRow(this.db, codec, values, {replace: status !== 'new'});
		} catch (error) {
			if ((error as {code?: string}).code?.startsWith('SQLITE_CONSTRAINT')) throw corrupt(`${row.where}: ${table} ${showId(values[0])} appears twice in the backup`);
			throw error;
		}
		this.applied.inserted++;
	}

	/**
	 * A file of an agent or a document belongs to a row of the same backup: agents/<id>/… to a row
	 * of agents.jsonl, documents/files/<id>.<ext> and documents/text/<id>.txt to a row of the
	 * documents index (with that ext). Rows are checked to be in the restore's tenants, so this is
	 * what keeps a one-tenant backup from writing another tenant's files. Checked as the file is
	 * read when its table came first, else once the whole archive is read (before anything is
	 * written live: staged files are discarded).
	 */
	private checkOwner(where: string, route: FileRoute, final: boolean): void {
		if (route.kind === 'gateway-file') return;
		const table = route.kind === 'agent-file' ? 'agents' : 'documents';
		if (!final && !this.tablesRead.has(table)) {
			this.ownerChecks.push({path: where, route});
			return;
		}
		const problem =
			route.kind === 'agent-file'
				? this.backupAgentIds.has(route.ownerId)
					? undefined
					: `agent ${route.ownerId} is not in this backup's agents`
				: !this.backupDocuments.has(route.ownerId)
					? `document ${route.ownerId} is not in this backup's documents index`
					: route.kind === 'document-file' && this.backupDocuments.get(route.ownerId)!.ext !== route.ext
						? `document ${route.ownerId} has extension ${String(this.backupDocuments.get(route.ownerId)!.ext)} in the documents index, not ${route.ext}`
						: undefined;
		if (problem) throw new LifeboatError('unsafe-archive', `${where}: ${problem}; nothing was restored`);
	}

	/**
	 * Secret columns of a row about to be written. `redact` columns keep the live secret where the
	 * backup has the marker (replace of an existing row), else stay the marker (re-enter); a NOT NULL
	 * one the backup left null becomes the marker. `encrypt` columns are written from the sealed
	 * block once it is read (resolveSealed); until then they hold the live value or NULL, never
	 * the pointer text.
	 */
	private fillSecrets(codec: TableCodec, values: RowValues, oldId: string, live: RowValues | undefined): void {
		// A scrubbed column equal to the live one once scrubbed keeps the live value (with its
		// credentials); one that really changed is written as backed up, markers included.
		for (const index of codec.scrubbed) {
			const value = values[index] ?? null;
			if (!holdsMarker(value)) continue;
			if (live && sameValue(codec, index, live[index], value)) values[index] = live[index] ?? null;
			else this.note(`${codec.spec.name}.${codec.names[index]}`);
		}
		for (const index of codec.redacted) {
			const value = values[index];
			const column = codec.columns[index]!;
			if (value === REDACTED_MARKER || (value === null && !column.nullable)) {
				if (live && isLiveSecret(live[index])) values[index] = live[index]!;
				else {
					values[index] = REDACTED_MARKER;
					this.note(`${codec.spec.name}.${column.name}`);
				}
			}
		}
		for (const index of codec.sealed) {
			const liveValue = live ? (live[index] ?? null) : null;
			if (values[index] !== null) {
				this.pendingSealed.push({table: codec.spec.name, column: codec.names[index]!, newId: values[0] as string, oldId, live: liveValue, replaceLive: true});
			}
			values[index] = isLiveSecret(liveValue) ? liveValue : null;
		}
	}

	/**
	 * An identical row's sealed columns (compared rows leave secrets out): the backup's secret is
	 * still brought back when the block opens, over a different live one in overwrite and replace
	 * mode, where there is none in additive mode.
	 */
	private pendSealed(codec: TableCodec, values: RowValues, oldId: string, live: RowValues | undefined): void {
		for (const index of codec.sealed) {
			if (values[index] === null) continue;
			const liveValue = live ? (live[index] ?? null) : null;
			this.pendingSealed.push({table: codec.spec.name, column: codec.names[index]!, newId: values[0] as string, oldId, live: liveValue, replaceLive: this.backupWins});
		}
	}

	private async unseal(): Promise<void> {
		if (!this.twoFactorBlock) {
			this.unsealError = 'the 2FA block is missing from the backup';
			return;
		}
		const result = await unsealTwoFactor(this.twoFactorBlock, {passphrase: this.ctx.options.passphrase, keyFile: this.ctx.options.keyFile, gatewayKeyFile: this.ctx.store.paths.backupKey});
		if ('secrets' in result) this.secrets = result.secrets;
		else this.unsealError = result.error;
	}

	private resolveSealed(): void {
		if (this.pendingSealed.length === 0) return;
		const secrets = this.secrets;
		const missing = new Map<string, number>();
		for (const pending of this.pendingSealed) {
			// Ids are any text ('__proto__', 'toString'): only an own key of the block counts.
			const byId = secrets?.[pending.table]?.[pending.column];
			const raw = byId && Object.hasOwn(byId, pending.oldId) ? byId[pending.oldId] : undefined;
			const value = raw === undefined ? null : decodeValue(raw, 'TEXT');
			if (value !== null && !isProblem(value)) {
				if (isLiveSecret(pending.live) && (!pending.replaceLive || sameStored(pending.live, value))) continue;
				this.sealedRestored++;
				if (!this.applying) continue;
				const bound = bindValue(value);
				const sql = `UPDATE ${pending.table} SET ${pending.column} = ${bound.castText ? 'CAST(? AS TEXT)' : '?'} WHERE id = ?`;
				this.statement(`seal:${pending.table}.${pending.column}:${bound.castText}`, sql).run(bound.param, pending.newId);
			} else if (!isLiveSecret(pending.live)) {
				const field = `${pending.table}.${pending.column}`;
				missing.set(field, (missing.get(field) ?? 0) + 1);
			}
		}
		for (const [field, count] of missing) {
			this.note(field, count);
			this.warnings.push(`${count} user${count === 1 ? '' : 's'} must re-enroll 2FA (${this.unsealError ?? 'no secret in the 2FA block'})`);
		}
	}

	private async readLines(entry: ArchiveEntry, onLine: (line: string) => void): Promise<{size: number; sha256: string}> {
		const hash = crypto.createHash('sha256');
		const splitter = new LineSplitter({what: entry.path, maxLineBytes: MAX_LINE});
		// Blank lines carry no row (verify numbers lines the same way).
		const emit = (line: string) => {
			if (line.trim().length > 0) onLine(line);
		};
		let size = 0;
		try {
			for await (const chunk of entry.open()) {
				const buffer = chunk as Buffer;
				hash.update(buffer);
				bufferAllocated(buffer.length);
				size += buffer.length;
				splitter.push(buffer, emit);
				this.checkAbort();
			}
			splitter.end(emit);
		} catch (error) {
			// The splitter names the entry; a restore adds that nothing was changed.
			if (error instanceof LifeboatError && error.code === 'corrupt-archive' && !error.message.endsWith('nothing was restored')) throw corrupt(error.message);
			throw error;
		}
		return {size, sha256: hash.digest('hex')};
	}

	private async file(entry: ArchiveEntry, route: FileRoute): Promise<void> {
		this.checkOwner(entry.path, route, false);
		const policy = route.kind === 'agent-file' ? agentFilePolicy(route.rest) : undefined;
		if (await this.fileNotRestorable(entry, route, policy)) return;
		const target = fileTarget(route, this.ctx.mapper);
		if (this.backupTargets.has(target)) throw new LifeboatError('unsafe-archive', `${entry.path}: lands on ${target}, which another entry of this archive writes; nothing was restored`);
		if (route.kind === 'document-file' && this.sharedWithAnotherTenant(route, target)) {
			this.record(entry, await consumeEntry(entry));
			this.backupTargets.add(target);
			this.warnings.push(sharedFileLeftAlone(target));
			return;
		}
		const live = safeTarget(this.root, target);
		const liveStats = fs.statSync(live, {throwIfNoEntry: false});
		let compared: StagedFileCompare | undefined;
		if ((route.kind === 'gateway-file' && route.spec.kind === 'json') || policy === 'redact-json') {
			compared = await this.compareJsonFile(entry, target, live, liveStats, policy);
			if (!compared) return;
		} else if (policy === 'copy' && entry.size <= MAX_SMALL_ENTRY) {
			compared = await this.compareProseFile(entry, target, live, liveStats);
		} else {
			compared = await this.compareCopiedFile(entry, live, liveStats);
		}
		this.countFile(route, target, compared);
		this.settleFile(route, target, compared);
	}

	/**
	 * Entries read but not restored: agent files other than prose and JSON, and document files
	 * whose remapped id no longer fits a file name. True when the entry was handled so.
	 */
	private async fileNotRestorable(entry: ArchiveEntry, route: FileRoute, policy: AgentFilePolicy | undefined): Promise<boolean> {
		if (policy === 'skip') {
			// Only prose and JSON travel in agent folders (agent-files.ts); anything else in an archive
			// (an older backup, or a crafted one) is not restored.
			this.record(entry, await consumeEntry(entry));
			this.warnings.push(`${entry.path}: not restored (only .md, .txt and .json agent files are; others may hold credentials)`);
			return true;
		}
		if (route.kind === 'document-file' && this.ctx.mapper.remaps && !documentFileName(this.ctx.mapper.id(route.ownerId), route.ext)) {
			// --into-tenant made a short id longer: `<new id>.<ext>` no longer fits a file name. The row
			// is restored without its file (as a backup keeps such a row), and the operator is told.
			this.record(entry, await consumeEntry(entry));
			this.warnings.push(`${entry.path}: document ${showId(route.ownerId)} remapped to ${showId(this.ctx.mapper.id(route.ownerId))} no longer fits a file name with its extension; row restored without its file`);
			return true;
		}
		return false;
	}

	/** A JSON file (gateway config, agent JSON): compared and staged with live secrets merged in. Undefined: an agent JSON file that does not parse, not restored. */
	private async compareJsonFile(entry: ArchiveEntry, target: string, live: string, liveStats: fs.Stats | undefined, policy: AgentFilePolicy | undefined): Promise<StagedFileCompare | undefined> {
		const text = await readAll(entry, MAX_SMALL_ENTRY);
		const size = text.length;
		this.record(entry, {size, sha256: crypto.createHash('sha256').update(text).digest('hex')});
		// The backup's text is kept byte for byte (markers aside): what the gateway wrote is what it gets back.
		const backupText = utf8Text(text);
		let merged: ReturnType<typeof mergeRedactedText>;
		const liveText = liveStats ? utf8Text(fs.readFileSync(live)) : undefined;
		try {
			if (backupText === undefined) throw new SyntaxError('not UTF-8');
			merged = mergeRedactedText(backupText, liveText);
		} catch {
			if (policy !== 'redact-json') throw corrupt(`${entry.path}: not valid JSON`);
			this.warnings.push(`${entry.path}: not valid JSON; not restored`);
			return undefined;
		}
		let liveJson: unknown;
		let liveValid = false;
		if (liveText !== undefined) {
			try {
				liveJson = parseJsonBounded(liveText);
				liveValid = true;
			} catch {
				liveValid = false;
			}
		}
		// Identical when the live file, redacted the way a backup writes it, is the backup's file
		// byte for byte, or when writing the backup (live secrets kept) changes nothing.
		const unchanged = () => text.equals(Buffer.from(redactJsonText(liveText!).text)) || merged.text === liveText || deepEqual(merged.value, liveJson);
		const status: Status = !liveStats ? 'new' : liveValid && unchanged() ? 'identical' : 'conflict';
		if ((status === 'new' || (status === 'conflict' && this.backupWins)) && merged.unresolved.length > 0) {
			this.note(`${target}:${merged.unresolved.join(',')}`, merged.unresolved.length);
		}
		let staged: string | undefined;
		if (this.applying && status !== 'identical') {
			// New or replacing: the merged document. Quarantined: the backup's own version (merged with
			// whatever is live when it is accepted), so no live secret is copied into the quarantine.
			staged = this.staging!.newFile();
			const merge = status === 'new' || this.backupWins;
			fs.writeFileSync(staged, merge ? merged.text : text, {flag: 'wx'});
		}
		return {status, staged, size};
	}

	/**
	 * Agent prose, backed up with pasted credentials scrubbed: identical when the live file,
	 * scrubbed the same way, is the backup's file (its secrets are kept, never the markers).
	 */
	private async compareProseFile(entry: ArchiveEntry, target: string, live: string, liveStats: fs.Stats | undefined): Promise<StagedFileCompare> {
		const text = await readAll(entry, MAX_SMALL_ENTRY);
		const size = text.length;
		this.record(entry, {size, sha256: crypto.createHash('sha256').update(text).digest('hex')});
		const liveText = liveStats && liveStats.size <= MAX_SMALL_ENTRY ? fs.readFileSync(live) : undefined;
		// Markers are read in the file's own encoding (a UTF-16 file holds them in UTF-16).
		const markers = textFileMarkers(text);
		const same = liveText !== undefined && (liveText.equals(text) || (markers.count > 0 && scrubTextBytes(liveText).bytes.equals(text)));
		const status: Status = !liveStats ? 'new' : same ? 'identical' : 'conflict';
		if ((status === 'new' || (status === 'conflict' && this.backupWins)) && markers.lines.length > 0) {
			this.note(`${target}:line ${markers.lines.join(',')}`, markers.count);
		}
		let staged: string | undefined;
		if (this.applying && status !== 'identical') {
			staged = this.staging!.newFile();
			fs.writeFileSync(staged, text, {flag: 'wx'});
		}
		return {status, staged, size};
	}

	/** Any other file: streamed to staging (when applying) and compared with live by size and hash. */
	private async compareCopiedFile(entry: ArchiveEntry, live: string, liveStats: fs.Stats | undefined): Promise<StagedFileCompare> {
		const staged = this.applying ? this.staging!.newFile() : undefined;
		const digest = await consumeEntry(entry, staged);
		this.record(entry, digest);
		const status: Status = !liveStats ? 'new' : liveStats.size === digest.size && (await hashFile(live)) === digest.sha256 ? 'identical' : 'conflict';
		return {status, staged, size: digest.size};
	}

	private countFile(route: FileRoute, target: string, {status, size}: StagedFileCompare): void {
		const acc = this.acc.get(route.category)!;
		this.backupTargets.add(target);
		acc.fileCount++;
		acc.fileBytes += size;
		if (status === 'new') acc.files.new++;
		else if (status === 'identical') acc.files.identical++;
		else {
			acc.files.conflicts++;
			this.conflict(route.category, {table: FILES_TABLE, id: target});
		}
	}

	/** Applying: an identical file's staged copy is dropped, a new or replacing one moved in, a conflicting one quarantined. */
	private settleFile(route: FileRoute, target: string, {status, staged}: StagedFileCompare): void {
		if (!this.applying || !staged) return;
		if (status === 'identical') {
			fs.rmSync(staged, {force: true});
		} else if (status === 'new' || this.backupWins) {
			this.staging!.move(staged, target);
			this.applied.files++;
		} else {
			const parked = path.join(this.staging!.quarantineDir, route.category, FILES_TABLE, ...target.split('/'));
			fs.mkdirSync(path.dirname(parked), {recursive: true});
			fs.renameSync(staged, parked);
			this.quarantinedFiles.push({category: route.category, target});
			this.applied.quarantined++;
		}
		this.progress(route.category);
	}

	/** A document file that is also the file of a live document of another tenant (than the restored one's). */
	private sharedWithAnotherTenant(route: Extract<FileRoute, {kind: 'document-file'}>, target: string): boolean {
		const name = target.slice('documents/files/'.length);
		const own = this.backupDocuments.get(route.ownerId)?.tenant;
		const allowed = own !== undefined ? [own] : this.ctx.scopeTenantIds;
		return documentFileOwners(this.db, name).some(owner => !allowed.includes(owner.tenant));
	}

	private quarantineSpool(category: CategoryId, table: string): JsonlSpool {
		const key = `${category}/${table}`;
		let spool = this.quarantineSpools.get(key);
		if (!spool) {
			spool = new JsonlSpool(path.join(this.staging!.quarantineDir, category, `${table}.jsonl`), {flags: 'a', fsync: true});
			this.quarantineSpools.set(key, spool);
		}
		return spool;
	}

	private closeSpools(): void {
		for (const spool of this.quarantineSpools.values()) spool.close();
		this.quarantineSpools.clear();
	}

	/** Every manifest entry of the selected categories was read, with its size and checksum. */
	private checkManifest(): void {
		const manifest = this.manifest;
		if (!manifest) throw corrupt('manifest.json: missing (the backup was not finished or was cut short)');
		const listed = new Set<string>();
		for (const file of manifest.files) {
			listed.add(file.path);
			if (!this.selected(routeEntry(file.path))) continue;
			const actual = this.seen.get(file.path);
			if (!actual) throw corrupt(`${file.path}: listed in the manifest but missing from the archive`);
			if (actual.size !== file.size || actual.sha256 !== file.sha256) throw corrupt(`${file.path}: checksum mismatch (file is corrupted)`);
		}
		for (const name of this.seen.keys()) {
			if (name !== 'manifest.json' && !listed.has(name)) throw corrupt(`${name}: in the archive but not in the manifest`);
		}
	}

	/**
	 * The restored categories hold what metadata.json says (verify-rows.ts and verify-backup.ts
	 * check the same): each table's rows, each category's files and bytes. The metadata's own
	 * consistency (every listed category counted, with all its tables) is read-metadata.ts's.
	 */
	private checkCounts(): void {
		const files = new Map<string, {files: number; bytes: number}>();
		for (const [name, {size}] of this.seen) {
			const route = routeEntry(name);
			if (!('category' in route)) continue;
			const total = files.get(route.category) ?? {files: 0, bytes: 0};
			total.files++;
			total.bytes += size;
			files.set(route.category, total);
		}
		for (const category of this.ctx.categories) {
			const expected = this.ctx.metadata.counts[category];
			if (!expected) throw corrupt(`metadata.json: categories lists ${category} but counts has no entry for it`);
			for (const [table, rows] of Object.entries(expected.tables)) {
				const actual = this.rowsRead.get(table) ?? 0;
				if (actual !== rows) throw corrupt(`${table}: ${actual} rows in the archive, metadata.json says ${rows} (${category})`);
			}
			const actual = files.get(category) ?? {files: 0, bytes: 0};
			if (actual.files !== expected.files || actual.bytes !== expected.bytes) {
				throw corrupt(`${category}: ${actual.files} files (${actual.bytes} bytes) in the archive, metadata.json says ${expected.files} (${expected.bytes} bytes)`);
			}
		}
	}

	/** Replace: counts (plan) or deletes (apply) live rows and files in scope the backup does not hold. */
	private deleteMissing(): void {
		for (const {category, table} of this.restoredTables()) {
			const counts = this.counts(category, table);
			const deletion = this.deletionByWalk(codecFor(tableSpec(table)));
			if (deletion) {
				counts.toDelete = deletion.finish(this.walks.get(table), this.liveHasRows.get(table) === true, this.rowsRead.get(table) ?? 0);
				this.applied.deleted += counts.toDelete;
			} else if (this.applying) {
				// The ids of every row the archive brought (after remapping), as the reference check keeps them.
				// A NULL id (a foreign writer's row) is in no backup: deleted too, as the plan counts it (NULL NOT IN is NULL, not true).
				const result = this.db.prepare(`DELETE FROM ${table} WHERE ${this.scopeSql(table)} AND (id IS NULL OR ${notInBackupSql(this.db, table)})`).run(...this.ctx.scopeTenantIds, table);
				counts.toDelete = result.changes;
				this.applied.deleted += result.changes;
			} else {
				counts.toDelete = Math.max(0, (this.liveInScope.get(table) ?? 0) - counts.identical - counts.conflicts);
			}
		}
		for (const {name, tenant} of this.leftoverDocumentFiles) {
			if (this.ownedByAnotherTenant(name, tenant)) this.warnings.push(sharedFileLeftAlone(`documents/files/${name}`));
			else this.addLiveFile('documents', `documents/files/${name}`);
		}
		for (const file of this.liveFilesInScope) {
			if (this.backupTargets.has(file.target)) continue;
			if (this.neverBackedUp(file.target)) continue;
			this.acc.get(file.category)!.files.toDelete++;
			if (this.applying) {
				this.staging!.remove(file.target);
				this.applied.deleted++;
			}
		}
	}

	/**
	 * A live file of a restored agent that no backup holds (agent-files.ts: not .md/.txt/.json, a
	 * dotfile, or JSON that does not parse): replace leaves it alone rather than deleting what it
	 * cannot restore. Files of agents the backup does not have go with their agent.
	 */
	private neverBackedUp(target: string): boolean {
		const agentId = agentOfTarget(target);
		if (agentId === undefined || !this.restoredAgentIds.has(agentId)) return false;
		const relative = target.slice(`agents/${agentId}/`.length);
		const policy = agentFilePolicy(relative);
		if (policy === 'skip') return true;
		if (policy !== 'redact-json') return false;
		try {
			const text = utf8Text(fs.readFileSync(path.join(this.root, ...target.split('/'))));
			if (text === undefined) return true;
			parseJsonBounded(text);
			return false;
		} catch {
			return true;
		}
	}

	/** The source tenant's plan (for a tenant --into-tenant creates). */
	get sourcePlan(): string | undefined {
		return this.sourceTenantPlan;
	}

	private outcome(): PassOutcome {
		const categories: CategoryPlan[] = [];
		for (const category of CATEGORIES) {
			const acc = this.acc.get(category.id);
			if (!acc) continue;
			const tables: Record<string, TableCounts> = {};
			const sum = emptyCounts();
			const add = (counts: TableCounts) => {
				sum.new += counts.new;
				sum.identical += counts.identical;
				sum.conflicts += counts.conflicts;
				sum.toDelete += counts.toDelete;
			};
			for (const table of category.tables) {
				const counts = acc.tables.get(table);
				if (!counts) continue;
				tables[table] = counts;
				add(counts);
			}
			add(acc.files);
			const primary = category.primaryTable ? tables[category.primaryTable] : undefined;
			const total = category.primaryTable ? (primary ? primary.new + primary.identical + primary.conflicts : 0) : acc.fileCount;
			categories.push({
				category: category.id,
				label: category.label,
				total,
				unit: category.primaryTable ? tableSpec(category.primaryTable).unit : 'files',
				files: acc.fileCount,
				bytes: this.ctx.metadata.counts[category.id]?.bytes ?? acc.fileBytes,
				tables,
				...sum,
				conflictIds: acc.conflicts.map(ref => ref.id),
				conflictIdsTruncated: acc.conflictTotal - acc.conflicts.length,
				conflictRefs: acc.conflicts,
				fileCounts: acc.files,
			});
		}
		const actions = new Map(this.ctx.metadata.redacted.map(note => [note.field.split(':')[0]!, note.action]));
		const secretsToReenter: RedactionNote[] = [...this.notes].map(([field, count]) => {
			const file = field.includes(':') ? field.split(':')[0]! : undefined;
			const table = file ? undefined : field.split('.')[0]!;
			const category = table ? tableSpec(table).category : file!.startsWith('agents/') ? 'agents' : (CATEGORIES.find(spec => spec.files?.some(entry => entry.path === file))?.id ?? 'config');
			const sealed = table ? tableSpec(table).columns.some(column => column.secret === 'encrypt' && `${table}.${column.name}` === field) : false;
			const action = sealed ? 're-enroll 2FA' : table === 'node_pairings' ? 're-pair the node' : (actions.get(field) ?? 're-enter after restore');
			return {category, field, count, action};
		});
		const twoFactor = this.ctx.metadata.twoFactor && this.ctx.categories.includes('users') ? {users: this.ctx.metadata.twoFactor.users, restorable: this.secrets !== undefined, restored: this.sealedRestored} : null;
		return {
			categories,
			secretsToReenter,
			warnings: this.warnings,
			danglingReferences: this.danglingReferences,
			twoFactor,
			applied: appliedCounts(categories, this.applied),
			quarantined: {tables: this.quarantinedTables, files: this.quarantinedFiles},
		};
	}
}

/**
 * A live row's id is not among the archive's (one `tbl = ?` parameter). NOT IN (SELECT …) had
 * SQLite copy the table's ids into a temporary index in memory first (~20 MB per million ids,
 * the peak of a large replace restore); NOT EXISTS looks each id up in the ids' own index. Both
 * compare with the live column's affinity and collation, so both delete the same rows; but where
 * that comparison is not the index's (a foreign schema: a numeric id, a NOCASE column under a
 * BINARY key), NOT EXISTS would scan every archive id for each live row, so the copy stays.
 */
export function notInBackupSql(db: Database.Database, table: string): string {
	const old = `id NOT IN (SELECT id FROM temp.lifeboat_ref_ids WHERE tbl = ?)`;
	if (!ordersByUtf8(db, table)) return old;
	const lookup = `NOT EXISTS (SELECT 1 FROM temp.lifeboat_ref_ids i WHERE i.tbl = ? AND ${table}.id = i.id)`;
	// Only where SQLite plans the correlated look-up on both columns of the ids' primary key.
	const indexed = queryPlan(db, `SELECT 1 FROM ${table} WHERE ${lookup}`).some(step => /^SEARCH i USING (COVERING INDEX \S+|PRIMARY KEY) \(tbl=\? AND id=\?\)/.test(step));
	return indexed ? lookup : old;
}

function rowValuesChecked(codec: TableCodec, line: string, where: string, tenants: Set<string>): RowValues {
	const values = parseRow(codec, line, where);
	const owner = rowTenant(codec, values);
	if (!tenants.has(owner)) throw new LifeboatError('unsafe-archive', `${where}: row of tenant ${showId(owner)}, which is not a tenant this backup covers; nothing was restored`);
	return values;
}

/** Files under a folder, relative and '/'-separated; symlinks and special files are skipped. */
export function walkFiles(dir: string): string[] {
	const out: string[] = [];
	const walk = (current: string, prefix: string) => {
		let entries: fs.Dirent[];
		try {
			entries = fs.readdirSync(current, {withFileTypes: true});
		} catch {
			return;
		}
		for (const entry of entries.sort((a, b) => compareCodeUnits(a.name, b.name))) {
			if (entry.isDirectory()) walk(path.join(current, entry.name), `${prefix}${entry.name}/`);
			else if (entry.isFile()) out.push(`${prefix}${entry.name}`);
		}
	};
	walk(dir, '');
	return out;
}
