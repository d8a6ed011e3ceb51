import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	ARCHIVE_KIND,
	archiveExtension,
	backupExtension,
	gatewayKey,
	defaultBackupName,
	ENCRYPTED_SUFFIX,
	summarize,
	FORMAT_VERSION,
	MANIFEST_PATH,
	METADATA_PATH,
	TWO_FACTOR_BLOCK_PATH,
	type ArchiveFormat,
	type BackupManifest,
	type BackupMetadata,
	type ManifestEntry,
	type RedactionNote,
} from '../archive/archive-format.js';
import {createArchiveWriter} from '../archive/archive-writer.js';
import {READ_LIMITS} from '../archive/entry-guard.js';
import {createEncryptStream} from '../crypto/encrypt-stream.js';
import {describeFsError, LifeboatError} from '../errors.js';
import {openGateway, resolveTenant, WALK_CACHE_KIB} from '../store/gateway-store.js';
import {CATEGORIES, CATEGORY_IDS, isCategoryId, SCHEMA_VERSION, tableSpec, type CategoryId} from '../store/schema.js';
import {TOOL_VERSION} from '../version.js';
import type {Writable} from 'node:stream';
import type {Destination, RetryNote} from '../destinations/destination.js';
import {localFileSink, remoteSink, streamSink, type BackupSink} from './backup-sink.js';
import type {ReplacedBackup} from './atomic-output.js';
import {realPathOfDeepestAncestor} from '../private-fs.js';
import {dumpTables, type StagedFile} from './dump-tables.js';
import {recoverInterruptedRestores} from '../store/staging.js';
import {DOCUMENT_FILES_PREFIX} from '../archive/archive-paths.js';
import {sampleIsIncompressible} from './compressibility.js';
import {planAgentFiles, planDocumentFiles, planGatewayFiles, refuseOverlongFolderNames, type PlannedEntry} from './plan-files.js';
import {sealTwoFactor} from './two-factor-block.js';
import type {ArchiveSource} from '../archive/archive-reader.js';
import {FILES_INDEX_PATH, fileStamp, IndexDb, TOMBSTONES_PATH} from './backup-index.js';
import {JsonlSpool} from '../jsonl-spool.js';
import {hashFileSha256} from './file-hash.js';
import {findIncrementalBase, lostChainLink, refuseReplacingChain, type BaseChoice} from './backup-chain.js';

export type {ReplacedBackup} from './atomic-output.js';

/** A link of a chain, as an incremental's metadata names it. */
export type ChainLinkRef = {id: string; name: string; createdAt: string};

/** Incremental: the backup it is made against (found at the destination: backup-chain.ts) and its chain's full backup. */
export type IncrementalBase = {source: ArchiveSource; label: string; link: ChainLinkRef; full: ChainLinkRef};

export type BackupProgress =
	/** `rows` of `table` read so far (per table, from 0) out of `rowsTotal`; table `tableIndex` of `tableCount` (1-based). */
	| {phase: 'snapshot'; table: string; rows: number; rowsTotal: number; tableIndex: number; tableCount: number}
	| {phase: 'archive'; bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number; current: string}
	| {phase: 'finalize'}
	/** Reading a remote upload back to check its size and SHA-256. */
	| {phase: 'read-back'; bytesDone: number; bytesTotal: number}
	/** A transient remote failure being retried. */
	| {phase: 'retry'; note: RetryNote};

