/**
 * A remote server that goes silent while an object's body is read (stopped with SIGSTOP: no reset,
 * no error, nothing) fails the read with one destination error (exit 4) once it has sent nothing
 * for the idle time, instead of holding a download, a verify or a backup's read-back forever. A
 * reader that takes its time with a server that answers is not timed out.
 */
import crypto from 'node:crypto';
import {PassThrough, Readable} from 'node:stream';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {openAzureDestination} from '../../source/core/destinations/azblob.js';
import type {Destination} from '../../source/core/destinations/destination.js';
import {failWhenIdle} from '../../source/core/destinations/idle-read.js';
import {openS3Destination} from '../../source/core/destinations/s3.js';
import {LifeboatError} from '../../source/core/errors.js';
import {startAzurite, type AzuriteServer} from '../servers/azurite-server.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';

const MiB = 1024 * 1024;
const IDLE_MS = 400;
// Far more than the loopback socket buffers hold, so a stopped server leaves the reader waiting.
const OBJECT = crypto.randomBytes(48 * MiB);
const DIGEST = crypto.createHash('sha256').update(OBJECT).digest('hex');

let s3: S3Server;
let azure: AzuriteServer;

beforeAll(async () => {
	[s3, azure] = await Promise.all([startS3Server({buckets: ['silent']}), startAzurite({containers: ['silent']})]);
}, 120_000);
afterAll(async () => Promise.all([s3?.stop(), azure?.stop()]));

/** Reads `stream` to its end or its error; `afterFirst` runs once the first chunk is in. */
async function readAll(stream: Readable, afterFirst?: () => Promise<void> | void): Promise<{digest?: string; error?: unknown; bytes: number}> {
	const hash = crypto.createHash('sha256');
	let bytes = 0;
	try {
		for await (const chunk of stream) {
			if (bytes === 0 && afterFirst) await afterFirst();
			hash.update(chunk as Buffer);
			bytes += (chunk as Buffer).length;
		}
		return {digest: hash.digest('hex'), bytes};
	} catch (error) {
		return {error, bytes};
	}
}

async function silentMidBody(destination: Destination, pid: number): Promise<void> {
	const stream = await destination.read('big.bin');
	let stopped = false;
	try {
		const result = await readAll(stream, () => {
			process.kill(pid, 'SIGSTOP');
			stopped = true;
		});
		expect(result.digest).toBeUndefined();
		expect(result.bytes).toBeLessThan(OBJECT.length);
		expect(result.error).toBeInstanceOf(LifeboatError);
		expect((result.error as LifeboatError).code).toBe('destination');
		expect((result.error as Error).message).toMatch(new RegExp(`big\\.bin: .*while reading \\(the server sent nothing for ${IDLE_MS / 1000} s\\)`));
	} finally {
		if (stopped) process.kill(pid, 'SIGCONT');
	}
}

async function slowReader(destination: Destination): Promise<void> {
	const stream = await destination.read('big.bin');
	// The reader pauses for several idle times after its first chunk: the server is not to blame.
	const result = await readAll(stream, () => new Promise(resolve => setTimeout(resolve, 5 * IDLE_MS)));
	expect(result.error).toBeUndefined();
	expect(result.digest).toBe(DIGEST);
}

describe('a server silent mid-body', () => {
	it('s3: the read fails with one destination error after the idle time; a slow reader of a live server is not timed out', async () => {
		const destination = openS3Destination({bucket: 'silent', prefix: 'x/'}, {env: s3.env, bodyIdleMs: IDLE_MS});
		try {
			await destination.put('big.bin', Readable.from([OBJECT]));
			await slowReader(destination);
			await silentMidBody(destination, s3.pid());
		} finally {
			await destination.close();
		}
	}, 120_000);

	it('azblob: the same', async () => {
		const destination = openAzureDestination({account: 'devstoreaccount1', container: 'silent', prefix: 'x/'}, {env: azure.env, bodyIdleMs: IDLE_MS});
		try {
			await destination.put('big.bin', Readable.from([OBJECT]));
			await slowReader(destination);
			await silentMidBody(destination, azure.process.pid!);
		} finally {
			await destination.close();
		}
	}, 120_000);
});

describe('failWhenIdle', () => {
	it('passes a body through whole; fails a body that stalls; fails one that closes before its end', async () => {
		const fail = (what: string) => new LifeboatError('destination', `x: ${what}`);
		const whole = new PassThrough();
		const out = failWhenIdle(whole, 200, fail);
		whole.end(Buffer.from('abc'));
		expect((await readAll(out)).bytes).toBe(3);

		const stalled = new PassThrough();
		stalled.write(Buffer.from('abc'));
		const stalledResult = await readAll(failWhenIdle(stalled, 200, fail));
		expect((stalledResult.error as Error).message).toBe('x: the server sent nothing for 0.2 s');
		expect(stalled.destroyed).toBe(true);

		const cut = new PassThrough();
		cut.write(Buffer.from('abc'));
		setImmediate(() => cut.destroy());
		const cutResult = await readAll(failWhenIdle(cut, 60_000, fail));
		expect((cutResult.error as Error).message).toBe('x: the connection closed before the end of the object');
	});
});
