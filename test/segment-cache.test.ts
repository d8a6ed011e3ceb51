/**
 * The encrypted reader's segment cache (slots reused, copies handed out) under pressure: many
 * reads at once over blobs whose reads finish in a shuffled order, bytes held to the end or
 * scribbled over as soon as they are checked, any plaintext length (empty, one segment, an
 * empty final segment), ranges on and past segment boundaries.
 */
import {Readable} from 'node:stream';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import type {RangedBlob} from '../source/core/archive/ranged-blob.js';
import {openEncryptedRandomAccess} from '../source/core/crypto/decrypt-stream.js';
import {createEncryptStream} from '../source/core/crypto/encrypt-stream.js';

const PASSPHRASE = 'correct horse battery staple';

async function collectChunks(stream: Readable, pause: () => Promise<void>): Promise<Buffer[]> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) {
		chunks.push(chunk as Buffer);
		await pause();
	}
	return chunks;
}

async function encrypt(plaintext: Buffer, segmentSize: number): Promise<Buffer> {
	const stream = await createEncryptStream({passphrase: PASSPHRASE, summary: {kind: 'test'}, segmentSize, iterations: 1000});
	const chunks: Buffer[] = [];
	for await (const chunk of Readable.from([plaintext]).pipe(stream)) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

const turns = async (count: number) => {
	for (let turn = 0; turn < count; turn++) await new Promise(resolve => setImmediate(resolve));
};

/** A blob over bytes whose reads finish after a pseudo-random number of turns (so out of order). */
function shuffledBlob(bytes: Buffer, withReadInto: boolean, seed: number): RangedBlob {
	let state = seed >>> 0 || 1;
	const next = () => {
		state ^= state << 13;
		state ^= state >>> 17;
		state ^= state << 5;
		return (state >>> 0) % 6;
	};
	const blob: RangedBlob = {
		label: 'mem://x.zip.enc',
		size: bytes.length,
		async readRange(offset, length) {
			await turns(next());
			return Buffer.from(bytes.subarray(offset, offset + length));
		},
		async read(offset) {
			return Readable.from([Buffer.from(bytes.subarray(offset))]);
		},
	};
	if (withReadInto) {
		blob.readInto = async (offset, target) => {
			await turns(next());
			return bytes.subarray(offset, offset + target.length).copy(target);
		};
	}
	return blob;
}

const op = fc.record({
	offset: fc.nat({max: 1200}),
	length: fc.oneof(fc.nat({max: 400}), fc.constant(undefined)),
	streamed: fc.boolean(),
	pauses: fc.nat({max: 3}),
});

describe('segment cache under concurrent reads', () => {
	for (const withReadInto of [false, true]) {
		it(`held bytes stay intact (${withReadInto ? 'readInto' : 'ranged reads'})`, async () => {
			await fc.assert(
				fc.asyncProperty(
					fc.constantFrom(16, 17, 32, 100),
					fc.oneof(fc.nat({max: 1000}), fc.constantFrom(0, 1, 15, 16, 32, 64, 100, 200, 800)),
					fc.array(fc.array(op, {minLength: 1, maxLength: 5}), {minLength: 1, maxLength: 6}),
					fc.integer({min: 1, max: 2 ** 31}),
					async (segmentSize, plaintextLength, batches, seed) => {
						const plaintext = Buffer.from(Array.from({length: plaintextLength}, (_, index) => (index * 131 + 7) & 0xff));
						const access = await openEncryptedRandomAccess(shuffledBlob(await encrypt(plaintext, segmentSize), withReadInto, seed), PASSPHRASE);
						expect(access.size).toBe(plaintextLength);
						const held: Array<{expected: Buffer; parts: Buffer[]}> = [];
						for (const batch of batches) {
							const results = await Promise.all(
								batch.map(async ({offset, length, streamed, pauses}) => {
									const expected = plaintext.subarray(offset, length === undefined ? undefined : offset + length);
									if (length === undefined && !streamed) return {expected, parts: [await access.readRange(offset, plaintextLength)]};
									return {expected, parts: streamed ? await collectChunks(access.read(offset, length), async () => turns(pauses)) : [await access.readRange(offset, length!)]};
								}),
							);
							held.push(...results);
						}
						for (const {expected, parts} of held) expect(Buffer.concat(parts).equals(expected)).toBe(true);
					},
				),
				{numRuns: 150},
			);
		}, 120_000);

		it(`scribbling over handed-out bytes (not of the final segment) changes no later read (${withReadInto ? 'readInto' : 'ranged reads'})`, async () => {
			await fc.assert(
				fc.asyncProperty(
					fc.constantFrom(16, 17, 32, 100),
					fc.oneof(fc.nat({max: 1000}), fc.constantFrom(0, 16, 64, 800)),
					fc.array(op, {minLength: 1, maxLength: 12}),
					fc.integer({min: 1, max: 2 ** 31}),
					async (segmentSize, plaintextLength, ops, seed) => {
						const plaintext = Buffer.from(Array.from({length: plaintextLength}, (_, index) => (index * 29 + 3) & 0xff));
						const access = await openEncryptedRandomAccess(shuffledBlob(await encrypt(plaintext, segmentSize), withReadInto, seed), PASSPHRASE);
						const finalStart = Math.floor(plaintextLength / segmentSize) * segmentSize;
						await Promise.all(
							ops.map(async ({offset, length, streamed, pauses}) => {
								const expected = plaintext.subarray(offset, length === undefined ? undefined : offset + length);
								if (!streamed) {
									const bytes = await access.readRange(offset, length ?? plaintextLength);
									expect(bytes.equals(expected)).toBe(true);
									bytes.fill(0xee); // a copy: nobody else sees it
									return;
								}
								let position = Math.min(offset, plaintextLength);
								let seen = 0;
								for await (const chunk of access.read(offset, length)) {
									const bytes = chunk as Buffer;
									expect(bytes.equals(expected.subarray(seen, seen + bytes.length))).toBe(true);
									// The final segment's views are shared (kept for good); any other chunk is this reader's own.
									if (position + bytes.length <= finalStart) bytes.fill(0xee);
									position += bytes.length;
									seen += bytes.length;
									await turns(pauses);
								}
								expect(seen).toBe(expected.length);
							}),
						);
					},
				),
				{numRuns: 150},
			);
		}, 120_000);
	}

	it('segment-aligned neighbours: a read ending on a boundary, then reads starting there and one byte before', async () => {
		const segmentSize = 64;
		for (const plaintextLength of [0, 1, 63, 64, 65, 128, 640, 641]) {
			const plaintext = Buffer.from(Array.from({length: plaintextLength}, (_, index) => (index * 7 + 1) & 0xff));
			const access = await openEncryptedRandomAccess(shuffledBlob(await encrypt(plaintext, segmentSize), false, 7), PASSPHRASE);
			for (let boundary = 0; boundary <= plaintextLength + segmentSize; boundary += segmentSize) {
				for (const [offset, length] of [[0, boundary], [boundary, segmentSize], [boundary - 1, 2], [boundary, 0], [boundary - 1, 1], [boundary + 1, 3 * segmentSize]] as const) {
					if (offset < 0) continue;
					const expected = plaintext.subarray(offset, offset + length);
					expect((await access.readRange(offset, length)).equals(expected)).toBe(true);
					const chunks = await collectChunks(access.read(offset, length), async () => undefined);
					expect(chunks.every(chunk => chunk.length > 0)).toBe(true);
					expect(Buffer.concat(chunks).equals(expected)).toBe(true);
				}
			}
		}
	});
});