/** `--compression`: the deflate level of zip and tar.gz archives. */
export const COMPRESSIONS = ['fast', 'default', 'best'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
const DEFLATE_LEVEL: Record<Compression, number> = {fast: 1, default: 6, best: 9};

export type CreateBackupOptions = {
	dataDir: string;
	/** Exact output path; or `destDir` + optional `name`; or `remote`; or `stream`. */
	out?: string;
	destDir?: string;
	/** A remote destination (or a local one opened as a Destination), and the exact object name if given. */
	remote?: {destination: Destination; object?: string};
	/** Write the archive to this stream (`--out -`). */
	stream?: Writable;
	name?: string;
	format?: ArchiveFormat;
	/** Deflate level of zip and tar.gz (default: level 6). */
	compression?: Compression;
	/** JSON bundle: carry the documents' files too (other formats always do). */
	includeFiles?: boolean;
	categories?: readonly string[];
	tenant?: string;
	force?: boolean;
	/**
	 * With force, a local destination: the earlier backup replaced is kept aside and handed over here,
	 * to be put back (the new one failed its verify) or let go (see ReplacedBackup).
	 */
	keepReplaced?: (replaced: ReplacedBackup) => void;
	signal?: AbortSignal;
	onProgress?: (progress: BackupProgress) => void;
	/** Encrypt the whole archive with this passphrase (zip or tar.gz only). */
	passphrase?: string;
	/** PBKDF2 iterations for encryption (default 600,000; lower only in tests). */
	kdfIterations?: number;
	/** Clock, for tests. */
	now?: Date;
	/** Write an incremental backup against this base (only what changed since it). */
	base?: IncrementalBase;
	/** Or find the base at this destination: `--base ID|NAME`, else the newest of the same scope (`--since-last`). */
	incremental?: {destination: Destination} & BaseChoice;
};

export type BackupResult = {
	path: string;
	/** Its file or object name at the destination (undefined when it was streamed). */
	object?: string;
	name: string;
	format: ArchiveFormat;
	/** Bytes on disk (the archive file, or the sum of the directory's files). */
	size: number;
	/** SHA-256 of the archive file; of manifest.json for a directory backup. */
	sha256: string;
	durationMs: number;
	metadata: BackupMetadata;
};

/** Parses and checks a category list; an empty or missing list means every category. */
export function resolveCategories(requested: readonly string[] | undefined, tenantScoped: boolean): CategoryId[] {
	if (!requested || requested.length === 0) {
		// A one-tenant backup leaves out gateway-wide files unless they are asked for by name.
		return CATEGORIES.filter(category => !tenantScoped || category.scope === 'tenant').map(category => category.id);
	}
	const unknown = requested.filter(name => !isCategoryId(name));
	if (unknown.length > 0) {
		throw new LifeboatError('unknown-category', `Unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')} (known: ${CATEGORY_IDS.join(', ')})`);
	}
	return CATEGORY_IDS.filter(id => requested.includes(id));
}

/**
 * A backup written anywhere inside the data dir could be swept into a later backup, clobber
 * gateway files or be removed with them: the whole data dir, its root included, is refused.
 * Paths are compared as given and by where they really lead (links resolved as far as the path
 * exists), so a destination reached through a link into the data dir is refused as well.
 */
function refuseOutputInsideGateway(finalPath: string, root: string): void {
	let real: [string, string];
	try {
		real = [path.join(realPathOfDeepestAncestor(path.dirname(finalPath)), path.basename(finalPath)), realPathOfDeepestAncestor(root)];
	} catch (error) {
		describeFsError(error, `Destination ${path.dirname(finalPath)}`);
	}
	for (const [target, base] of [[finalPath, root], real]) {
		const relative = path.relative(base!, target!);
		if (relative === '') throw new LifeboatError('destination', `Refusing to write the backup over the gateway data directory itself (${finalPath})`);
		if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) continue;
		const top = relative.split(path.sep)[0]!;
		const where = ['data', 'agents', 'documents', 'keys', 'quarantine', '.lifeboat-restore'].includes(top) ? `the gateway's ${top}/ folder` : 'the gateway data directory';
		throw new LifeboatError('destination', `Refusing to write a backup inside ${where} (${finalPath}${target === finalPath ? '' : ` leads to ${target}`}); choose a folder outside the data directory`);
	}
}

type Tenant = ReturnType<typeof resolveTenant>;
type Store = ReturnType<typeof openGateway>;
type Dump = Awaited<ReturnType<typeof dumpTables>>;

/** An index entry (backup-index.ts): a staged file, or the files index built while writing. */
type IndexEntry = {archivePath: string; file?: string; size: number};

/** The archive's contents: every file to write, with what the metadata says about them. */
type PlannedContents = {
	entries: PlannedEntry[];
	/** Archive paths of the data files (agent, document and gateway files): the files index lists them. */
	dataFiles: Set<string>;
	/** Incremental: SHA-256 and size of every data file of the state (written or not). */
	fileDigests?: Map<string, {sha256: string; size: number}>;
	/** Stamps (backup-index.ts fileStamp) of the data files read from the data dir as they are (not staged copies), taken before they are read. */
	stamps: Map<string, string>;
	index: IndexEntry[];
	/** Incremental: data files of the base the state lacks. */
	deletedFiles: number;
	warnings: string[];
	redacted: RedactionNote[];
	twoFactor: BackupMetadata['twoFactor'];
	totalBytes: number;
	/** JSON bundle without --include-files: the document files left out. */
	omittedDocumentFiles?: {files: number; bytes: number};
};

