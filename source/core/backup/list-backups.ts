import fs from 'node:fs';
import path from 'node:path';
import {ARCHIVE_KIND, formatFromPath, instantOf, summarize, type ArchiveFormat, type BackupMetadata, type BackupSummary} from '../archive/archive-format.js';
import {compareCodeUnits} from '../format.js';
import {cannotRead, plainFileSource} from '../archive/archive-reader.js';
import {LifeboatError, type ErrorCode} from '../errors.js';
import {PARTIAL_PREFIX} from '../destinations/local-publish.js';
import {dirSize} from '../destinations/local.js';
import {readEncryptedHeader} from '../crypto/decrypt-stream.js';
import {isEncryptedBackup} from './backup-source.js';
import {readMetadata} from './read-metadata.js';
import {isLifeboatBackup, looksLikeLifeboatBackup, readSniffHead} from './backup-sniff.js';
import type {Destination, RetryNote, StoredObject} from '../destinations/destination.js';
import {destinationBlob} from './stored-backup.js';
import {readBackupSummary, type BackupSummaryRead} from './read-summary.js';
import {isOutOfFileDescriptors, LOCAL_READS_AT_ONCE, mapBounded, REMOTE_READS_AT_ONCE, withFreeDescriptors} from './bounded-map.js';
import type {SummaryCache} from './summary-cache.js';
import {readHandleRange, type RangedBlob} from '../archive/ranged-blob.js';

export type BackupListing = {
	path: string;
	fileName: string;
	format: ArchiveFormat;
	/** Bytes on disk. */
	size: number;
	/** From metadata; the file's mtime when the metadata cannot be read. */
	createdAt: string;
	encrypted: boolean;
	/** Names, dates, scope and counts: from metadata.json, or an encrypted file's plain header. */
	summary?: BackupSummary;
	/** Full metadata (plain backups only: an encrypted one's is inside the ciphertext). */
	metadata?: BackupMetadata;
	/** Why the metadata could not be read (the entry is still listed so it can be inspected). */
	error?: string;
	/** That error's code, when it is one of ours: `destination` where the backup could not be read just now. */
	errorCode?: ErrorCode;
};

/**
 * A listed backup's error: its message, and its code when it is one of ours; a read of its file the
 * system refused (EIO) is said as verify says it ("cannot be read", `destination`).
 */
function listingError(error: unknown, label: string): Pick<BackupListing, 'error' | 'errorCode'> {
	const ours = error instanceof LifeboatError ? error : cannotRead(label, error);
	return ours ? {error: ours.message, errorCode: ours.code} : {error: (error as Error).message};
}

/** A candidate backup in a folder, with what its directory entry says (no byte of it read yet). */
export type BackupCandidate = {path: string; fileName: string; stats: fs.Stats};

/** Candidate backups in a folder: archives by extension, folders holding a metadata.json. */
export function findBackupCandidates(destDir: string): string[] {
	return findBackupEntries(destDir).map(candidate => candidate.path);
}

/** Like findBackupCandidates, with each one's stats (one listing of the folder, one stat a name). */
export function findBackupEntries(destDir: string): BackupCandidate[] {
	let names: string[];
	try {
		names = fs.readdirSync(destDir);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOTDIR') {
			const isFile = (() => {
				try {
					return fs.statSync(destDir).isFile();
				} catch {
					return false;
				}
			})();
			throw new LifeboatError('destination', `Cannot read backup folder ${destDir}: ${isFile ? 'it is a file' : 'a file is in the way'}, not a folder`);
		}
		throw new LifeboatError('destination', `Cannot read backup folder ${destDir} (${code ?? (error as Error).message})`);
	}
	const candidates: BackupCandidate[] = [];
	for (const name of names) {
		const candidate = backupCandidate(destDir, name);
		if (candidate) candidates.push(candidate);
	}
	return candidates;
}

