import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {ARCHIVE_KIND, BUNDLE_KIND, METADATA_PATH} from '../archive/archive-format.js';
import {hasZstdMagic, zstdFirstBlockEnd, zstdPrefix} from '../archive/zstd-process.js';
import {FIXED_HEADER_LENGTH, hasMagic, parseHeader, parseHeaderLength} from '../crypto/encrypted-format.js';
import type {Destination} from '../destinations/destination.js';
import {LifeboatError} from '../errors.js';

/** Lifeboat writes metadata.json first, and `kind` is its first key. */
const KIND_PREFIX = new RegExp(`^\\{\\s*"kind"\\s*:\\s*"${ARCHIVE_KIND}"`);
/** Compressed bytes looked at: plenty for the start of metadata.json, bounded work. */
const HEAD_BYTES = 4096;
/** Compressed bytes of a tar.zst looked at (its first block, whole). */
const ZSTD_HEAD_BYTES = 256 * 1024;
/** Bound on what those bytes may inflate to (deflate cannot expand past ~1032:1). */
const MAX_INFLATED = 8 * 1024 * 1024;

function readHead(file: string, length: number, position = 0): Buffer {
	// Never opened unless a regular file (a FIFO named like a backup would block the open forever): no bytes then.
	if (!fs.statSync(file).isFile()) return Buffer.alloc(0);
	const fd = fs.openSync(file, 'r');
	try {
		const buffer = Buffer.alloc(length);
		const read = fs.readSync(fd, buffer, 0, length, position);
		return buffer.subarray(0, read);
	} finally {
		fs.closeSync(fd);
	}
}

/** Inflates as much of a cut-short stream as its bytes allow. */
function inflatePrefix(bytes: Buffer, gzip: boolean): Buffer {
	const options = {finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: MAX_INFLATED};
	return gzip ? zlib.gunzipSync(bytes, options) : zlib.inflateRawSync(bytes, options);
}

/** A zip whose first entry is a Lifeboat metadata.json (stored or deflated). */
function isLifeboatZip(head: Buffer): boolean {
	if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) return false;
	const method = head.readUInt16LE(8);
	const nameLength = head.readUInt16LE(26);
	const extraLength = head.readUInt16LE(28);
	if (head.subarray(30, 30 + nameLength).toString('utf8') !== METADATA_PATH) return false;
	const data = head.subarray(30 + nameLength + extraLength);
	if (method === 0) return KIND_PREFIX.test(data.toString('utf8'));
	return method === 8 && KIND_PREFIX.test(inflatePrefix(data, false).toString('utf8'));
}

/** A tar.gz whose first entry is a Lifeboat metadata.json. */
function isLifeboatTarGz(head: Buffer): boolean {
	if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return false;
	const tar = inflatePrefix(head, true);
	const name = tar.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
	return name === METADATA_PATH && KIND_PREFIX.test(tar.subarray(512).toString('utf8'));
}

/**
 * A tar.zst whose first entry is a Lifeboat metadata.json (decoded by the zstd program, bounded).
 * zstd decodes whole blocks only: a head cut inside the first block decodes to nothing, and the
 * magic alone proves nothing, so that is "no" (callers read {@link sniffLength} bytes first).
 * Without zstd nothing can be told: the usage error saying what to install is thrown.
 */
function isLifeboatTarZst(head: Buffer): boolean {
	if (!hasZstdMagic(head)) return false;
	const tar = zstdPrefix(head, MAX_INFLATED);
	if (tar.length < 512 + 16) return false;
	const name = tar.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
	return name === METADATA_PATH && KIND_PREFIX.test(tar.subarray(512).toString('utf8'));
}

/**
 * A JSON bundle (json-bundle-writer.ts): its first key is its kind, Lifeboat's bundle. (A bundle cut
 * short after that is still a damaged Lifeboat backup, not some other file.)
 */