/**
 * What a backup records of the gateway that made it (its summary's `gateway` is a digest of it):
 * the data folder's real path, so a gateway named through a link (or as a schedule stored it) is
 * one gateway.
 */
function backupSource(root: string): BackupMetadata['source'] {
	let dataDir = root;
	try {
		dataDir = fs.realpathSync(root);
	} catch {
		// Opened a moment ago: kept as given if it cannot be resolved now.
	}
	return {hostname: os.hostname(), dataDir};
}

/**
 * An incremental just published whose base (or a link below it) was removed while it was written
 * (a prune or a delete running meanwhile) could never be restored: it is deleted again and the
 * run fails (exit 4), rather than exiting 0. A prune that removes the base after this check sees
 * the new incremental and says so itself (prune-destination.ts).
 */
async function refuseLostBase(destination: Destination, sink: BackupSink, metadata: BackupMetadata): Promise<void> {
	const lost = await lostChainLink(destination, metadata);
	if (lost === undefined || sink.fileName === undefined) return;
	await destination.delete(sink.fileName);
	throw new LifeboatError('destination', `${sink.label}: the backup ${lost === metadata.incremental!.base.id ? metadata.incremental!.base.name : lost} its chain needs was removed from ${destination.label} while this incremental was written (a prune or delete ran meanwhile); it could not be restored and was deleted again: run it again`);
}

/** The backup's name and final path, with the passphrase checked against the format. */
function checkedName(options: CreateBackupOptions, format: ArchiveFormat, now: Date): {name: string; suffix: string} {
	const name = options.name ?? defaultBackupName(now);
	const {passphrase} = options;
	if (passphrase !== undefined) {
		if (format === 'dir') throw new LifeboatError('usage', 'Encryption needs --format zip or tar.gz (a folder backup cannot be encrypted)');
		if (passphrase.length === 0) throw new LifeboatError('usage', 'passphrase must not be empty');
	}
	const suffix = archiveExtension(format) + (passphrase ? ENCRYPTED_SUFFIX : '');
	if (name.trim() === '' || /[/\\]/.test(name) || name.startsWith('.') || /[\u0000-\u001F\u007F]/.test(name) || Buffer.byteLength(name + suffix) > 255) throw new LifeboatError('usage', `Invalid backup name "${name}"`);
	// "b1.zip" would be written as b1.zip.zip, and asked for by name it is another backup's file name.
	const extension = backupExtension(name);
	if (extension) throw new LifeboatError('usage', `Invalid backup name "${name}": it ends like a backup file (${extension}); name it without one, the format's extension is added`);
	return {name, suffix};
}

/** Where the archive goes (see backup-sink.ts), checked before anything is read. */
async function resolveSink(options: CreateBackupOptions, format: ArchiveFormat, now: Date, gatewayRoot: string): Promise<{name: string; sink: BackupSink; reserved?: string}> {
	const {name, suffix} = checkedName(options, format, now);
	if (options.stream) {
		if (format === 'dir') throw new LifeboatError('usage', 'A folder backup (--format dir) cannot be streamed; use zip or tar.gz');
		return {name, sink: streamSink(options.stream)};
	}
	if (options.remote) {
		if (format === 'dir') throw new LifeboatError('usage', `${options.remote.destination.label}: folder backups (--format dir) can only be written to a local folder; use zip or tar.gz`);
		const {destination} = options.remote;
		if (options.remote.object) return {name, sink: await remoteSink(destination, options.remote.object, {force: options.force, signal: options.signal, onProgress: progress => options.onProgress?.(progress)})};
		const where = (candidate: string) => destination.locate(candidate + suffix);
		const free = options.name === undefined ? await freeDefaultName(name, where, async candidate => (await destination.stat(candidate + suffix, {signal: options.signal})) !== undefined) : name;
		const reserved = options.name === undefined ? where(free) : undefined;
		try {
			return {name: free, reserved, sink: await remoteSink(destination, free + suffix, {force: options.name !== undefined && options.force, signal: options.signal, onProgress: progress => options.onProgress?.(progress)})};
		} catch (error) {
			if (reserved) RUNNING_DEFAULT_NAMES.delete(reserved);
			throw error;
		}
	}
	if (options.out) {
		const finalPath = path.resolve(options.out);
		refuseOutputInsideGateway(finalPath, gatewayRoot);
		return {name, sink: localFileSink(finalPath, {force: options.force, keepReplaced: options.keepReplaced})};
	}
	if (!options.destDir) throw new LifeboatError('usage', 'Pass --out PATH or --dest DIR');
	const destDir = path.resolve(options.destDir);
	// A folder that cannot be looked in (a file, no permission) is reported by the sink, as for a --name.
	const taken = async (candidate: string) => {
		try {
			return fs.lstatSync(path.join(destDir, candidate + suffix), {throwIfNoEntry: false}) !== undefined;
		} catch {
			return false;
		}
	};
	const where = (candidate: string) => path.join(destDir, candidate + suffix);
	const free = options.name === undefined ? await freeDefaultName(name, where, taken) : name;
	const finalPath = where(free);
	const reserved = options.name === undefined ? finalPath : undefined;
	try {
		refuseOutputInsideGateway(finalPath, gatewayRoot);
		return {name: free, reserved, sink: localFileSink(finalPath, {force: options.name !== undefined && options.force, keepReplaced: options.keepReplaced})};
	} catch (error) {
		if (reserved) RUNNING_DEFAULT_NAMES.delete(reserved);
		throw error;
	}
}

