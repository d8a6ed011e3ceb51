import crypto from 'node:crypto';
import fs from 'node:fs';
import type {BackupMetadata} from '../archive/archive-format.js';
import {readMetadata} from '../backup/read-metadata.js';
import {verifyBackup} from '../backup/verify-backup.js';
import path from 'node:path';
import {printable} from '../destinations/destination.js';
import {describeStoreError, LifeboatError, noRoomReason, restoreStoreFailure} from '../errors.js';
import {chmodPrivate, chmodTreePrivate, ensureDir, realPathOfDeepestAncestor} from '../private-fs.js';
import {gatewayPaths} from '../store/gateway-paths.js';
import {lockDetail, openEmptyStore, openGateway, WALK_CACHE_KIB} from '../store/gateway-store.js';
import {bareDataDir, buildNewDataDir, sweepStaleNewDataDirs, type BareDataDir} from '../store/new-data-dir.js';
import {SCHEMA_VERSION} from '../store/schema.js';
import {resolveContext, type RestoreContext} from './restore-context.js';
import {passChecksEntry, pauseForever, RestorePass, testHooks, type PassOutcome} from './restore-pass.js';
import {IdsOutOfOrder, skippingOrderedIds} from '../rows/reference-check.js';
import type {RestoreOptions, RestorePlan, RestoreProgress, RestoreResult, TableCounts} from './restore-types.js';
import {finishCommitted, pendingKey, pendingRestores, recoverInterruptedRestores, Staging} from '../store/staging.js';
import {writeQuarantineSummary} from './quarantine-writer.js';

/** Runs the existing verifier; a failing archive is refused with its first problem. */
export async function verifyOrThrow(options: RestoreOptions, checkedElsewhere?: (path: string) => boolean): Promise<void> {
	// Rows are checked by the restore pass itself (the same rules verify-rows.ts applies).
	const result = await verifyBackup(options.source, {
		rows: false,
		checkedElsewhere,
		signal: options.signal,
		onProgress: progress => options.onProgress?.({phase: 'verify', bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal}),
	});
	if (result.ok) return;
	const first = result.problems[0] ?? 'the backup failed verification';
	const more = result.problems.length > 1 ? ` (+${result.problems.length - 1} more problem${result.problems.length > 2 ? 's' : ''})` : '';
	throw new LifeboatError(result.code ?? 'corrupt-archive', /nothing was restored/.test(first) ? `${first}${more}` : `${first}${more}; nothing was restored`);
}

function buildPlan(ctx: RestoreContext, outcome: PassOutcome, warnings: string[], started: number): RestorePlan {
	const totals: RestorePlan['totals'] = {new: 0, identical: 0, conflicts: 0, toDelete: 0, files: 0, bytes: 0};
	for (const category of outcome.categories) {
		for (const key of ['new', 'identical', 'conflicts', 'toDelete'] as Array<keyof TableCounts>) totals[key] += category[key];
		totals.files += category.files;
		totals.bytes += category.bytes;
	}
	return {
		backup: ctx.metadata,
		mode: ctx.mode,
		targetTenant: ctx.targetTenant,
		categories: outcome.categories,
		totals,
		secretsToReenter: outcome.secretsToReenter,
		warnings: [...ctx.warnings, ...warnings, ...outcome.warnings],
		danglingReferences: outcome.danglingReferences,
		scopeTenantIds: ctx.scopeTenantIds,
		twoFactor: outcome.twoFactor,
		durationMs: Date.now() - started,
	};
}

/**
 * Computes what a restore would do, writing nothing: verifies the archive (unless skipVerify)
 * while streaming it once against the live store inside a read transaction (planBesideVerify),
 * classifying every row and file by id as new, identical or conflicting (plus, in replace mode,
 * what would be deleted).
 */
export async function planRestore(options: RestoreOptions): Promise<RestorePlan> {
	refuseNotAGateway(options.dataDir);
	return withStoreErrors(options.dataDir, () => planRestoreUnmapped(options));
}

