/**
 * Lifeboat encrypted backup format, version 1 — constants, header encoding and parsing.
 *
 * The section below is written so it can be pasted into the readme as is.
 *
 * ### Encrypted backup format (version 1)
 *
 * An encrypted backup is the plain archive (zip or tar.gz) run through a streaming AEAD in
 * the style of age's STREAM and Tink's AES-GCM-HKDF streaming: a header, then the archive cut
 * into fixed-size segments, each sealed on its own with AES-256-GCM. All integers are
 * unsigned big-endian.
 *
 * | Offset | Size | Field                                                                  |
 * |-------:|-----:|------------------------------------------------------------------------|
 * |      0 |   13 | magic: ASCII `LIFEBOAT-ENC` followed by one NUL byte                   |
 * |     13 |    1 | format version: `1`                                                     |
 * |     14 |    1 | KDF id: `1` = PBKDF2-HMAC-SHA256                                        |
 * |     15 |    4 | KDF iterations (default 600,000)                                        |
 * |     19 |   16 | KDF salt (random per file)                                              |
 * |     35 |    4 | segment size S: plaintext bytes per segment (default 65,536)            |
 * |     39 |    7 | nonce prefix (random per file)                                          |
 * |     46 |    4 | summary length N                                                        |
 * |     50 |    N | summary: UTF-8 JSON object, **not secret**, readable without passphrase |
 * |  50+N |   32 | header MAC: HMAC-SHA256 over bytes `0 .. 50+N` with the header MAC key  |
 *
 * The header is `82 + N` bytes long. The payload follows it directly.
 *
 * **Keys.** `master = PBKDF2-HMAC-SHA256(NFC(passphrase), salt, iterations, 32 bytes)`; then
 * `payload key = HKDF-SHA256(master, salt = "", info = "lifeboat-enc v1 payload key", 32)` and
 * `header MAC key = HKDF-SHA256(master, salt = "", info = "lifeboat-enc v1 header mac key", 32)`.
 * A reader runs the KDF once and checks the header MAC before touching the payload: a mismatch
 * means a wrong passphrase (or a damaged header) and is reported as
 * `wrong passphrase or corrupted backup`. The MAC also authenticates the summary.
 *
 * **Payload.** The plaintext is cut into segments of exactly S bytes, followed by exactly one
 * *final* segment holding the remaining 0 .. S−1 bytes (so the final segment is empty when the
 * plaintext is empty or a multiple of S). Segment `i` is stored as
 * `AES-256-GCM(payload key, nonce_i, plaintext_i, AAD = SHA-256(all header bytes incl. MAC))`
 * followed by its 16-byte tag, so a stored segment is `S + 16` bytes, and the final one
 * `16 .. S + 15` bytes. `nonce_i = nonce prefix (7) ‖ i as uint32 (4) ‖ last flag (1)`, the flag
 * being `1` on the final segment and `0` on all others. Hence:
 *
 * - a reader knows a segment is the final one from its length alone (shorter than `S + 16`);
 * - a file that ends without a final segment (truncated at a segment boundary) is rejected;
 *   cutting inside a segment, reordering, swapping, or moving segments between files (other
 *   header, other AAD) makes a tag check fail; bytes after the final segment are rejected;
 * - plaintext is released only after its segment's tag has been verified;
 * - any plaintext byte range can be read by decrypting only the segments it covers: the byte at
 *   plaintext offset `o` is in segment `floor(o / S)`, stored at
 *   `headerLength + floor(o / S) × (S + 16)`. The plaintext length follows from the file size:
 *   with `P = fileSize − headerLength`, there are `floor(P / (S + 16)) + 1` segments and
 *   `P − 16 × segments` plaintext bytes.
 *
 * A version byte greater than 1 is refused with
 * `encrypted backup format version N is newer than this Lifeboat supports (1)`.
 */
import {LifeboatError} from '../errors.js';
import {isPlainObject} from '../json-text.js';

/** `LIFEBOAT-ENC` + NUL. Fixed for every format version, so old readers can name new files. */
export const MAGIC = Buffer.from('LIFEBOAT-ENC\0', 'latin1');
export const MAGIC_LENGTH = MAGIC.length; // 13

/** The format version this code writes, and the newest it reads. */
export const FORMAT_VERSION = 1;

export const KDF_PBKDF2_HMAC_SHA256 = 1;
export const DEFAULT_ITERATIONS = 600_000;
/** Bounds on the iteration count accepted from a header (and when writing): a crafted header
 * must not make a reader spin for hours (10 M iterations ≈ 2 s here). */
export const MIN_ITERATIONS = 1;
export const MAX_ITERATIONS = 10_000_000;
export const SALT_LENGTH = 16;

export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
/** Bounds on the segment size: readers allocate one segment, so a header cannot ask for GiBs. */
export const MIN_SEGMENT_SIZE = 16;
export const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;