/** The entry `name` of a folder, when a listing of the folder shows it as a backup. */
export function backupCandidate(destDir: string, name: string): BackupCandidate | undefined {
	if (name.startsWith(PARTIAL_PREFIX) || name.startsWith('.')) return undefined;
	const full = path.join(destDir, name);
	// A symbolic link is not listed: it reaches a backup listed under its own name (or one elsewhere),
	// and retention must count each backup once, by the file it is, never keep a link for it.
	const stats = fs.lstatSync(full, {throwIfNoEntry: false});
	if (!stats || stats.isSymbolicLink()) return undefined;
	const format = stats.isFile() ? formatFromPath(full) : undefined;
	// Any `.json` file is not a backup: only one that begins like a JSON bundle (a few bytes read) is listed.
	const isBackup = stats.isDirectory() ? fs.existsSync(path.join(full, 'metadata.json')) : format !== undefined && (format !== 'json' || name.endsWith('.enc') || isLifeboatBackup(full));
	return isBackup ? {path: full, fileName: name, stats} : undefined;
}

export type ListOptions = {
	/** Summaries read before (console): used for files unchanged since. */
	cache?: SummaryCache;
	/** Drop each plain backup's full metadata (a `backup list` prints only the summary): less held for thousands. */
	summariesOnly?: boolean;
	onRetry?: (note: RetryNote) => void;
};

function trimmed(listing: BackupListing, options: ListOptions): BackupListing {
	if (!options.summariesOnly || !listing.metadata) return listing;
	const {metadata: _dropped, ...rest} = listing;
	return rest;
}

/**
 * Newest first by creation time (from metadata; the file's time when unreadable), as instants (a
 * `+02:00` offset and a `Z` compare by when they are), then as text, then by name.
 */
export function newestFirst(a: BackupListing, b: BackupListing): number {
	const [early, late] = [instantKey(a), instantKey(b)];
	return (late === early ? 0 : late > early ? 1 : -1) || compareCodeUnits(b.createdAt, a.createdAt) || compareCodeUnits(b.fileName, a.fileName);
}

/** A listing's instant, read once per listing (a sort compares each many times); one naming none sorts oldest. */
const instants = new WeakMap<BackupListing, number>();
function instantKey(listing: BackupListing): number {
	let instant = instants.get(listing);
	if (instant === undefined) {
		instant = instantOf(listing.createdAt);
		if (Number.isNaN(instant)) instant = Number.NEGATIVE_INFINITY;
		instants.set(listing, instant);
	}
	return instant;
}

/**
 * Lists the backups in a folder, newest first, reading only each one's summary (its first few
 * KiB: see read-summary.ts). {@link LOCAL_READS_AT_ONCE} at a time: thousands of backups never
 * hold more than that many files open, and a read that finds no file descriptor free waits and
 * tries again (or fails the whole listing with one line), never reporting a good backup as damaged.
 */
export async function listBackups(destDir: string, options: ListOptions = {}): Promise<BackupListing[]> {
	const candidates = findBackupEntries(destDir);
	const listings = await mapBounded(candidates, LOCAL_READS_AT_ONCE, async candidate => trimmed(await listLocalBackup(candidate, options.cache), options));
	return listings.sort(newestFirst);
}

/**
 * Like listBackups, but a folder that does not exist yet (a fresh install, a typo the operator
 * can see) holds no backups, as `backup list` says; anything else unreadable is still an error.
 */
export async function listBackupsOrNone(destDir: string, options: ListOptions = {}): Promise<BackupListing[]> {
	return folderIsMissing(destDir) ? [] : listBackups(destDir, options);
}

function folderIsMissing(destDir: string): boolean {
	try {
		fs.statSync(destDir);
		return false;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'ENOENT';
	}
}