async function planRestoreUnmapped(options: RestoreOptions): Promise<RestorePlan> {
	const started = Date.now();
	const metadata = await readMetadata(options.source);
	// An absent or empty data dir: planned against an empty store held in memory (everything new).
	const bare = bareDataDir(options.dataDir);
	if (bare) requireCurrentSchema(metadata, options.dataDir);
	const store = bare ? openEmptyStore(bare.root) : openGateway(options.dataDir, {readonly: options.readonly});
	// The pass walks the live tables once, in id order.
	store.db.pragma(`cache_size = ${WALK_CACHE_KIB}`);
	try {
		const ctx = await resolveContext(options, store, metadata);
		const warnings = pendingRestores(options.dataDir).map(id => `an interrupted restore (${id}) is pending; the next restore completes or rolls it back first`);
		store.db.exec('BEGIN');
		try {
			const outcome = await planBesideVerify(ctx);
			return {...buildPlan(ctx, outcome, warnings, started), ...(bare ? {newDataDir: true} : {})};
		} finally {
			store.db.exec('ROLLBACK');
		}
	} finally {
		store.close();
	}
}

/**
 * A plan's pass. It first skips remembering the ids of tables nothing references (only a repeat
 * would need them, and ids in increasing order cannot repeat); when a table's ids turn out not to
 * be in order (a foreign or hand-made archive), it reads the archive again remembering them all.
 */
async function planPass(ctx: RestoreContext): Promise<PassOutcome> {
	return skippingOrderedIds(skipOrderedIds => new RestorePass(ctx, undefined, {skipOrderedIds}).run());
}

/**
 * A plan writes nothing, so its pass need not wait for verify: both read the archive at once (on
 * both cores), with the answer of a verify-then-plan: verify's problem when verify fails (the pass
 * is stopped and its own error, if any, set aside), else the pass's outcome or error
 * (explainedByVerify). Verify leaves the entries the pass reads to it (passChecks). The pass's
 * progress is shown once verify is done.
 */
async function planBesideVerify(ctx: RestoreContext): Promise<PassOutcome> {
	const {options} = ctx;
	if (options.skipVerify) return planPass(ctx);
	const stop = new AbortController();
	const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
	let verified = false;
	const onProgress = options.onProgress && ((progress: RestoreProgress) => (progress.phase === 'verify' || verified) && options.onProgress!(progress));
	const planned = planPass({...ctx, options: {...options, signal, onProgress}});
	// Settled below in every case; never an unhandled rejection while verify runs.
	planned.catch(() => undefined);
	try {
		await verifyOrThrow(options, passChecks(ctx));
	} catch (error) {
		stop.abort(error);
		await planned.catch(() => undefined);
		throw error;
	}
	verified = true;
	try {
		return await planned;
	} catch (error) {
		throw await explainedByVerify(error, options);
	}
}

/**
 * The entries a pass reads whole and checks against the manifest itself (size and SHA-256 of every
 * entry of a category it restores): verify reads only the others, so those bytes are hashed once
 * (and, in a zip, inflated once; a streamed archive is still decompressed past them).
 */
function passChecks(ctx: RestoreContext): (archivePath: string) => boolean {
	return archivePath => passChecksEntry(ctx.categories, archivePath);
}

/**
 * A failed pass's error, or a whole verify's problem where the archive fails one: damage in an
 * entry verify left to the pass surfaces there first, maybe as a row it cannot parse, an id
 * collision or a full disk, where verify-then-pass named it as damage (a checksum mismatch, say).
 * An interruption is passed on as it is.
 */
async function explainedByVerify(error: unknown, options: RestoreOptions): Promise<unknown> {
	if (options.skipVerify || options.signal?.aborted || (error instanceof LifeboatError && error.code === 'interrupted')) return error;
	try {
		await verifyOrThrow(options);
	} catch (problem) {
		if (problem instanceof LifeboatError) return problem;
	}
	return error;
}

/**
 * Errors of the store and the disk, from wherever they surface (opening, planning, applying), as
 * operator errors: a damaged or locked database, a full disk. The store is unchanged by then (the
 * transaction rolled back, staging removed). Errors after the commit are already LifeboatErrors.
 */
async function withStoreErrors<T>(dataDir: string, run: () => Promise<T>): Promise<T> {
	try {
		return await run();
	} catch (error) {
		if (error instanceof LifeboatError) throw error;
		const code = (error as {code?: unknown}).code;
		const failed = restoreStoreFailure(error, path.resolve(dataDir));
		if (failed) throw failed;
		const locked = typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
		const mapped = describeStoreError(error, locked ? lockDetail(gatewayPaths(dataDir).database, (error as Error).message) : undefined);
		if (mapped) throw mapped;
		const noRoom = noRoomReason(error);
		if (noRoom) throw new LifeboatError('disk-full', `Restoring into ${path.resolve(dataDir)}: ${noRoom}; nothing was restored`, {cause: error});
		throw error;
	}
}