export const NONCE_PREFIX_LENGTH = 7;
export const NONCE_LENGTH = 12; // prefix (7) ‖ counter (4) ‖ last flag (1)
export const TAG_LENGTH = 16;
export const HEADER_MAC_LENGTH = 32;
/** Segment indexes are a uint32 in the nonce. */
export const MAX_SEGMENTS = 2 ** 32;

/** Summaries are small (counts, dates, gateway name); anything larger is treated as damage. */
export const MAX_SUMMARY_LENGTH = 1024 * 1024;

// Field offsets (see the table above).
const OFFSET_VERSION = 13;
const OFFSET_KDF_ID = 14;
const OFFSET_ITERATIONS = 15;
const OFFSET_SALT = 19;
const OFFSET_SEGMENT_SIZE = 35;
const OFFSET_NONCE_PREFIX = 39;
const OFFSET_SUMMARY_LENGTH = 46;
/** Bytes before the summary; enough to learn the full header length. */
export const FIXED_HEADER_LENGTH = 50;

export const WRONG_PASSPHRASE_MESSAGE = 'wrong passphrase or corrupted backup';

export type EncryptedHeaderFields = {
	iterations: number;
	salt: Buffer;
	segmentSize: number;
	noncePrefix: Buffer;
	summary: Record<string, unknown>;
};

export type EncryptedHeader = EncryptedHeaderFields & {
	version: number;
	kdf: 'pbkdf2-hmac-sha256';
	/** Header length in bytes, MAC included: the payload starts here. */
	headerLength: number;
	/** The header bytes the MAC covers (everything before the MAC). */
	authenticatedBytes: Buffer;
	/** The stored header MAC (not verified until a passphrase is given). */
	mac: Buffer;
	/** Size of the file the header was read from, when known. */
	fileSize?: number;
	/** Plaintext length derived from the file size (not authenticated until decrypted);
	 * undefined when the size cannot belong to a well-formed file (e.g. truncated mid-tag). */
	plaintextLength?: number;
};

function corrupt(message: string): LifeboatError {
	return new LifeboatError('corrupt-archive', message);
}

export function checkIterations(iterations: number): void {
	if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
		throw new RangeError(`iterations must be an integer between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}`);
	}
}

export function checkSegmentSize(segmentSize: number): void {
	if (!Number.isSafeInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
		throw new RangeError(`segmentSize must be an integer between ${MIN_SEGMENT_SIZE} and ${MAX_SEGMENT_SIZE}`);
	}
}

/** Encodes everything the header MAC covers (the caller appends the 32-byte MAC). */
export function encodeHeaderBody(fields: EncryptedHeaderFields): Buffer {
	checkIterations(fields.iterations);
	checkSegmentSize(fields.segmentSize);
	if (fields.salt.length !== SALT_LENGTH) throw new RangeError(`salt must be ${SALT_LENGTH} bytes`);
	if (fields.noncePrefix.length !== NONCE_PREFIX_LENGTH) throw new RangeError(`nonce prefix must be ${NONCE_PREFIX_LENGTH} bytes`);
	if (!isPlainObject(fields.summary)) throw new TypeError('summary must be a plain JSON object');
	const summary = Buffer.from(JSON.stringify(fields.summary), 'utf8');
	if (summary.length > MAX_SUMMARY_LENGTH) throw new RangeError(`summary must be at most ${MAX_SUMMARY_LENGTH} bytes of JSON`);

	const body = Buffer.alloc(FIXED_HEADER_LENGTH + summary.length);
	MAGIC.copy(body, 0);
	body[OFFSET_VERSION] = FORMAT_VERSION;
	body[OFFSET_KDF_ID] = KDF_PBKDF2_HMAC_SHA256;
	body.writeUInt32BE(fields.iterations, OFFSET_ITERATIONS);
	fields.salt.copy(body, OFFSET_SALT);
	body.writeUInt32BE(fields.segmentSize, OFFSET_SEGMENT_SIZE);
	fields.noncePrefix.copy(body, OFFSET_NONCE_PREFIX);
	body.writeUInt32BE(summary.length, OFFSET_SUMMARY_LENGTH);
	summary.copy(body, FIXED_HEADER_LENGTH);
	return body;
}

export function hasMagic(bytes: Buffer): boolean {
	return bytes.length >= MAGIC_LENGTH && bytes.subarray(0, MAGIC_LENGTH).equals(MAGIC);
}

/**
 * Parses the fixed part of the header (the first {@link FIXED_HEADER_LENGTH} bytes) and returns
 * the full header length. Checks magic first, then the version (a newer version may lay out the
 * rest differently), then the field ranges.
 */