/** A candidate's row before its summary is read: what the folder listing says. */
export function unreadListing(candidate: BackupCandidate): BackupListing {
	const {stats} = candidate;
	const format: ArchiveFormat = stats.isDirectory() ? 'dir' : formatFromPath(candidate.path)!;
	return {path: candidate.path, fileName: candidate.fileName, format, size: stats.isDirectory() ? 0 : stats.size, createdAt: stats.mtime.toISOString(), encrypted: candidate.fileName.endsWith('.enc')};
}

/**
 * One local backup's row: its summary (from `cache` when the file is unchanged), or why it
 * cannot be read. Throws only when no file descriptor could be had (see withFreeDescriptors).
 */
export async function listLocalBackup(candidate: BackupCandidate, cache?: SummaryCache): Promise<BackupListing> {
	const cached = cache?.get(candidate.path, candidate.stats);
	if (cached) return withSummary(unreadListing(candidate), cached, candidate.stats);
	const listing = await withFreeDescriptors(candidate.path, () => readLocalBackup(candidate));
	if (listing.summary && !listing.error) cache?.set(candidate.path, candidate.stats, {format: listing.format, encrypted: listing.encrypted, summary: listing.summary, metadata: listing.metadata});
	return listing;
}

function withSummary(base: BackupListing, read: BackupSummaryRead, stats: fs.Stats): BackupListing {
	const size = stats.isDirectory() ? base.size : stats.size;
	return {...base, size, format: read.format, encrypted: read.encrypted, summary: read.summary, metadata: read.metadata, createdAt: read.summary.createdAt};
}

async function readLocalBackup(candidate: BackupCandidate): Promise<BackupListing> {
	const {path: full, stats} = candidate;
	if (stats.isDirectory()) {
		const base = {...unreadListing(candidate), size: dirSize(full)};
		try {
			const metadata = await readMetadata(plainFileSource(full));
			return {...base, metadata, summary: summarize(metadata, false), createdAt: metadata.createdAt};
		} catch (error) {
			if (isOutOfFileDescriptors(error)) throw error;
			return {...base, ...listingError(error, full)};
		}
	}
	// The common case: the summary from the file's first KiB, through one open file.
	try {
		return withSummary(unreadListing(candidate), await readSummaryOfFile(full, stats.size), stats);
	} catch (error) {
		if (isOutOfFileDescriptors(error)) throw error;
	}
	// Anything odd is read the thorough way, for the same verdict and words verify gives.
	return thoroughListing(candidate);
}

/** A file's summary read through one file handle, closed before this returns. */
async function readSummaryOfFile(full: string, size: number): Promise<BackupSummaryRead> {
	const handle = await fs.promises.open(full, 'r');
	try {
		const blob: RangedBlob = {
			label: full,
			size,
			readRange: (offset, length) => readHandleRange(handle, size, offset, length),
			read: () => Promise.reject(new Error('a listing reads ranges only')),
		};
		return await readBackupSummary(blob);
	} finally {
		await handle.close();
	}
}

async function thoroughListing(candidate: BackupCandidate): Promise<BackupListing> {
	const full = candidate.path;
	const encrypted = await isEncryptedBackup(full).catch(error => {
		if (isOutOfFileDescriptors(error)) throw error;
		return false;
	});
	const base: BackupListing = {...unreadListing(candidate), encrypted};
	try {
		if (encrypted) {
			const summary = (await readEncryptedHeader(full)).summary as BackupSummary;
			if (summary.kind !== ARCHIVE_KIND) throw new Error('not a Lifeboat backup');
			return {...base, summary, createdAt: summary.createdAt};
		}
		const metadata = await readMetadata(plainFileSource(full));
		return {...base, metadata, summary: summarize(metadata, false), createdAt: metadata.createdAt};
	} catch (error) {
		if (isOutOfFileDescriptors(error)) throw error;
		return {...base, ...listingError(error, full)};
	}
}

