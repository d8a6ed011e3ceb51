/**
 * Deletes one backup at a destination, and only a backup: the object must carry a Lifeboat
 * backup's first bytes (an encrypted header, a zip or gzip whose first entry is metadata.json),
 * checked by a small ranged read, so a mistyped name never removes someone else's file.
 */
import path from 'node:path';
import {formatFromPath} from '../archive/archive-format.js';
import type {Destination, StoredObject} from '../destinations/destination.js';
import {destinationError} from '../destinations/retry.js';
import {LifeboatError} from '../errors.js';
import {isLifeboatBackup} from './backup-sniff.js';
import {looksLikeLifeboatBackup, readSniffHead} from './backup-sniff.js';

export async function deleteBackup(destination: Destination, name: string, options: {signal?: AbortSignal} = {}): Promise<StoredObject> {
	const where = destination.locate(name);
	const stat = await destination.stat(name, {signal: options.signal});
	if (!stat) throw destinationError(where, 'no such backup');
	const isBackup = destination.kind === 'local' ? isLifeboatBackup(path.join(destination.label, name)) : Boolean(formatFromPath(name)) && looksLikeLifeboatBackup(await readSniffHead(destination, name, options.signal));
	if (!isBackup) throw new LifeboatError('not-a-backup', `${where} is not a Lifeboat backup; it was not deleted`);
	await destination.delete(name, {signal: options.signal});
	return stat;
}
