/**
 * A backup wherever it is stored: a local file or folder (read as before), or an object on a
 * remote destination (read by ranges, never downloaded whole first).
 */
import path from 'node:path';
import type {ArchiveSource} from '../archive/archive-reader.js';
import type {Destination} from '../destinations/destination.js';
import type {Location} from '../destinations/location.js';
import {LifeboatError} from '../errors.js';
import {isEncryptedBackup, openBackupSource} from './backup-source.js';

export type StoredBackupRef = {destination: Destination; location: Location; object?: string};

function localPath(ref: StoredBackupRef): string | undefined {
	if (ref.location.kind !== 'local') return undefined;
	return ref.object ? path.join(ref.location.folder, ref.object) : ref.location.folder;
}

function requireObject(ref: StoredBackupRef): string {
	if (!ref.object) throw new LifeboatError('usage', `${ref.destination.label} is a folder or prefix: name one backup (…/NAME.zip)`);
	return ref.object;
}

export async function isStoredBackupEncrypted(ref: StoredBackupRef): Promise<boolean> {
	const local = localPath(ref);
	if (local) return isEncryptedBackup(local);
	const name = requireObject(ref);
	const head = await ref.destination.readRange(name, 0, 13);
	return head.toString('latin1') === 'LIFEBOAT-ENC\0';
}

export async function openStoredBackup(ref: StoredBackupRef, options: {passphrase?: string} = {}): Promise<ArchiveSource> {
	const local = localPath(ref);
	if (local) return openBackupSource(local, options);
	requireObject(ref);
	throw new LifeboatError('usage', 'reading remote backups is not wired yet');
}

/** Placeholder types until the ranged reading layer lands. */
export type RangedBlobLike = {label: string; size: number; readRange(offset: number, length: number): Promise<Buffer>; read(offset: number): Promise<import('node:stream').Readable>};

/** One object of a destination as a ranged blob (size from a listing or a stat). */
export async function destinationBlob(destination: Destination, name: string, size?: number): Promise<RangedBlobLike> {
	const known = size ?? (await destination.stat(name))?.size;
	if (known === undefined) throw new LifeboatError('destination', `${destination.locate(name)}: no such backup`);
	return {
		label: destination.locate(name),
		size: known,
		readRange: (offset, length) => destination.readRange(name, offset, length),
		read: offset => destination.read(name, {offset}),
	};
}

export async function readBackupSummary(_blob: RangedBlobLike): Promise<{format: import('../archive/archive-format.js').ArchiveFormat; encrypted: boolean; summary: import('../archive/archive-format.js').BackupSummary; metadata?: import('../archive/archive-format.js').BackupMetadata}> {
	throw new LifeboatError('corrupt-archive', 'summary reading not wired yet');
}