/**
 * The quarantine holds the backup's version of conflicting entries: owner-only, like a backup
 * (files 0600, folders 0700, the quarantine/ folder too), whatever the umask.
 */
function makeQuarantinePrivate(root: string, stagedQuarantine: string): void {
	chmodTreePrivate(stagedQuarantine);
	const quarantineRoot = path.join(root, 'quarantine');
	ensureDir(quarantineRoot);
	chmodPrivate(quarantineRoot);
}

function newRestoreId(now = new Date()): string {
	const iso = now.toISOString();
	return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${crypto.randomBytes(3).toString('hex')}`;
}

function auditDetail(ctx: RestoreContext, restoreId: string, outcome: PassOutcome, metadata: BackupMetadata): string {
	return JSON.stringify({
		restoreId,
		mode: ctx.mode,
		backup: {id: metadata.id, name: metadata.name, createdAt: metadata.createdAt},
		categories: ctx.categories,
		intoTenant: ctx.intoTenant?.slug ?? null,
		counts: outcome.applied,
	});
}

type Db = ReturnType<typeof openGateway>['db'];

/** --into-tenant: the target tenant is created when it does not exist yet (with the source tenant's plan). */
function createIntoTenant(db: Db, ctx: RestoreContext, pass: RestorePass, now: string): void {
	if (ctx.intoTenant && !db.prepare(`SELECT 1 FROM tenants WHERE id = ?`).get(ctx.intoTenant.id)) {
		db.prepare(`INSERT INTO tenants (id, tenant_id, created_at, updated_at, name, slug, plan) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
			ctx.intoTenant.id,
			ctx.intoTenant.id,
			now,
			now,
			ctx.intoTenant.name,
			ctx.intoTenant.slug,
			pass.sourcePlan ?? 'free',
		);
	}
}

/** One audit entry per restored tenant that exists after the restore. */
function writeRestoreAudit(db: Db, ctx: RestoreContext, restoreId: string, outcome: PassOutcome, now: string): void {
	const tenants = ctx.scopeTenantIds.filter(id => db.prepare(`SELECT 1 FROM tenants WHERE id = ?`).get(id));
	const audit = db.prepare(`INSERT INTO audit_log (id, tenant_id, created_at, updated_at, actor, action, target, detail, ip) VALUES (?, ?, ?, ?, 'lifeboat', 'backup.restore', ?, ?, NULL)`);
	for (const tenantId of tenants) audit.run(`aud_${crypto.randomBytes(8).toString('hex')}`, tenantId, now, now, ctx.metadata.name, auditDetail(ctx, restoreId, outcome, ctx.metadata));
}

type ParkInput = {root: string; staging: Staging; ctx: RestoreContext; source: string; restoreId: string; outcome: PassOutcome; now: string};

/** Conflicts found: the staged quarantine gets its summary, is made private and staged to move to quarantine/<restore-id>. */
function parkQuarantine({root, staging, ctx, source, restoreId, outcome, now}: ParkInput): string | undefined {
	if (outcome.applied.quarantined === 0) return undefined;
	const quarantineDir = `quarantine/${restoreId}`;
	writeQuarantineSummary(staging.quarantineDir, {
		restoreId,
		createdAt: now,
		mode: ctx.mode,
		backup: {id: ctx.metadata.id, name: ctx.metadata.name, createdAt: ctx.metadata.createdAt},
		source,
		intoTenant: ctx.intoTenant?.slug ?? null,
		tables: outcome.quarantined.tables,
		files: outcome.quarantined.files,
	});
	makeQuarantinePrivate(root, staging.quarantineDir);
	staging.move(staging.quarantineDir, quarantineDir);
	return quarantineDir;
}

function filesNotInPlace(error: unknown): LifeboatError {
	return new LifeboatError(
		'destination',
		`The restore's database changes are committed but putting its files in place failed (${(error as Error).message}); run the restore again (or any lifeboat restore/quarantine command) to complete it`,
		{cause: error},
	);
}

/**
 * Restores a backup. Verifies it first, then plans and applies in one pass over the archive, inside
 * one SQLite transaction for the rows and a staging folder for the files (see staging.ts): additive
 * mode inserts new entries, skips identical ones and quarantines conflicting ones; replace mode
 * makes the target tenants' data in the selected categories equal to the backup's. Nothing live
 * changes unless the whole restore succeeds.
 */