/**
 * The backups at any destination, newest first. A local folder is listed as above; a remote one
 * from its object listing plus each backup's summary, read by ranges (a few KiB per backup:
 * an encrypted file's plain header, the metadata.json that is an archive's first entry),
 * {@link REMOTE_READS_AT_ONCE} at a time.
 */
export async function listDestination(destination: Destination, options: ListOptions = {}): Promise<BackupListing[]> {
	if (destination.kind === 'local') return listBackupsOrNone(destination.label, options);
	const objects = await listBackupObjects(destination, options);
	// One object that cannot be read (deleted since the listing, not readable by these credentials)
	// is a row with its reason; several in a row mean the destination itself failed.
	let failedInARow = 0;
	const rows = await mapBounded(objects, REMOTE_READS_AT_ONCE, async object => {
		const listing = await listRemoteOne(destination, object);
		if (listing === 'gone') return undefined;
		if (listing.readFailure) {
			if (++failedInARow >= 3) throw listing.readFailure;
		} else failedInARow = 0;
		return trimmed(listing.row, options);
	});
	return rows.filter((row): row is BackupListing => row !== undefined).sort(newestFirst);
}

/**
 * The backup stored under exactly this file name, as a listing of the destination shows it: one
 * stat and one summary read, not the whole destination's. Undefined where the listing would not
 * show it, and `'unknown'` where only a listing can tell: an SFTP server (its listing skips
 * links, which a stat follows).
 */
export async function listNamedBackup(destination: Destination, fileName: string, options: Pick<ListOptions, 'summariesOnly'> = {}): Promise<BackupListing | undefined | 'unknown'> {
	if (!fileName || fileName.includes('/') || fileName.includes('\\')) return undefined;
	if (destination.kind === 'local') {
		// By the folder's own spelling: a case-insensitive file system finds B.ZIP as b.zip.
		if (!fs.readdirSync(destination.label).includes(fileName)) return undefined;
		const candidate = backupCandidate(destination.label, fileName);
		return candidate && trimmed(await listLocalBackup(candidate), options);
	}
	if (destination.kind !== 's3' && destination.kind !== 'azblob') return 'unknown';
	if (!formatFromPath(fileName)) return undefined;
	const object = await destination.stat(fileName);
	if (!object || object.folder || object.name !== fileName) return undefined;
	const listing = await listRemoteBackup(destination, object);
	return listing && trimmed(listing, options);
}

/** The objects at a remote destination that are named like backups (no byte of them read). */
export async function listBackupObjects(destination: Destination, options: {onRetry?: (note: RetryNote) => void} = {}): Promise<StoredObject[]> {
	return (await destination.list({onRetry: options.onRetry})).filter(object => !object.folder && formatFromPath(object.name));
}

/** A remote object's row before its summary is read. */
export function unreadRemoteListing(destination: Destination, object: StoredObject): BackupListing {
	return {path: destination.locate(object.name), fileName: object.name, format: formatFromPath(object.name)!, size: object.size, createdAt: object.modified.toISOString(), encrypted: object.name.endsWith('.enc')};
}

/** Whether a remote object's first bytes are a Lifeboat backup's (yes when that cannot be told: its row keeps the reason it was not read). */
async function beginsLikeBackup(destination: Destination, name: string): Promise<boolean> {
	try {
		return looksLikeLifeboatBackup(await readSniffHead(destination, name));
	} catch {
		return true;
	}
}

/** One remote backup's row (undefined: deleted since it was listed, or a `.json` object that is no backup). */
export async function listRemoteBackup(destination: Destination, object: StoredObject): Promise<BackupListing | undefined> {
	const listing = await listRemoteOne(destination, object);
	return listing === 'gone' ? undefined : listing.row;
}