export function parseHeaderLength(fixed: Buffer): number {
	if (!hasMagic(fixed)) throw corrupt('not a Lifeboat encrypted backup (bad magic bytes)');
	if (fixed.length <= OFFSET_VERSION) throw corrupt('encrypted backup header is truncated');
	const version = fixed[OFFSET_VERSION];
	if (version > FORMAT_VERSION) {
		throw new LifeboatError('unsupported-version', `encrypted backup format version ${version} is newer than this Lifeboat supports (${FORMAT_VERSION})`);
	}
	if (version < 1) throw corrupt(`encrypted backup header is corrupted (format version ${version})`);
	if (fixed.length < FIXED_HEADER_LENGTH) throw corrupt('encrypted backup header is truncated');
	const summaryLength = fixed.readUInt32BE(OFFSET_SUMMARY_LENGTH);
	if (summaryLength > MAX_SUMMARY_LENGTH) throw corrupt('encrypted backup header is corrupted (summary too large)');
	return FIXED_HEADER_LENGTH + summaryLength + HEADER_MAC_LENGTH;
}

/** Parses a complete header (extra bytes after it are ignored). Does not verify the MAC. */
export function parseHeader(bytes: Buffer): EncryptedHeader {
	const headerLength = parseHeaderLength(bytes.subarray(0, FIXED_HEADER_LENGTH));
	if (bytes.length < headerLength) throw corrupt('encrypted backup header is truncated');

	const kdfId = bytes[OFFSET_KDF_ID];
	if (kdfId !== KDF_PBKDF2_HMAC_SHA256) throw corrupt(`encrypted backup header is corrupted (unknown key derivation ${kdfId})`);
	const iterations = bytes.readUInt32BE(OFFSET_ITERATIONS);
	if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) throw corrupt('encrypted backup header is corrupted (iteration count out of range)');
	const segmentSize = bytes.readUInt32BE(OFFSET_SEGMENT_SIZE);
	if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) throw corrupt('encrypted backup header is corrupted (segment size out of range)');

	const macOffset = headerLength - HEADER_MAC_LENGTH;
	let summary: unknown;
	try {
		summary = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(bytes.subarray(FIXED_HEADER_LENGTH, macOffset)));
	} catch (error) {
		throw new LifeboatError('corrupt-archive', 'encrypted backup header is corrupted (summary is not valid JSON)', {cause: error});
	}
	if (!isPlainObject(summary)) throw corrupt('encrypted backup header is corrupted (summary is not a JSON object)');

	return {
		version: bytes[OFFSET_VERSION],
		kdf: 'pbkdf2-hmac-sha256',
		iterations,
		salt: Buffer.from(bytes.subarray(OFFSET_SALT, OFFSET_SALT + SALT_LENGTH)),
		segmentSize,
		noncePrefix: Buffer.from(bytes.subarray(OFFSET_NONCE_PREFIX, OFFSET_NONCE_PREFIX + NONCE_PREFIX_LENGTH)),
		summary,
		headerLength,
		authenticatedBytes: Buffer.from(bytes.subarray(0, macOffset)),
		mac: Buffer.from(bytes.subarray(macOffset, headerLength)),
	};
}

/** The 12-byte GCM nonce of segment `index`: prefix ‖ uint32 BE index ‖ last flag. */
export function segmentNonce(noncePrefix: Buffer, index: number, last: boolean): Buffer {
	if (!Number.isInteger(index) || index < 0 || index >= MAX_SEGMENTS) {
		throw new LifeboatError('corrupt-archive', 'encrypted backup has too many segments');
	}
	const nonce = Buffer.alloc(NONCE_LENGTH);
	noncePrefix.copy(nonce, 0);
	nonce.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
	nonce[NONCE_LENGTH - 1] = last ? 1 : 0;
	return nonce;
}

/** Number of stored segments for a plaintext length: full segments plus the one final segment. */
export function segmentCount(plaintextBytes: number, segmentSize: number): number {
	return Math.floor(plaintextBytes / segmentSize) + 1;
}

/** Encrypted file size for a given plaintext length. */
export function encryptedSize(plaintextBytes: number, segmentSize: number, headerLength: number): number {
	return plaintextBytes + encryptedSizeOverhead(plaintextBytes, segmentSize, headerLength);
}

/** Bytes the encryption adds to a plaintext: the header plus one 16-byte tag per segment. */
export function encryptedSizeOverhead(plaintextBytes: number, segmentSize: number, headerLength: number): number {
	return headerLength + TAG_LENGTH * segmentCount(plaintextBytes, segmentSize);
}

/**
 * The layout implied by a file size: plaintext length, segment count and the final segment's
 * plaintext length. Undefined when no well-formed file has this size (the tail is shorter than
 * a tag), which means the file was truncated or extended.
 */
export function payloadLayout(fileSize: number, segmentSize: number, headerLength: number):
	| {plaintextLength: number; segments: number; finalSegmentLength: number}
	| undefined {
	const payload = fileSize - headerLength;
	if (payload < TAG_LENGTH) return undefined;
	const stored = segmentSize + TAG_LENGTH;
	const segments = Math.floor(payload / stored) + 1;
	const tail = payload % stored;
	if (tail < TAG_LENGTH) return undefined;
	return {plaintextLength: payload - TAG_LENGTH * segments, segments, finalSegmentLength: tail - TAG_LENGTH};
}