export async function applyRestore(options: RestoreOptions): Promise<RestoreResult> {
	const bare = bareDataDir(options.dataDir);
	if (bare) return restoreIntoBare(options, bare);
	refuseNotAGateway(options.dataDir);
	try {
		// Scratch folders of earlier restores onto this data dir when it was bare, killed midway.
		sweepStaleNewDataDirs(realPathOfDeepestAncestor(options.dataDir));
	} catch {
		// A data dir that cannot be resolved: opening it reports why.
	}
	return withStoreErrors(options.dataDir, () => applyRestoreUnmapped(options));
}

/**
 * A data dir that is neither a gateway nor absent or empty (a file, a folder of other files, a
 * mount point's lost+found): refused saying what is there and what a restore can do. Never the
 * store's "create one with demo init" advice: a demo gateway's data would mix with the restore.
 */
function refuseNotAGateway(dataDir: string): void {
	const paths = gatewayPaths(dataDir);
	const shown = path.resolve(dataDir);
	let names: string[];
	try {
		const stats = fs.statSync(paths.root, {throwIfNoEntry: false});
		if (!stats || bareDataDir(dataDir) || fs.existsSync(paths.database)) return;
		if (!stats.isDirectory()) throw new LifeboatError('not-a-gateway', `${shown} is a file, not a gateway data directory; restore into an absent or empty folder to make a new gateway there`);
		names = fs.readdirSync(paths.root).sort();
	} catch (error) {
		if (error instanceof LifeboatError) throw error;
		// Unreadable: opening it as a gateway says why.
		return;
	}
	const listed = names.slice(0, 5).map(name => printable(name)).join(', ') + (names.length > 5 ? `, … (${names.length} entries)` : '');
	throw new LifeboatError('not-a-gateway', `${shown} is not a gateway data directory (no data/gateway.db) and not empty (holds ${listed}); a new gateway is only made in an absent or empty folder: restore into a new folder (e.g. ${path.join(shown, 'gateway')}), or empty this one`);
}

/** A new gateway is made with this Lifeboat's schema: a backup of another schema version is refused before anything is made. */
function requireCurrentSchema(metadata: BackupMetadata, dataDir: string): void {
	if (metadata.schemaVersion === SCHEMA_VERSION) return;
	throw new LifeboatError(
		'unsupported-version',
		`Backup has schema version ${metadata.schemaVersion}; a new gateway in ${path.resolve(dataDir)} is made with schema version ${SCHEMA_VERSION} (restore it into a gateway of its version, or use the Lifeboat that made it); nothing was restored`,
	);
}

/**
 * Restore onto a bare host: `options.dataDir` is absent or an empty folder. A new gateway (this
 * Lifeboat's schema, its own keys/backup.key) is built beside it, the backup restored into it by
 * the normal engine (every category, gateway-wide ones included), and the whole moved into place
 * only when everything succeeded (see store/new-data-dir.ts): a failure or a kill leaves the data
 * dir absent or empty. Every mode works as on an empty store (replace has nothing to delete).
 */
export async function restoreIntoNewDataDir(options: RestoreOptions): Promise<RestoreResult> {
	const bare = bareDataDir(options.dataDir);
	if (!bare) throw new LifeboatError('exists', `${path.resolve(options.dataDir)} is not empty: a new gateway is only made in an absent or empty folder`);
	return restoreIntoBare(options, bare);
}

function isCurrentFolder(root: string): boolean {
	try {
		return fs.realpathSync(process.cwd()) === root;
	} catch {
		return false;
	}
}

async function restoreIntoBare(options: RestoreOptions, bare: BareDataDir): Promise<RestoreResult> {
	requireCurrentSchema(await readMetadata(options.source), options.dataDir);
	const replacesCwd = bare.exists && isCurrentFolder(bare.root);
	const result = await buildNewDataDir(options.dataDir, bare, scratch => withStoreErrors(scratch, () => applyRestoreUnmapped({...options, dataDir: scratch})));
	const shown = path.resolve(options.dataDir);
	// The empty folder is replaced by a rename: a shell whose current folder it was still holds the old, now removed one.
	const warnings = replacesCwd ? [...result.warnings, `${shown} was the current folder: the new gateway replaced it, so a shell still in it sees an empty folder (run: cd ${shown})`] : result.warnings;
	return {...result, warnings, plan: {...result.plan, newDataDir: true}, createdDataDir: shown};
}