/** Full locations of the default names chosen by backups running in this process. */
const RUNNING_DEFAULT_NAMES = new Set<string>();

/**
 * A default name (by the second) already taken at the destination, by a scheduled run and a
 * run-now in the same second say, gets `-2`, `-3`… rather than failing or, with --force,
 * replacing a backup that may be an incremental's base. Only an explicit --name is ever replaced.
 * Two runs racing for one free name still cannot overwrite each other: the publish refuses. In
 * one process (lifeboat serve runs several backups at once) a default name a running backup
 * chose is skipped too, until that backup ends (`where` gives a candidate's full location).
 */
async function freeDefaultName(name: string, where: (candidate: string) => string, taken: (candidate: string) => Promise<boolean>): Promise<string> {
	for (let n = 1; n <= 100; n++) {
		const candidate = n === 1 ? name : `${name}-${n}`;
		if (RUNNING_DEFAULT_NAMES.has(where(candidate))) continue;
		// Reserved before the (asynchronous) look, so two backups starting together never pick one name.
		RUNNING_DEFAULT_NAMES.add(where(candidate));
		if (!(await taken(candidate))) return candidate;
		RUNNING_DEFAULT_NAMES.delete(where(candidate));
	}
	throw new LifeboatError('exists', `${name} and 99 numbered variants already exist at the destination; pass --name`);
}

/** Seals the 2FA secrets into their block file, when any user has one. */
async function sealTwoFactorEntry(store: Store, dump: Dump, stagingDir: string, passphrase: string | undefined): Promise<{entry: PlannedEntry; twoFactor: BackupMetadata['twoFactor']} | undefined> {
	const sealedUsers = dump.sealed['users']?.['totp_secret'];
	if (!sealedUsers || Object.keys(sealedUsers).length === 0) return undefined;
	const sealed = await sealTwoFactor(dump.sealed, {passphrase, gatewayKeyFile: store.paths.backupKey});
	if (sealed.block.length > READ_LIMITS.maxJsonFileBytes) throw new LifeboatError('unsupported-data', `The 2FA block would be ${sealed.block.length} bytes, over the ${READ_LIMITS.maxJsonFileBytes} a restore reads; back up fewer tenants at a time (--tenant)`);
	const file = path.join(stagingDir, '2fa-secrets.json.enc');
	fs.writeFileSync(file, sealed.block);
	return {
		entry: {archivePath: TWO_FACTOR_BLOCK_PATH, file, category: 'users', size: 0, store: true},
		twoFactor: {sealedWith: sealed.sealedWith, keyId: sealed.keyId, users: Object.keys(sealedUsers).length},
	};
}