const BUNDLE_PREFIX = new RegExp(`^\\s*\\{\\s*"kind"\\s*:\\s*"${BUNDLE_KIND}"`);

function isLifeboatJson(head: Buffer): boolean {
	return BUNDLE_PREFIX.test(head.subarray(0, 256).toString('latin1'));
}

/**
 * How many first bytes {@link looksLikeLifeboatBackup} needs to tell, given the first 4 KiB: more
 * only for a tar.zst, whose whole first zstd block (at most ~128 KiB) must be held.
 */
export function sniffLength(head: Buffer): number {
	if (!hasZstdMagic(head)) return head.length;
	return Math.min(zstdFirstBlockEnd(head) ?? ZSTD_HEAD_BYTES, ZSTD_HEAD_BYTES);
}

/** The first bytes of a stored object that {@link looksLikeLifeboatBackup} needs: 4 KiB, then a tar.zst's first block. */
export async function readSniffHead(destination: Destination, name: string, signal?: AbortSignal): Promise<Buffer> {
	const head = await destination.readRange(name, 0, HEAD_BYTES, {signal});
	const wanted = sniffLength(head);
	return wanted > head.length && head.length === HEAD_BYTES ? destination.readRange(name, 0, wanted, {signal}) : head;
}

/** Errors that say why nothing could be told (no zstd program), rather than "no". */
function cannotTell(error: unknown): boolean {
	return error instanceof LifeboatError && error.code === 'usage';
}

/** An encrypted backup: Lifeboat's magic and a header whose plain summary says so. */
function isLifeboatEncrypted(file: string, head: Buffer): boolean {
	if (!hasMagic(head)) return false;
	const length = parseHeaderLength(head.subarray(0, FIXED_HEADER_LENGTH));
	const summary = parseHeader(readHead(file, length)).summary as {kind?: unknown};
	return summary.kind === ARCHIVE_KIND;
}

/**
 * Whether the first bytes of a file ({@link sniffLength} of them: 4 KiB, more for a tar.zst) are
 * those of a Lifeboat backup: an encrypted header (magic only: the whole header may be longer
 * than the bytes given), or a zip, tar.gz or tar.zst whose first entry is a Lifeboat
 * metadata.json. Malformed or too few bytes are "no"; a tar.zst without the zstd program throws
 * the usage error saying what to install.
 */
export function looksLikeLifeboatBackup(head: Buffer): boolean {
	try {
		return hasMagic(head) || isLifeboatZip(head) || isLifeboatTarGz(head) || isLifeboatJson(head) || isLifeboatTarZst(head);
	} catch (error) {
		if (cannotTell(error)) throw error;
		return false;
	}
}

/**
 * Whether `target` is a Lifeboat backup, judged by its content (not its name): an encrypted
 * file's header, a zip's, tar.gz's or tar.zst's first entry, a folder's metadata.json. Links are not
 * backups. Reads a few KiB at most (a tar.zst's first block); anything unreadable or malformed is
 * "no"; a tar.zst without the zstd program throws the usage error saying what to install.
 */
export function isLifeboatBackup(target: string): boolean {
	try {
		const stats = fs.lstatSync(target);
		if (stats.isDirectory()) {
			const metadata = path.join(target, METADATA_PATH);
			return fs.lstatSync(metadata).isFile() && KIND_PREFIX.test(readHead(metadata, HEAD_BYTES).toString('utf8'));
		}
		if (!stats.isFile()) return false;
		const head = readHead(target, Math.max(HEAD_BYTES, FIXED_HEADER_LENGTH));
		// A zstd frame's first block (128 KiB at most, plus its headers) holds the start of metadata.json.
		return isLifeboatEncrypted(target, head) || isLifeboatZip(head) || isLifeboatTarGz(head) || isLifeboatJson(head) || (hasZstdMagic(head) && isLifeboatTarZst(readHead(target, sniffLength(head))));
	} catch (error) {
		if (cannotTell(error)) throw error;
		return false;
	}
}
