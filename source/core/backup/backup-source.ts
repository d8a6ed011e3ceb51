import fs from 'node:fs';
import {formatFromPath, type ArchiveFormat} from '../archive/archive-format.js';
import {plainFileSource, type ArchiveSource} from '../archive/archive-reader.js';
import {createDecryptStream, isEncryptedFile, openEncryptedRandomAccess, readEncryptedHeader} from '../crypto/decrypt-stream.js';
import {LifeboatError} from '../errors.js';

export const PASSPHRASE_ENV = 'LIFEBOAT_BACKUP_PASSPHRASE';

export async function isEncryptedBackup(location: string): Promise<boolean> {
	const stats = fs.statSync(location, {throwIfNoEntry: false});
	return Boolean(stats?.isFile()) && (await isEncryptedFile(location));
}

/**
 * Opens a backup for reading whatever it is: a plain zip / tar.gz / folder, or an encrypted
 * file (zip read by random access through the segment decryption, tar.gz as a stream). A wrong
 * passphrase fails here, after one key derivation, before anything else is read.
 */
export async function openBackupSource(location: string, options: {passphrase?: string} = {}): Promise<ArchiveSource> {
	if (!fs.existsSync(location)) throw new LifeboatError('usage', `No backup at ${location}`);
	if (!(await isEncryptedBackup(location))) return plainFileSource(location);
	const {passphrase} = options;
	if (!passphrase) {
		throw new LifeboatError('passphrase-required', `${location} is encrypted: pass --passphrase-file FILE or set ${PASSPHRASE_ENV}`);
	}
	const header = await readEncryptedHeader(location);
	const format = (header.summary['format'] as ArchiveFormat | undefined) ?? formatFromPath(location);
	if (format === 'zip') {
		const access = await openEncryptedRandomAccess(location, passphrase);
		return {format: 'zip', label: location, zip: {size: async () => access.size, stream: (offset, length) => access.read(offset, length)}};
	}
	if (format === 'tar.gz') {
		// Unlock once now so a wrong passphrase is reported before any reading starts.
		await openEncryptedRandomAccess(location, passphrase);
		return {format: 'tar.gz', label: location, open: async () => createDecryptStream(location, passphrase)};
	}
	throw new LifeboatError('corrupt-archive', `${location}: encrypted backup of unknown format ${String(format)}`);
}