async function listRemoteOne(destination: Destination, object: StoredObject): Promise<{row: BackupListing; readFailure?: LifeboatError} | 'gone'> {
	const base = unreadRemoteListing(destination, object);
	try {
		const read = await readBackupSummary(await destinationBlob(destination, object.name, object.size));
		return {row: {...base, format: read.format, encrypted: read.encrypted, summary: read.summary, metadata: read.metadata, createdAt: read.summary.createdAt}};
	} catch (error) {
		// Any `.json` object is not a backup: only one that begins like a JSON bundle is listed (as in a local folder).
		if (base.format === 'json' && !base.encrypted && !(await beginsLikeBackup(destination, object.name))) return 'gone';
		if (!(error instanceof LifeboatError && error.code === 'destination')) return {row: {...base, ...listingError(error, object.name)}};
		// Deleted between the listing and the read: not a backup any more.
		if (!(await destination.stat(object.name).catch(() => object))) return 'gone';
		return {row: {...base, ...listingError(error, object.name)}, readFailure: error};
	}
}

/**
 * What a listed backup is, for people: `full`, or `incremental of NAME` (its base's name, found
 * among `listings`; a base that is not there is said to be missing: the chain is broken).
 */
export function backupKindLabel(summary: BackupSummary | undefined, listings: readonly BackupListing[]): string {
	if (!summary || summary.backupKind !== 'incremental') return 'full';
	const base = listings.find(listing => listing.summary?.id === summary.baseBackupId);
	return base ? `incremental of ${base.summary!.name}` : `incremental of a backup not here (id ${summary.baseBackupId}): chain broken`;
}

/**
 * The chain a listed incremental will be restored with, full first, as `listings` show it (by the
 * summaries' base ids); `missing` names the first link that is not there.
 */
export function listedChain(summary: BackupSummary, listings: readonly BackupListing[]): {names: string[]; missing?: string} {
	const names = [summary.name];
	let current = summary;
	while (current.backupKind === 'incremental' && names.length < 1000) {
		const base = listings.find(listing => listing.summary?.id === current.baseBackupId)?.summary;
		if (!base) return {names, missing: current.baseBackupId ?? '?'};
		names.unshift(base.name);
		current = base;
	}
	return {names};
}

/** Newest file first by modification time, then by name: the order Home and Browse read a large folder in. */
export function newestFileFirst(a: BackupCandidate, b: BackupCandidate): number {
	return b.stats.mtimeMs - a.stats.mtimeMs || compareCodeUnits(b.fileName, a.fileName);
}

/** Backups read at a time while looking for the newest: the newest by file time, and a few more in case one was copied in later. */
const NEWEST_BATCH = 16;

/**
 * The newest backup that can be read, reading only the newest few by file time (a batch of
 * {@link NEWEST_BATCH}, the next batch only when none of them can be read): Home's "Last backup"
 * of a folder of 10,000 backups reads 16, not 10,000. Among a batch, the latest creation time wins.
 */
export async function newestBackup(destination: Destination, options: {cache?: SummaryCache} = {}): Promise<BackupListing | undefined> {
	if (destination.kind === 'local') {
		if (folderIsMissing(destination.label)) return undefined;
		const candidates = findBackupEntries(destination.label).sort(newestFileFirst);
		return newestReadable(candidates, candidate => listLocalBackup(candidate, options.cache));
	}
	const objects = (await listBackupObjects(destination)).sort((a, b) => b.modified.getTime() - a.modified.getTime() || compareCodeUnits(b.name, a.name));
	return newestReadable(objects, object => listRemoteBackup(destination, object));
}

async function newestReadable<T>(items: readonly T[], read: (item: T) => Promise<BackupListing | undefined>): Promise<BackupListing | undefined> {
	for (let start = 0; start < items.length; start += NEWEST_BATCH) {
		const rows = await mapBounded(items.slice(start, start + NEWEST_BATCH), REMOTE_READS_AT_ONCE, read);
		const readable = rows.filter((row): row is BackupListing => Boolean(row?.summary && !row.error)).sort(newestFirst);
		if (readable.length > 0) return readable[0];
	}
	return undefined;
}