/** Files: staged table dumps, the 2FA block, agent folders, documents, gateway files. */
async function planContents(store: Store, dump: Dump, stagingDir: string, categories: CategoryId[], format: ArchiveFormat, options: CreateBackupOptions): Promise<PlannedContents> {
	const {passphrase} = options;
	const warnings: string[] = [];
	const redacted: RedactionNote[] = Object.entries(dump.redactedCounts).map(([field, count]) => {
		const table = tableSpec(field.split('.')[0]!);
		return {category: table.category, field, count, action: field.startsWith('node_pairings') ? 're-pair the node' : 're-enter on restore'};
	});
	const entries: PlannedEntry[] = dump.staged.map((staged: StagedFile) => ({...staged, size: 0, store: false}));
	const sealed = await sealTwoFactorEntry(store, dump, stagingDir, passphrase);
	if (sealed) entries.push(sealed.entry);
	const dataFiles = new Set<string>();
	const documents = planDocumentFiles(store.paths, dump.documents, store.db);
	const omitted = format === 'json' && !options.includeFiles ? omitDocumentFiles(documents) : undefined;
	if (omitted) warnings.push(`document files were not included in this JSON bundle (${omitted.files} files, ${omitted.bytes} bytes; the document rows and texts are): add --include-files to carry them`);
	for (const plan of [planAgentFiles(store.paths, dump.agentIds, stagingDir), documents, planGatewayFiles(store.paths.root, categories, stagingDir)]) {
		entries.push(...plan.entries);
		for (const entry of plan.entries) dataFiles.add(entry.archivePath);
		warnings.push(...plan.warnings);
		redacted.push(...plan.redacted);
	}
	if (format === 'dir') refuseOverlongFolderNames(entries);
	for (const entry of entries) entry.size = fs.statSync(entry.file).size;
	const index: IndexEntry[] = dump.index.map(staged => ({...staged, size: fs.statSync(staged.file).size}));
	const stamps = new Map<string, string>();
	const staged = path.resolve(stagingDir) + path.sep;
	for (const entry of entries) if (dataFiles.has(entry.archivePath) && !path.resolve(entry.file).startsWith(staged)) stamps.set(entry.archivePath, fileStamp(entry.file));
	return {entries, dataFiles, index, stamps, deletedFiles: 0, warnings, redacted, twoFactor: sealed?.twoFactor ?? null, totalBytes: 0, omittedDocumentFiles: omitted};
}

/** A JSON bundle without --include-files: the documents' own files come out of the plan (their texts stay). */
function omitDocumentFiles(plan: ReturnType<typeof planDocumentFiles>): {files: number; bytes: number} | undefined {
	const left = plan.entries.filter(entry => entry.archivePath.startsWith(DOCUMENT_FILES_PREFIX));
	if (left.length === 0) return undefined;
	plan.entries = plan.entries.filter(entry => !entry.archivePath.startsWith(DOCUMENT_FILES_PREFIX));
	return {files: left.length, bytes: left.reduce((sum, entry) => sum + fs.statSync(entry.file).size, 0)};
}

/**
 * Incremental: every data file is hashed and only those the base lacks or holds in another version
 * are kept; the others are still listed in the files index. Files of the base the state lacks are
 * tombstones.
 */
async function keepChangedFiles(contents: PlannedContents, base: IndexDb, tombstones: JsonlSpool, signal: AbortSignal | undefined): Promise<void> {
	const digests = new Map<string, {sha256: string; size: number}>();
	const kept: PlannedEntry[] = [];
	for (const entry of contents.entries) {
		if (!contents.dataFiles.has(entry.archivePath)) {
			kept.push(entry);
			continue;
		}
		throwIfAborted(signal);
		const stamp = contents.stamps.get(entry.archivePath);
		const sha256 = entry.sha256 ?? (stamp !== undefined ? base.unchangedFile(entry.archivePath, stamp) : undefined) ?? (await hashFileSha256(entry.file));
		digests.set(entry.archivePath, {sha256, size: entry.size});
		if (base.file(entry.archivePath) !== sha256) kept.push(entry);
	}
	for (const file of base.unseenFiles()) {
		tombstones.write({file});
		contents.deletedFiles++;
	}
	contents.entries = kept;
	contents.fileDigests = digests;
}

/** The files index's bytes are known before the files are hashed: every line has a 64-character digest. */
function filesIndexLine(archivePath: string, sha256: string, size: number, stamp: string | undefined): string {
	return JSON.stringify([archivePath, sha256, size, stamp ?? null]) + '\n';
}

