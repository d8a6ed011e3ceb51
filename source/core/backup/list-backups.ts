import fs from 'node:fs';
import path from 'node:path';
import {ARCHIVE_KIND, formatFromPath, summarize, type ArchiveFormat, type BackupMetadata, type BackupSummary} from '../archive/archive-format.js';
import {plainFileSource} from '../archive/archive-reader.js';
import {LifeboatError} from '../errors.js';
import {PARTIAL_PREFIX} from '../destinations/local-publish.js';
import {dirSize} from '../destinations/local.js';
import {readEncryptedHeader} from '../crypto/decrypt-stream.js';
import {isEncryptedBackup} from './backup-source.js';
import {readMetadata} from './read-metadata.js';
import type {Destination, RetryNote, StoredObject} from '../destinations/destination.js';
import {destinationBlob} from './stored-backup.js';
import {readBackupSummary} from './read-summary.js';

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
};

/** Candidate backups in a folder: archives by extension, folders holding a metadata.json. */
export function findBackupCandidates(destDir: string): string[] {
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
	return names
		.filter(name => !name.startsWith(PARTIAL_PREFIX) && !name.startsWith('.'))
		.map(name => path.join(destDir, name))
		.filter(full => {
			const stats = fs.statSync(full, {throwIfNoEntry: false});
			if (!stats) return false;
			if (stats.isDirectory()) return fs.existsSync(path.join(full, 'metadata.json'));
			return stats.isFile() && formatFromPath(full) !== undefined;
		});
}

/**
 * Lists the backups in a folder, newest first, reading only each one's metadata (bounded: see
 * READ_LIMITS.maxMetadataBytes). One backup at a time: thousands of backups never hold more than
 * one file open or one metadata.json in memory at once.
 */
export async function listBackups(destDir: string): Promise<BackupListing[]> {
	const listings: BackupListing[] = [];
	for (const full of findBackupCandidates(destDir)) listings.push(await listOne(full));
	return listings.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * Like listBackups, but a folder that does not exist yet (a fresh install, a typo the operator
 * can see) holds no backups, as `backup list` says; anything else unreadable is still an error.
 */
export async function listBackupsOrNone(destDir: string): Promise<BackupListing[]> {
	const missing = (() => {
		try {
			fs.statSync(destDir);
			return false;
		} catch (error) {
			return (error as NodeJS.ErrnoException).code === 'ENOENT';
		}
	})();
	return missing ? [] : listBackups(destDir);
}

async function listOne(full: string): Promise<BackupListing> {
	const stats = fs.statSync(full);
	const format: ArchiveFormat = stats.isDirectory() ? 'dir' : formatFromPath(full)!;
	const encrypted = await isEncryptedBackup(full).catch(() => false);
	const base: BackupListing = {path: full, fileName: path.basename(full), format, size: stats.isDirectory() ? dirSize(full) : stats.size, createdAt: stats.mtime.toISOString(), encrypted};
	try {
		if (encrypted) {
			const summary = (await readEncryptedHeader(full)).summary as BackupSummary;
			if (summary.kind !== ARCHIVE_KIND) throw new Error('not a Lifeboat backup');
			return {...base, summary, createdAt: summary.createdAt};
		}
		const metadata = await readMetadata(plainFileSource(full));
		return {...base, metadata, summary: summarize(metadata, false), createdAt: metadata.createdAt};
	} catch (error) {
		return {...base, error: (error as Error).message};
	}
}

/**
 * The backups at any destination, newest first. A local folder is listed as above; a remote one
 * from its object listing plus each backup's summary, read by ranges (a few KiB per backup:
 * an encrypted file's plain header, the metadata.json that is an archive's first entry).
 */
export async function listDestination(destination: Destination, options: {onRetry?: (note: RetryNote) => void} = {}): Promise<BackupListing[]> {
	if (destination.kind === 'local') return listBackupsOrNone(destination.label);
	const objects = (await destination.list({onRetry: options.onRetry})).filter(object => !object.folder && formatFromPath(object.name));
	const listings: BackupListing[] = [];
	// One object that cannot be read (deleted since the listing, not readable by these credentials)
	// is a row with its reason; several in a row mean the destination itself failed.
	let failedInARow = 0;
	for (const object of objects) {
		const listing = await listRemoteOne(destination, object);
		if (listing === 'gone') continue;
		if (listing.readFailure) {
			if (++failedInARow >= 3) throw listing.readFailure;
		} else failedInARow = 0;
		listings.push(listing.row);
	}
	return listings.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

async function listRemoteOne(destination: Destination, object: StoredObject): Promise<{row: BackupListing; readFailure?: LifeboatError} | 'gone'> {
	const base: BackupListing = {path: destination.locate(object.name), fileName: object.name, format: formatFromPath(object.name)!, size: object.size, createdAt: object.modified.toISOString(), encrypted: object.name.endsWith('.enc')};
	try {
		const read = await readBackupSummary(await destinationBlob(destination, object.name, object.size));
		return {row: {...base, format: read.format, encrypted: read.encrypted, summary: read.summary, metadata: read.metadata, createdAt: read.summary.createdAt}};
	} catch (error) {
		if (!(error instanceof LifeboatError && error.code === 'destination')) return {row: {...base, error: (error as Error).message}};
		// Deleted between the listing and the read: not a backup any more.
		if (!(await destination.stat(object.name).catch(() => object))) return 'gone';
		return {row: {...base, error: error.message}, readFailure: error};
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