/**
 * The pass that applies, in its transaction (BEGIN IMMEDIATE: another writer holding the database
 * past the busy timeout is reported as locked, exit 9) and its staging folder (handed to `staged`
 * as made, for the caller to discard on a failure). As a plan's pass (planPass), it first skips
 * remembering the ids of tables nothing references; a table out of id order (a foreign or
 * hand-made archive) undoes it (to a savepoint: the write lock is kept) and runs it again
 * remembering them.
 */
async function applyingPass(db: Db, ctx: RestoreContext, restoreId: string, staged: (staging: Staging | undefined) => void): Promise<{pass: RestorePass; outcome: PassOutcome; staging: Staging}> {
	db.exec('BEGIN IMMEDIATE');
	for (const skipOrderedIds of [true, false]) {
		const staging = new Staging(ctx.store.paths.root, restoreId);
		staged(staging);
		db.exec('SAVEPOINT lifeboat_pass');
		// One pass plans and applies (the plan is its counts).
		const pass = new RestorePass(ctx, staging, {skipOrderedIds});
		try {
			const outcome = await pass.run();
			db.exec('RELEASE lifeboat_pass');
			return {pass, outcome, staging};
		} catch (error) {
			if (!(error instanceof IdsOutOfOrder) || !skipOrderedIds) throw error;
			db.exec('ROLLBACK TO lifeboat_pass; RELEASE lifeboat_pass');
			staging.discard();
			staged(undefined);
		}
	}
	throw new Error('unreachable: the second pass remembers every id');
}

async function applyRestoreUnmapped(options: RestoreOptions): Promise<RestoreResult> {
	const started = Date.now();
	recoverInterruptedRestores(options.dataDir);
	const metadata = await readMetadata(options.source);
	const store = openGateway(options.dataDir);
	const {db} = store;
	// The pass walks the live tables once, in id order, updating each row right after reading it.
	db.pragma(`cache_size = ${WALK_CACHE_KIB}`);
	const restoreId = newRestoreId();
	const hooks = testHooks();
	let staging: Staging | undefined;
	let passing = false;
	let committed = false;
	try {
		const ctx = await resolveContext({...options}, store, metadata);
		const warnings = pendingRestores(options.dataDir).map(id => `an interrupted restore (${id}) is pending; the next restore completes or rolls it back first`);
		// The archive's bytes are checked against its manifest before anything is written: by verify,
		// but for the entries the pass restores, which the pass checks as it reads them (once), before
		// its commit. A pass refused is answered as verify-then-pass would (explainedByVerify).
		if (!options.skipVerify) await verifyOrThrow(options, passChecks(ctx));
		passing = true;
		const applied = await applyingPass(db, ctx, restoreId, made => (staging = made));
		const {pass, outcome} = applied;
		staging = applied.staging;
		const plan = buildPlan(ctx, outcome, warnings, started);
		const now = new Date().toISOString();
		createIntoTenant(db, ctx, pass, now);
		writeRestoreAudit(db, ctx, restoreId, outcome, now);
		const quarantineDir = parkQuarantine({root: store.paths.root, staging, ctx, source: options.source.label, restoreId, outcome, now});
		db.prepare(`INSERT OR REPLACE INTO schema_meta (key, value) VALUES (?, ?)`).run(pendingKey(restoreId), restoreId);
		const journal = staging.writeJournal();
		if (hooks.pauseAt === 'before-commit') pauseForever('before commit');
		db.exec('COMMIT');
		committed = true;
		if (hooks.pauseAt === 'after-commit') pauseForever('after commit');
		finishCommitted(db, store.paths.root, staging.dir, journal, moved => {
			if (hooks.pauseAt === 'mid-swap' && moved === 1) pauseForever('mid swap');
		});
		options.onProgress?.({phase: 'commit'});
		return {
			plan,
			restoreId,
			quarantineDir,
			applied: outcome.applied,
			appliedCategories: outcome.categories,
			secretsToReenter: outcome.secretsToReenter,
			warnings: [...ctx.warnings, ...outcome.warnings],
			durationMs: Date.now() - started,
		};
	} catch (error) {
		if (!committed) {
			if (db.inTransaction) db.exec('ROLLBACK');
			staging?.discard();
			throw passing ? await explainedByVerify(error, options) : error;
		}
		staging?.release();
		throw filesNotInPlace(error);
	} finally {
		store.close();
	}
}