function planFilesIndex(contents: PlannedContents): void {
	let size = 0;
	const sizes = contents.fileDigests ?? new Map([...contents.entries].filter(entry => contents.dataFiles.has(entry.archivePath)).map(entry => [entry.archivePath, {sha256: '0'.repeat(64), size: entry.size}]));
	for (const [archivePath, digest] of sizes) size += Buffer.byteLength(filesIndexLine(archivePath, '0'.repeat(64), digest.size, contents.stamps.get(archivePath)));
	contents.index.push({archivePath: FILES_INDEX_PATH, size});
	contents.totalBytes = [...contents.entries, ...contents.index].reduce((sum, entry) => sum + entry.size, 0);
}

/** The files index, from the digests taken before (incremental) and the manifest entries just written. */
function filesIndex(contents: PlannedContents, written: ReadonlyMap<string, ManifestEntry>, expected: number): Buffer {
	const lines: string[] = [];
	const digests = contents.fileDigests ?? new Map<string, {sha256: string; size: number}>();
	for (const path of contents.dataFiles) {
		const entry = written.get(path);
		const digest = entry ? {sha256: entry.sha256, size: entry.size} : digests.get(path);
		if (digest) lines.push(filesIndexLine(path, digest.sha256, digest.size, contents.stamps.get(path)));
	}
	const buffer = Buffer.from(lines.join(''));
	if (buffer.length !== expected) throw new LifeboatError('source-changed', 'A gateway file changed size while it was being backed up; run the backup again');
	return buffer;
}

/** Per category: its primary count, rows per table, files and bytes. */
function countCategories(categories: CategoryId[], dump: Dump, entries: PlannedEntry[]): BackupMetadata['counts'] {
	const counts: BackupMetadata['counts'] = {};
	for (const category of CATEGORIES) {
		if (!categories.includes(category.id)) continue;
		const tables = Object.fromEntries(category.tables.map(table => [table, dump.rowCounts[table] ?? 0]));
		const files = entries.filter(entry => entry.category === category.id);
		const count = category.primaryTable ? tables[category.primaryTable] ?? 0 : files.length;
		counts[category.id] = {count, tables, files: files.length, bytes: files.reduce((sum, entry) => sum + entry.size, 0)};
	}
	return counts;
}

type MetadataInput = {source: BackupMetadata['source']; name: string; now: Date; format: ArchiveFormat; tenant: Tenant | undefined; categories: CategoryId[]; dump: Dump; contents: PlannedContents; encrypted: boolean; base: IncrementalBase | undefined};

function buildMetadata({source, name, now, format, tenant, categories, dump, contents, encrypted, base}: MetadataInput): BackupMetadata {
	return {
		kind: ARCHIVE_KIND,
		tool: {name: 'lifeboat', version: TOOL_VERSION},
		schemaVersion: SCHEMA_VERSION,
		formatVersion: FORMAT_VERSION,
		id: crypto.randomUUID(),
		name,
		createdAt: now.toISOString(),
		format,
		tenant: tenant ? {id: tenant.id, slug: tenant.slug, name: tenant.name} : null,
		tenants: dump.tenants,
		categories,
		counts: countCategories(categories, dump, contents.entries),
		totalFiles: contents.entries.length + contents.index.length,
		totalBytes: contents.totalBytes,
		redacted: contents.redacted,
		twoFactor: contents.twoFactor,
		...(contents.omittedDocumentFiles ? {omittedDocumentFiles: contents.omittedDocumentFiles} : {}),
		encrypted,
		warnings: contents.warnings,
		source,
		danglingReferences: dump.danglingReferences,
		...(base
			? {
					incremental: {
						base: base.link,
						full: base.full,
						state: {rows: dump.stateCounts, files: contents.fileDigests?.size ?? 0},
						changed: {rows: Object.values(dump.rowCounts).reduce((a, b) => a + b, 0), files: contents.entries.filter(entry => contents.dataFiles.has(entry.archivePath)).length},
						deleted: {rows: dump.deletedRows, files: contents.deletedFiles},
					},
				}
			: {}),
	};
}

function throwIfAborted(signal: AbortSignal | undefined): void {
	if (signal?.aborted) throw signal.reason ?? new LifeboatError('interrupted', 'Backup interrupted');
}

