import fs from 'node:fs';
import {formatFromPath, type ArchiveFormat} from '../archive/archive-format.js';
import {cannotRead, plainFileSource, sniffHead, type ArchiveSource} from '../archive/archive-reader.js';
import {blobZipSource, fileBlob, withCachedHead, type RangedBlob} from '../archive/ranged-blob.js';
import {createDecryptStream, isEncryptedFile, openEncryptedRandomAccess, plaintextBlob, readEncryptedHeader} from '../crypto/decrypt-stream.js';
import {MAGIC_LENGTH, hasMagic} from '../crypto/encrypted-format.js';
import {LifeboatError} from '../errors.js';

export const PASSPHRASE_ENV = 'LIFEBOAT_BACKUP_PASSPHRASE';

/**
 * An encrypted backup opened without a passphrase. `label` names the backup; the message says how
 * the CLI gives one, and a layer that takes it otherwise (the HTTP API's options) words its own.
 */
export class PassphraseRequiredError extends LifeboatError {
	/** Rewritable, as the message is: a server hides its scratch paths in both (imports.ts). */
	label: string;

	constructor(label: string) {
		super('passphrase-required', `${label} is encrypted: pass --passphrase-file FILE or set ${PASSPHRASE_ENV}`);
		this.label = label;
	}
}

export async function isEncryptedBackup(location: string | RangedBlob): Promise<boolean> {
	if (typeof location !== 'string') return isEncryptedFile(location);
	const stats = fs.statSync(location, {throwIfNoEntry: false});
	return Boolean(stats?.isFile()) && (await isEncryptedFile(location));
}

/**
 * Opens a backup for reading whatever it is: a plain zip / tar.gz / folder, or an encrypted
 * file (zip read by random access through the segment decryption, tar.gz as a stream). A wrong
 * passphrase fails here, after one key derivation, before anything else is read.
 *
 * `location` is a local path (a folder is a folder backup) or a blob read by ranges (a backup
 * at a remote destination): a zip is then read by its central directory and the entries it
 * needs, a tar.gz streams once, and nothing is downloaded whole.
 */
export async function openBackupSource(location: string | RangedBlob, options: {passphrase?: string} = {}): Promise<ArchiveSource> {
	if (typeof location !== 'string') return openBlobSource(location, options);
	if (!fs.existsSync(location)) throw new LifeboatError('usage', `No backup at ${location}`);
	let encrypted: boolean;
	try {
		encrypted = await isEncryptedBackup(location);
	} catch (error) {
		// Its first bytes could not be read: said as a read that fails later is.
		throw cannotRead(location, error) ?? error;
	}
	if (!encrypted) return plainFileSource(location);
	return openEncrypted(await fileBlob(location), options);
}

async function openBlobSource(blob: RangedBlob, options: {passphrase?: string}): Promise<ArchiveSource> {
	const head = await blob.readRange(0, MAGIC_LENGTH);
	if (hasMagic(head)) return openEncrypted(blob, options);
	const format = sniffHead(head, blob.label);
	if (format === 'zip') return {format, label: blob.label, zip: blobZipSource(blob)};
	// Streamed once per pass; the first entry (read on its own first) comes from cached head blocks.
	const cached = withCachedHead(blob);
	return {format, label: blob.label, open: () => cached.read(0)};
}

async function openEncrypted(blob: RangedBlob, options: {passphrase?: string}): Promise<ArchiveSource> {
	const {label} = blob;
	const {passphrase} = options;
	if (!passphrase) {
		throw new PassphraseRequiredError(label);
	}
	const header = await readEncryptedHeader(blob);
	const format = (header.summary['format'] as ArchiveFormat | undefined) ?? formatFromPath(label);
	if (format === 'zip') {
		const access = await openEncryptedRandomAccess(blob, passphrase);
		// A local file is read by the segment reader's own runs (segments handed out as they are
		// decrypted, its spare run buffers reused); a remote one through blocks that gather many
		// small entries into one request.
		if (blob.readInto) return {format: 'zip', label, zip: {size: async () => access.size, stream: (offset, length) => access.read(offset, length)}};
		return {format: 'zip', label, zip: blobZipSource(plaintextBlob(access, label), {minBlock: Math.min(header.segmentSize, 256 * 1024)})};
	}
	if (format === 'tar.gz' || format === 'tar.zst' || format === 'json') {
		// Unlock once now so a wrong passphrase is reported before any reading starts.
		await openEncryptedRandomAccess(blob, passphrase);
		const cached = withCachedHead(blob);
		return {format, label, open: async () => createDecryptStream(cached, passphrase)};
	}
	throw new LifeboatError('corrupt-archive', `${label}: encrypted backup of unknown format ${String(format)}`);
}
