/**
 * The contract every Destination keeps (source/core/destinations/destination.ts), run against a
 * real server by each implementation's test file:
 *
 *   describeDestination('s3', async () => ({destination, fresh: () => …}));
 *
 * `open()` returns a destination on an empty folder/prefix of its own for each test.
 */
import crypto from 'node:crypto';
import {PassThrough, Readable} from 'node:stream';
import {describe, expect, it} from 'vitest';
import {LifeboatError} from '../../source/core/errors.js';
import type {Destination} from '../../source/core/destinations/destination.js';

export type DestinationFixture = {
	/** A destination on a new, empty folder/prefix (not created yet on the server). */
	open(): Promise<Destination>;
};

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

async function collect(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** A stream of `bytes` in chunks of odd sizes (so no implementation can rely on chunk sizes). */
function streamOf(bytes: Buffer): Readable {
	return Readable.from((function* () {
		for (let offset = 0, step = 1; offset < bytes.length; offset += step, step = (step * 7 + 13) % 300_001 || 1) yield bytes.subarray(offset, offset + step);
	})(), {objectMode: false});
}

/** A stream that sends `bytes`, then fails. */
function failingAfter(bytes: Buffer): Readable {
	const stream = new PassThrough();
	stream.write(bytes);
	setImmediate(() => stream.destroy(new Error('source failed midway')));
	return stream;
}

async function expectLifeboatError(promise: Promise<unknown>, code: string, fragment?: RegExp): Promise<LifeboatError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(LifeboatError);
	expect((error as LifeboatError).code).toBe(code);
	if (fragment) expect((error as LifeboatError).message).toMatch(fragment);
	expect((error as LifeboatError).message).not.toContain('\n');
	return error as LifeboatError;
}

export function describeDestination(title: string, fixture: () => DestinationFixture, options: {timeout?: number} = {}): void {
	const timeout = options.timeout ?? 60_000;
	const withDestination = (test: (destination: Destination) => Promise<void>) => async () => {
		const destination = await fixture().open();
		try {
			await test(destination);
		} finally {
			await destination.close();
		}
	};

	describe(`${title} destination contract`, () => {
		it('lists a folder/prefix that does not exist yet as empty', withDestination(async destination => {
			expect(await destination.list()).toEqual([]);
			expect(await destination.stat('nothing.zip')).toBeUndefined();
		}), timeout);

		it('puts, stats, lists, reads whole and by ranges, and deletes (12 MiB: several parts)', withDestination(async destination => {
			const bytes = crypto.randomBytes(12 * 1024 * 1024 + 12_345);
			const result = await destination.put('backup one.zip', streamOf(bytes), {expectedBytes: bytes.length});
			expect(result).toEqual({size: bytes.length, sha256: sha256(bytes)});
			const stat = await destination.stat('backup one.zip');
			expect(stat?.size).toBe(bytes.length);
			expect(stat?.modified).toBeInstanceOf(Date);
			const listed = await destination.list();
			expect(listed.map(object => [object.name, object.size])).toEqual([['backup one.zip', bytes.length]]);
			expect(sha256(await collect(await destination.read('backup one.zip')))).toBe(sha256(bytes));
			expect((await collect(await destination.read('backup one.zip', {offset: 7_000_000}))).equals(bytes.subarray(7_000_000))).toBe(true);
			for (const [offset, length] of [[0, 1], [0, 22], [5 * 1024 * 1024 - 3, 10], [bytes.length - 22, 22], [bytes.length - 5, 100], [bytes.length, 10], [1_000_000, 3_000_000]] as const) {
				expect((await destination.readRange('backup one.zip', offset, length)).equals(bytes.subarray(offset, offset + length))).toBe(true);
			}
			await destination.delete('backup one.zip');
			expect(await destination.stat('backup one.zip')).toBeUndefined();
			expect(await destination.list()).toEqual([]);
		}), timeout);

		it('puts an empty object and odd names (spaces, unicode, dots)', withDestination(async destination => {
			for (const name of ['empty.tar.gz', 'été 2026 — ünïcode.zip', 'a.b.c..zip']) {
				const bytes = name === 'empty.tar.gz' ? Buffer.alloc(0) : Buffer.from(name);
				expect(await destination.put(name, streamOf(bytes))).toEqual({size: bytes.length, sha256: sha256(bytes)});
				expect((await collect(await destination.read(name))).equals(bytes)).toBe(true);
			}
			expect((await destination.list()).map(object => object.name).sort()).toEqual(['a.b.c..zip', 'empty.tar.gz', 'été 2026 — ünïcode.zip']);
		}), timeout);

		it('refuses to replace an object without overwrite, and replaces it with overwrite', withDestination(async destination => {
			await destination.put('x.zip', streamOf(Buffer.from('first')));
			await expectLifeboatError(destination.put('x.zip', streamOf(Buffer.from('second'))), 'exists', /x\.zip/);
			expect((await collect(await destination.read('x.zip'))).toString()).toBe('first');
			await destination.put('x.zip', streamOf(Buffer.from('second')), {overwrite: true});
			expect((await collect(await destination.read('x.zip'))).toString()).toBe('second');
		}), timeout);

		it('leaves nothing listed when the source fails midway or the put is aborted', withDestination(async destination => {
			const failure = await destination.put('broken.zip', failingAfter(crypto.randomBytes(6 * 1024 * 1024))).then(() => undefined, (error: unknown) => error);
			expect(failure).toBeInstanceOf(Error);
			const controller = new AbortController();
			const endless = new PassThrough();
			endless.write(crypto.randomBytes(1024 * 1024));
			const aborted = destination.put('aborted.zip', endless, {signal: controller.signal}).then(() => undefined, (error: unknown) => error);
			setImmediate(() => controller.abort(new LifeboatError('interrupted', 'Backup interrupted')));
			expect(await aborted).toBeInstanceOf(Error);
			expect(await destination.list()).toEqual([]);
			expect(await destination.stat('broken.zip')).toBeUndefined();
			expect(await destination.stat('aborted.zip')).toBeUndefined();
			await destination.cleanup();
			expect(await destination.list()).toEqual([]);
		}), timeout);

		it('names the destination in one line for a missing object', withDestination(async destination => {
			await expectLifeboatError(destination.readRange('missing.zip', 0, 10), 'destination', /missing\.zip/);
			await expectLifeboatError(destination.read('missing.zip').then(collect), 'destination', /missing\.zip/);
			await expectLifeboatError(destination.delete('missing.zip'), 'destination', /missing\.zip/);
		}), timeout);

		it('reports bytes sent', withDestination(async destination => {
			const bytes = crypto.randomBytes(3 * 1024 * 1024);
			let last = 0;
			await destination.put('progress.zip', streamOf(bytes), {onBytes: sent => (last = Math.max(last, sent))});
			expect(last).toBe(bytes.length);
		}), timeout);
	});
}