/** Writes metadata, every planned file and the manifest, reporting progress; returns the archive's digest. */
async function writeArchive(options: CreateBackupOptions, format: ArchiveFormat, now: Date, tempOutput: string | Writable, metadata: BackupMetadata, contents: PlannedContents, onAbort: () => void): Promise<{size: number; sha256: string}> {
	const {entries, totalBytes} = contents;
	const {passphrase} = options;
	let bytesDone = 0;
	let filesDone = 0;
	const outputTransform = passphrase
		? await createEncryptStream({passphrase, summary: summarize(metadata, true), iterations: options.kdfIterations})
		: undefined;
	const writer = createArchiveWriter({
		outputTransform,
		format,
		output: tempOutput,
		expectedBytes: totalBytes,
		date: now,
		level: DEFLATE_LEVEL[options.compression ?? 'default'],
		onBytes: bytes => {
			bytesDone += bytes;
		},
	});
	options.signal?.addEventListener('abort', onAbort, {once: true});
	const manifest: ManifestEntry[] = [];
	// A folder or a JSON bundle deflates nothing: no file needs a sample.
	const compresses = format !== 'dir' && format !== 'json';
	try {
		const metadataBytes = Buffer.from(JSON.stringify(metadata, null, 2) + '\n');
		if (metadataBytes.length > READ_LIMITS.maxMetadataBytes) {
			throw new LifeboatError('unsupported-data', `metadata.json would be ${metadataBytes.length} bytes (${metadata.tenants.length} tenants), over the ${READ_LIMITS.maxMetadataBytes} a restore reads; back up fewer tenants at a time (--tenant)`);
		}
		manifest.push(await writer.addBuffer(METADATA_PATH, metadataBytes));
		for (const entry of entries) {
			throwIfAborted(options.signal);
			options.onProgress?.({phase: 'archive', bytesDone, bytesTotal: totalBytes, filesDone, filesTotal: entries.length, current: entry.archivePath});
			manifest.push(await writer.addFile(entry.archivePath, entry.file, {store: entry.store === 'sample' ? compresses && sampleIsIncompressible(entry.file) : entry.store}));
			filesDone++;
		}
		const written = new Map(manifest.map(entry => [entry.path, entry]));
		for (const entry of contents.index) {
			throwIfAborted(options.signal);
			manifest.push(entry.file ? await writer.addFile(entry.archivePath, entry.file) : await writer.addBuffer(entry.archivePath, filesIndex(contents, written, entry.size)));
		}
		const manifestDocument: BackupManifest = {kind: ARCHIVE_KIND, files: manifest, totalFiles: manifest.length, totalBytes};
		await writer.addBuffer(MANIFEST_PATH, Buffer.from(JSON.stringify(manifestDocument, null, 2) + '\n'));
		options.onProgress?.({phase: 'archive', bytesDone, bytesTotal: totalBytes, filesDone, filesTotal: entries.length, current: MANIFEST_PATH});
		options.onProgress?.({phase: 'finalize'});
		return await writer.finish();
	} catch (error) {
		await writer.abort();
		throw error;
	}
}

/** Readers refuse archives that inflate past the bomb ratio: never commit one of those. */
function refuseBombRatio(format: ArchiveFormat, totalBytes: number, digest: {size: number}): void {
	if (format !== 'dir' && totalBytes > READ_LIMITS.archiveRatioFloorBytes && totalBytes / Math.max(digest.size, 1) > READ_LIMITS.archiveRatio) {
		throw new LifeboatError('unsupported-data', `This data compresses over ${READ_LIMITS.archiveRatio}:1 (${totalBytes} bytes into ${digest.size}), which restore treats as a decompression bomb; no backup was written: use --format dir`);
	}
}

type SnapshotInput = {stagingDir: string; workDir: string; categories: CategoryId[]; tenant: Tenant | undefined; format: ArchiveFormat};

