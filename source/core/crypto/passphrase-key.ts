/**
 * Passphrase → keys for the encrypted backup format (see encrypted-format.ts).
 *
 * One PBKDF2-HMAC-SHA256 run (async, off the main thread) turns the passphrase and the file's
 * random salt into a 32-byte master key; HKDF-SHA256 then splits it into independent subkeys
 * for the payload (AES-256-GCM) and for the header MAC (HMAC-SHA256), so the same key is never
 * used by two algorithms.
 */
import crypto from 'node:crypto';
import {promisify} from 'node:util';
import {LifeboatError} from '../errors.js';
import {checkIterations, DEFAULT_ITERATIONS, SALT_LENGTH, WRONG_PASSPHRASE_MESSAGE, type EncryptedHeader} from './encrypted-format.js';

const pbkdf2 = promisify(crypto.pbkdf2);

const KEY_LENGTH = 32;
const PAYLOAD_KEY_INFO = 'lifeboat-enc v1 payload key';
const HEADER_MAC_KEY_INFO = 'lifeboat-enc v1 header mac key';

export {DEFAULT_ITERATIONS};

export type DerivedKeys = {
	/** AES-256-GCM key for the payload segments. */
	payloadKey: Buffer;
	/** HMAC-SHA256 key for the header MAC. */
	headerMacKey: Buffer;
};

/** A fresh random salt for a new file. */
export function randomSalt(): Buffer {
	return crypto.randomBytes(SALT_LENGTH);
}

/**
 * Rejects an empty passphrase and normalizes to Unicode NFC, so the same passphrase typed on
 * systems that compose accents differently gives the same key.
 */
export function normalizePassphrase(passphrase: string): string {
	if (typeof passphrase !== 'string' || passphrase.length === 0) {
		throw new LifeboatError('usage', 'passphrase must not be empty');
	}
	return passphrase.normalize('NFC');
}

/** PBKDF2-HMAC-SHA256 (async) to a 32-byte master key. */
export async function deriveMasterKey(passphrase: string, salt: Buffer, iterations: number = DEFAULT_ITERATIONS): Promise<Buffer> {
	const normalized = normalizePassphrase(passphrase);
	checkIterations(iterations);
	if (salt.length !== SALT_LENGTH) throw new RangeError(`salt must be ${SALT_LENGTH} bytes`);
	return pbkdf2(Buffer.from(normalized, 'utf8'), salt, iterations, KEY_LENGTH, 'sha256');
}

/** HKDF-SHA256 subkeys from the master key (cheap; no salt, distinct info strings). */
export function deriveSubkeys(masterKey: Buffer): DerivedKeys {
	const subkey = (info: string) => Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), info, KEY_LENGTH));
	return {payloadKey: subkey(PAYLOAD_KEY_INFO), headerMacKey: subkey(HEADER_MAC_KEY_INFO)};
}

/** Master key and both subkeys: the single expensive step of encrypting or opening a file. */
export async function deriveKeys(passphrase: string, salt: Buffer, iterations: number = DEFAULT_ITERATIONS): Promise<DerivedKeys> {
	return deriveSubkeys(await deriveMasterKey(passphrase, salt, iterations));
}

export function computeHeaderMac(headerMacKey: Buffer, authenticatedBytes: Buffer): Buffer {
	return crypto.createHmac('sha256', headerMacKey).update(authenticatedBytes).digest();
}

/** SHA-256 of every header byte (MAC included): each segment's AAD, tying segments to their file. */
export function headerDigest(headerBytes: Buffer): Buffer {
	return crypto.createHash('sha256').update(headerBytes).digest();
}

/**
 * Derives the keys for a parsed header and checks its MAC (constant-time). This is how a wrong
 * passphrase is detected after one KDF run and without reading the payload. The MAC also covers
 * the plaintext summary, so a summary shown before this check is unauthenticated.
 */
export async function unlockHeader(header: EncryptedHeader, passphrase: string): Promise<DerivedKeys> {
	const keys = await deriveKeys(passphrase, header.salt, header.iterations);
	const expected = computeHeaderMac(keys.headerMacKey, header.authenticatedBytes);
	if (header.mac.length !== expected.length || !crypto.timingSafeEqual(header.mac, expected)) {
		throw new LifeboatError('wrong-passphrase', WRONG_PASSPHRASE_MESSAGE);
	}
	return keys;
}
