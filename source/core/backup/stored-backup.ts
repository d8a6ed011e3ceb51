/**
 * A backup wherever it is stored: a local file or folder (read as before), or an object on a
 * remote destination (read by ranges through a RangedBlob, never downloaded whole first).
 */
import path from 'node:path';
import type {ArchiveSource} from '../archive/archive-reader.js';
import type {RangedBlob} from '../archive/ranged-blob.js';
import type {Destination} from '../destinations/destination.js';
import type {Location} from '../destinations/location.js';
import {destinationError} from '../destinations/retry.js';
import {LifeboatError} from '../errors.js';
import {isEncryptedBackup, openBackupSource} from './backup-source.js';

export type StoredBackupRef = {destination: Destination; location: Location; object?: string};

function localPath(ref: StoredBackupRef): string | undefined {
	if (ref.location.kind !== 'local') return undefined;
	return ref.object ? path.join(ref.location.folder, ref.object) : ref.location.folder;
}

/** The backup a ref names; a folder or prefix alone is a usage error. */
export function requireObject(ref: StoredBackupRef): string {
	if (!ref.object) throw new LifeboatError('usage', `${ref.destination.label} is a folder or prefix: name one backup (…/NAME.zip)`);
	return ref.object;
}

/** One object of a destination as a ranged blob (its size from a listing, else a stat). */
export async function destinationBlob(destination: Destination, name: string, size?: number): Promise<RangedBlob> {
	const known = size ?? (await destination.stat(name))?.size;
	if (known === undefined) throw destinationError(destination.locate(name), 'no such backup');
	return {
		label: destination.locate(name),
		size: known,
		readRange: (offset, length) => destination.readRange(name, offset, length),
		read: offset => destination.read(name, {offset}),
	};
}

export async function isStoredBackupEncrypted(ref: StoredBackupRef): Promise<boolean> {
	const local = localPath(ref);
	if (local) return isEncryptedBackup(local);
	return isEncryptedBackup(await destinationBlob(ref.destination, requireObject(ref)));
}

export async function openStoredBackup(ref: StoredBackupRef, options: {passphrase?: string} = {}): Promise<ArchiveSource> {
	const local = localPath(ref);
	if (local) return openBackupSource(local, options);
	return openBackupSource(await destinationBlob(ref.destination, requireObject(ref)), options);
}