/** Tables dumped and files planned; for an incremental, against the base's index (only what changed is kept). */
async function snapshot(store: Store, options: CreateBackupOptions, {stagingDir, workDir, categories, tenant, format}: SnapshotInput): Promise<{dump: Dump; contents: PlannedContents}> {
	let base: IndexDb | undefined;
	let tombstones: JsonlSpool | undefined;
	try {
		if (options.base) {
			base = new IndexDb(workDir);
			await base.load(options.base.source, options.base.label);
			tombstones = new JsonlSpool(path.join(stagingDir, ...TOMBSTONES_PATH.split('/')));
			base.db.exec('BEGIN');
		}
		const dump = await dumpTables(store, {
			categories,
			tenantId: tenant?.id,
			stagingDir,
			signal: options.signal,
			onRows: progress => options.onProgress?.({phase: 'snapshot', ...progress}),
			base,
			tombstones,
		});
		throwIfAborted(options.signal);
		const contents = await planContents(store, dump, stagingDir, categories, format, options);
		throwIfAborted(options.signal);
		if (base && tombstones) {
			await keepChangedFiles(contents, base, tombstones, options.signal);
			tombstones.close();
			tombstones = undefined;
			const file = path.join(stagingDir, ...TOMBSTONES_PATH.split('/'));
			contents.index.push({archivePath: TOMBSTONES_PATH, file, size: fs.statSync(file).size});
		}
		planFilesIndex(contents);
		return {dump, contents};
	} finally {
		tombstones?.close();
		if (base?.db.inTransaction) base.db.exec('COMMIT');
		base?.close();
	}
}

export async function createBackup(options: CreateBackupOptions): Promise<BackupResult> {
	// Cancelled before it began (an operator's Esc while it waited): nothing is read or written.
	if (options.signal?.aborted) throw options.signal.reason instanceof LifeboatError ? options.signal.reason : new LifeboatError('interrupted', 'Backup interrupted');
	const started = Date.now();
	const now = options.now ?? new Date();
	const format = options.format ?? 'zip';
	const store = openGateway(options.dataDir);
	// The dump reads each table once, in order: a large page cache would only hold pages never read again.
	store.db.pragma(`cache_size = ${WALK_CACHE_KIB}`);
	try {
		// A restore killed after its database commit finishes its file swap first, so the
		// backup never captures new rows beside old files.
		recoverInterruptedRestores(store.paths.root, store.db);
		const tenant = options.tenant ? resolveTenant(store, options.tenant) : undefined;
		const categories = resolveCategories(options.categories, Boolean(tenant));
		if (format === 'json' && !options.includeFiles && (options.base || options.incremental) && categories.includes('documents')) {
			// A link without the files would read as their deletion to the next one and to a chain restore.
			throw new LifeboatError('usage', 'An incremental JSON bundle must carry the document files: add --include-files (or leave documents out with --categories)');
		}
		const source = backupSource(store.paths.root);
		const base = options.base ?? (options.incremental ? await findIncrementalBase(options.incremental.destination, options.incremental, {gateway: gatewayKey(source)!, tenant: tenant ? {id: tenant.id, slug: tenant.slug} : null, categories}, options.passphrase) : undefined);
		const {name, sink, reserved} = await resolveSink(options, format, now, store.paths.root);
		const onAbort = () => void sink.discard();
		try {
			if (base && options.incremental && options.force && sink.fileName !== undefined) await refuseReplacingChain(options.incremental.destination, sink.fileName, base.link.id);
			const stagingDir = path.join(sink.workDir, 'staging');
			fs.mkdirSync(stagingDir);
			const {dump, contents} = await snapshot(store, {...options, base}, {stagingDir, workDir: sink.workDir, categories, tenant, format});
			const metadata = buildMetadata({source, name, now, format, tenant, categories, dump, contents, encrypted: Boolean(options.passphrase), base});
			const digest = await writeArchive(options, format, now, sink.open(contents.totalBytes), metadata, contents, onAbort);
			throwIfAborted(options.signal);
			refuseBombRatio(format, contents.totalBytes, digest);
			await sink.commit(digest);
			if (options.incremental && !options.base) await refuseLostBase(options.incremental.destination, sink, metadata);
			return {path: sink.label, object: sink.fileName, name, format, size: digest.size, sha256: digest.sha256, durationMs: Date.now() - started, metadata};
		} catch (thrown) {
			await sink.discard();
			// An upload that died (or a reader that went away) is the cause; the writer only noticed.
			const {signal} = options;
			const error = signal?.aborted ? (signal.reason instanceof LifeboatError ? signal.reason : thrown) : (sink.failure() ?? thrown);
			if (error instanceof LifeboatError) throw error;
			const code = (error as NodeJS.ErrnoException).code;
			if (code) describeFsError(error, 'Writing backup');
			throw error;
		} finally {
			options.signal?.removeEventListener('abort', onAbort);
			if (reserved) RUNNING_DEFAULT_NAMES.delete(reserved);
		}
	} finally {
		store.close();
	}
}
