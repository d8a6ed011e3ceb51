/**
 * Streaming encryption: plaintext in, encrypted backup (header + sealed segments) out.
 * Format: see encrypted-format.ts.
 *
 * Memory stays constant: the transform keeps one segment-sized buffer and seals each full
 * segment as soon as it fills; whatever is left at the end (0 .. S−1 bytes) becomes the final,
 * last-flagged segment.
 */
import crypto from 'node:crypto';
import {Transform, type TransformCallback} from 'node:stream';
import {
	checkSegmentSize,
	DEFAULT_ITERATIONS,
	DEFAULT_SEGMENT_SIZE,
	encodeHeaderBody,
	MAX_SEGMENTS,
	NONCE_PREFIX_LENGTH,
	segmentNonce,
	TAG_LENGTH,
} from './encrypted-format.js';
import {computeHeaderMac, deriveKeys, headerDigest, normalizePassphrase, randomSalt} from './passphrase-key.js';

export type EncryptStreamOptions = {
	passphrase: string;
	/** Non-secret JSON stored in clear in the header (readable without the passphrase). */
	summary: Record<string, unknown>;
	/** Plaintext bytes per segment (default 64 KiB); recorded in the header. */
	segmentSize?: number;
	/** PBKDF2 iterations (default 600,000); recorded in the header. */
	iterations?: number;
};

/** Seals one segment: ciphertext ‖ 16-byte tag. */
function sealSegment(key: Buffer, noncePrefix: Buffer, aad: Buffer, index: number, last: boolean, plaintext: Buffer): Buffer {
	const cipher = crypto.createCipheriv('aes-256-gcm', key, segmentNonce(noncePrefix, index, last), {authTagLength: TAG_LENGTH});
	cipher.setAAD(aad);
	const head = cipher.update(plaintext);
	const tail = cipher.final();
	return Buffer.concat([head, tail, cipher.getAuthTag()]);
}

class EncryptTransform extends Transform {
	readonly #key: Buffer;
	readonly #noncePrefix: Buffer;
	readonly #aad: Buffer;
	readonly #segment: Buffer; // the one segment-sized buffer
	#filled = 0;
	#index = 0;

	constructor(header: Buffer, key: Buffer, noncePrefix: Buffer, segmentSize: number) {
		super();
		this.#key = key;
		this.#noncePrefix = noncePrefix;
		this.#aad = headerDigest(header);
		this.#segment = Buffer.alloc(segmentSize);
		this.push(header);
	}

	override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
		try {
			const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
			let offset = 0;
			while (offset < data.length) {
				const copied = data.copy(this.#segment, this.#filled, offset);
				this.#filled += copied;
				offset += copied;
				// A full segment is never the final one (the final holds 0 .. S−1 bytes), so it can
				// be sealed right away.
				if (this.#filled === this.#segment.length) {
					this.push(this.#seal(false, this.#segment));
					this.#filled = 0;
				}
			}
			callback();
		} catch (error) {
			callback(error as Error);
		}
	}

	override _flush(callback: TransformCallback): void {
		try {
			this.push(this.#seal(true, this.#segment.subarray(0, this.#filled)));
			this.#filled = 0;
			callback();
		} catch (error) {
			callback(error as Error);
		}
	}

	#seal(last: boolean, plaintext: Buffer): Buffer {
		if (this.#index >= MAX_SEGMENTS) throw new RangeError('plaintext too large for the encrypted backup format');
		const sealed = sealSegment(this.#key, this.#noncePrefix, this.#aad, this.#index, last, plaintext);
		this.#index++;
		return sealed;
	}
}

/**
 * Derives the keys (one PBKDF2 run with a fresh random salt) and returns a Transform that
 * emits the header and then the sealed segments of the plaintext written to it.
 */
export async function createEncryptStream(options: EncryptStreamOptions): Promise<Transform> {
	normalizePassphrase(options.passphrase); // throws 'usage' on an empty passphrase
	const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
	const iterations = options.iterations ?? DEFAULT_ITERATIONS;
	checkSegmentSize(segmentSize);

	const salt = randomSalt();
	const noncePrefix = crypto.randomBytes(NONCE_PREFIX_LENGTH);
	// Encode first so bad options fail before the expensive KDF.
	const body = encodeHeaderBody({iterations, salt, segmentSize, noncePrefix, summary: options.summary});
	const keys = await deriveKeys(options.passphrase, salt, iterations);
	const header = Buffer.concat([body, computeHeaderMac(keys.headerMacKey, body)]);
	return new EncryptTransform(header, keys.payloadKey, noncePrefix, segmentSize);
}
