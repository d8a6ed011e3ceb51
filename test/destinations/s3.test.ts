/**
 * The S3 destination against a real S3-compatible server (s3rver, test/servers/s3-server.ts):
 * the shared contract, plus what is S3's own: credentials, buckets, a server killed mid-upload,
 * stale multipart uploads, pagination and "folders".
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {Readable} from 'node:stream';
import {setTimeout as delay} from 'node:timers/promises';
import {AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client, UploadPartCommand} from '@aws-sdk/client-s3';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {LifeboatError} from '../../source/core/errors.js';
import type {RetryNote} from '../../source/core/destinations/destination.js';
import {choosePartSize, openS3Destination} from '../../source/core/destinations/s3.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {describeDestination} from './conformance.js';

const BUCKET = 'lifeboat-test';
let server: S3Server;
let count = 0;
const freshPrefix = () => `case-${++count}-${crypto.randomBytes(3).toString('hex')}/`;

beforeAll(async () => {
	server = await startS3Server({buckets: [BUCKET]});
});
afterAll(async () => {
	await server?.stop();
});

describeDestination('s3', () => ({
	async open() {
		return openS3Destination({bucket: BUCKET, prefix: freshPrefix()}, {env: server.env});
	},
}));

async function failure(promise: Promise<unknown>): Promise<LifeboatError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(LifeboatError);
	expect((error as LifeboatError).message).not.toContain('\n');
	return error as LifeboatError;
}

/** A raw client on the test server, to make objects the destination did not make. */
function rawClient(): S3Client {
	return new S3Client({endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: {accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER'}});
}

describe('s3 destination', () => {
	it('chooses parts so that 10,000 hold the object, never under 5 MiB', () => {
		const MiB = 1024 * 1024;
		for (const size of [0, 1, 5 * MiB, 48 * 1024 * MiB, 50 * 1024 * MiB, 2 * 1024 ** 4, 5 * 1024 ** 4]) {
			const part = choosePartSize(size);
			expect(part).toBeGreaterThanOrEqual(5 * MiB);
			expect(part % MiB).toBe(0);
			expect(Math.ceil(size / part)).toBeLessThanOrEqual(10_000);
		}
		expect(choosePartSize(undefined)).toBe(8 * MiB);
	});

	it('refuses wrong credentials in one line naming the bucket, exit 4', async () => {
		// s3rver checks the access key id but not V4 signatures: an unknown key id is what it refuses.
		const destination = openS3Destination({bucket: BUCKET, prefix: 'x/'}, {env: {...server.env, AWS_ACCESS_KEY_ID: 'NOBODY', AWS_SECRET_ACCESS_KEY: 'wrong-secret'}});
		try {
			for (const attempt of [() => destination.list(), () => destination.stat('a.zip'), () => destination.put('a.zip', Readable.from([Buffer.from('x')]), {overwrite: true}), () => destination.readRange('a.zip', 0, 10), () => destination.delete('a.zip')]) {
				const error = await failure(attempt());
				expect(error.code).toBe('destination');
				expect(error.exitCode).toBe(4);
				expect(error.message).toMatch(/^s3:\/\/lifeboat-test\/x\/(a\.zip)?: access denied \(check the credentials: AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY or AWS_PROFILE\)$/);
			}
		} finally {
			await destination.close();
		}
		const atRoot = openS3Destination({bucket: BUCKET, prefix: ''}, {env: {...server.env, AWS_ACCESS_KEY_ID: 'NOBODY'}});
		expect((await failure(atRoot.list())).message).toBe('s3://lifeboat-test/: access denied (check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)');
		await atRoot.close();
	});

	it('says "no such bucket" for a missing bucket, listing or putting', async () => {
		const destination = openS3Destination({bucket: 'no-such-bucket-here', prefix: 'p/'}, {env: server.env});
		try {
			const listed = await failure(destination.list());
			expect([listed.code, listed.message]).toEqual(['destination', 's3://no-such-bucket-here/p/: no such bucket (create it, or check the bucket name and region)']);
			const put = await failure(destination.put('a.zip', Readable.from([crypto.randomBytes(6 * 1024 * 1024)])));
			expect([put.code, put.message]).toEqual(['destination', 's3://no-such-bucket-here/p/a.zip: no such bucket (create it, or check the bucket name and region)']);
		} finally {
			await destination.close();
		}
	});

	it('says "no such bucket" for a put even when the server closes the connection while the part is still being sent', async () => {
		// s3rver answers NoSuchBucket and closes at once: the client often sees only the closed
		// connection (5 puts in 40 before the fix); the put then asks about the bucket.
		for (let attempt = 0; attempt < 20; attempt++) {
			const destination = openS3Destination({bucket: 'no-such-bucket-here', prefix: 'p/'}, {env: server.env});
			try {
				const put = await failure(destination.put('a.zip', Readable.from([crypto.randomBytes(6 * 1024 * 1024)])));
				expect([put.code, put.message]).toEqual(['destination', 's3://no-such-bucket-here/p/a.zip: no such bucket (create it, or check the bucket name and region)']);
			} finally {
				await destination.close();
			}
		}
	});

	it('says the endpoint cannot be reached, after retries it reports, within a bound', async () => {
		const destination = openS3Destination({bucket: BUCKET, prefix: ''}, {env: {...server.env, LIFEBOAT_S3_ENDPOINT: 'http://127.0.0.1:9'}});
		const notes: RetryNote[] = [];
		const started = Date.now();
		const error = await failure(destination.list({onRetry: note => notes.push(note)}));
		expect(error.message).toBe('s3://lifeboat-test/: cannot reach the S3 endpoint http://127.0.0.1:9 (connection refused)');
		expect(notes.map(note => [note.operation, note.attempt, note.of, note.reason])).toEqual([['listing', 1, 3, 'connection refused'], ['listing', 2, 3, 'connection refused']]);
		expect(Date.now() - started).toBeLessThan(30_000);
		await destination.close();
	});

	it('lists a prefix of 1,200 objects (two pages and more), and nothing in deeper "folders"', async () => {
		const prefix = freshPrefix();
		const client = rawClient();
		const names = Array.from({length: 1200}, (_, index) => `backup-${String(index).padStart(4, '0')}.zip`);
		for (let start = 0; start < names.length; start += 20) {
			await Promise.all(names.slice(start, start + 20).map(name => client.send(new PutObjectCommand({Bucket: BUCKET, Key: prefix + name, Body: name}))));
		}
		for (const key of [`${prefix}deeper/inside.zip`, `${prefix}deeper/more/x.zip`]) await client.send(new PutObjectCommand({Bucket: BUCKET, Key: key, Body: 'x'}));
		client.destroy();
		const destination = openS3Destination({bucket: BUCKET, prefix}, {env: server.env});
		const listed = await destination.list();
		expect(listed.map(object => object.name).sort()).toEqual(names);
		expect(listed.every(object => object.size === Buffer.byteLength(object.name))).toBe(true);
		const deeper = openS3Destination({bucket: BUCKET, prefix: `${prefix}deeper/`}, {env: server.env});
		expect((await deeper.list()).map(object => object.name)).toEqual(['inside.zip']);
		await Promise.all([destination.close(), deeper.close()]);
	});
});

/** `before` MiB of random bytes, then waits for `gate`, then `after` MiB more. */
function gatedSource(before: number, gate: Promise<void>, after: number, failAtGate?: Error): Readable {
	return Readable.from((async function* () {
		for (let index = 0; index < before; index++) yield crypto.randomBytes(1024 * 1024);
		await gate;
		if (failAtGate) throw failAtGate;
		for (let index = 0; index < after; index++) yield crypto.randomBytes(1024 * 1024);
	})());
}

/** A gate, and a put option that opens a second promise once `bytes` were sent. */
function gates(bytes: number) {
	let open!: () => void;
	let reached!: () => void;
	const gate = new Promise<void>(resolve => (open = resolve));
	const sent = new Promise<void>(resolve => (reached = resolve));
	return {gate, open, sent, onBytes: (count: number) => count >= bytes && reached()};
}

describe('s3 destination: interrupted puts abort their multipart upload', () => {
	it('a source that fails after two parts are up: the put rethrows its error and aborts the upload', async () => {
		const destination = openS3Destination({bucket: BUCKET, prefix: freshPrefix()}, {env: server.env});
		const {gate, open, sent, onBytes} = gates(10 * 1024 * 1024);
		const cause = new Error('the archive writer failed');
		const put = destination.put('failing.zip', gatedSource(11, gate, 0, cause), {onBytes, expectedBytes: 20 * 1024 * 1024}).then(() => undefined, (error: unknown) => error);
		await sent;
		open();
		expect(await put).toBe(cause);
		expect(await destination.list()).toEqual([]);
		expect(await destination.cleanup({olderThanMs: 0})).toEqual([]);
		await destination.close();
	});

	it('an abort after a part is up: the put rejects with the reason and aborts the upload', async () => {
		const destination = openS3Destination({bucket: BUCKET, prefix: freshPrefix()}, {env: server.env});
		const {gate, sent, onBytes} = gates(5 * 1024 * 1024);
		const controller = new AbortController();
		const reason = new LifeboatError('interrupted', 'Backup interrupted');
		const put = destination.put('aborted.zip', gatedSource(6, gate, 20), {onBytes, signal: controller.signal, expectedBytes: 26 * 1024 * 1024}).then(() => undefined, (error: unknown) => error);
		await sent;
		controller.abort(reason);
		expect(await put).toBe(reason);
		expect(await destination.list()).toEqual([]);
		expect(await destination.cleanup({olderThanMs: 0})).toEqual([]);
		await destination.close();
	});

	it('refuses a taken name before sending anything, and leaves the object as it was', async () => {
		const destination = openS3Destination({bucket: BUCKET, prefix: freshPrefix()}, {env: server.env});
		await destination.put('taken.zip', Readable.from([Buffer.from('first')]));
		let sent = 0;
		const error = await failure(destination.put('taken.zip', gatedSource(12, Promise.resolve(), 0), {onBytes: count => (sent = count)}));
		expect([error.code, error.exitCode, error.message]).toEqual(['exists', 4, `${destination.locate('taken.zip')}: already exists (choose another name or allow replacing it)`]);
		expect(sent).toBe(0);
		expect((await destination.readRange('taken.zip', 0, 100)).toString()).toBe('first');
		await destination.close();
	});
});

describe('s3 destination: the server killed mid-upload', () => {
	it('rejects the put with one line, lists nothing after a restart, and cleanup aborts the stale upload', async () => {
		const own = await startS3Server({buckets: [BUCKET]});
		const prefix = freshPrefix();
		const destination = openS3Destination({bucket: BUCKET, prefix}, {env: own.env});
		try {
			const MiB = 1024 * 1024;
			let release!: () => void;
			const killed = new Promise<void>(resolve => (release = resolve));
			// 24 MiB: the first 11 MiB flow freely (two 5 MiB parts go up), the rest waits for the kill.
			const source = Readable.from((async function* () {
				for (let index = 0; index < 24; index++) {
					if (index === 11) await killed;
					yield crypto.randomBytes(MiB);
				}
			})());
			let sent = 0;
			let firstPartUp!: () => void;
			const partUp = new Promise<void>(resolve => (firstPartUp = resolve));
			const notes: RetryNote[] = [];
			const put = destination.put('big.zip', source, {expectedBytes: 24 * MiB, onRetry: note => notes.push(note), onBytes: bytes => {
				sent = bytes;
				if (bytes >= 5 * MiB) firstPartUp();
			}}).then(() => undefined, (error: unknown) => error);
			await partUp;
			await own.kill();
			const started = Date.now();
			release();
			const error = (await put) as LifeboatError;
			expect(error).toBeInstanceOf(LifeboatError);
			expect(error.code).toBe('destination');
			expect(error.message).toMatch(new RegExp(`^s3://lifeboat-test/${prefix}big\\.zip: cannot reach the S3 endpoint ${own.endpoint.replaceAll('.', '\\.')} \\((connection refused|connection reset)\\)$`));
			expect(Date.now() - started).toBeLessThan(60_000);
			expect(sent).toBeLessThan(24 * MiB);
			expect(notes.length).toBeGreaterThan(0);
			expect(notes[0]!.operation).toBe('uploading big.zip');

			await own.restart();
			expect(await destination.list()).toEqual([]);
			expect(await destination.stat('big.zip')).toBeUndefined();
			expect(await destination.cleanup()).toEqual([]); // not an hour old yet
			const lines = await destination.cleanup({olderThanMs: 0});
			expect(lines).toHaveLength(1);
			expect(lines[0]).toMatch(new RegExp(`^s3://lifeboat-test/${prefix}big\\.zip: aborted an interrupted upload started \\d{4}-`));
			expect(await destination.cleanup({olderThanMs: 0})).toEqual([]);
			expect(await destination.list()).toEqual([]);
		} finally {
			await destination.close();
			await own.stop();
		}
	});
});

/**
 * A TCP proxy in front of the test server: it can throttle each direction (bytes per second),
 * renames requests' Range header (as a server that ignores Range would), and counts the bytes it
 * passed each way. Closing either side closes the other.
 */
async function startProxy(target: number, options: {up?: number; down?: number; stripRange?: boolean} = {}) {
	const counts = {up: 0, down: 0};
	const sockets = new Set<net.Socket>();
	/** Copies `from` to `to` in 16 KiB slices, `rate` bytes a second at most, counting into `counts[way]`. */
	const pump = async (from: net.Socket, to: net.Socket, way: 'up' | 'down', rate?: number, edit?: (data: Buffer) => Buffer) => {
		for await (const chunk of from) {
			const data = edit ? edit(chunk as Buffer) : (chunk as Buffer);
			for (let index = 0; index < data.length && !to.destroyed; index += 16_384) {
				const slice = data.subarray(index, index + 16_384);
				counts[way] += slice.length;
				if (!to.write(slice)) await new Promise(resolve => to.once('drain', resolve).once('close', resolve));
				if (rate) await delay((slice.length / rate) * 1000); // the throttle itself, not a wait for a result
			}
		}
		to.end();
	};
	const renameRange = (data: Buffer) => Buffer.from(data.toString('latin1').replace(/\r\nrange:/gi, '\r\nxange:'), 'latin1');
	const proxy = net.createServer(client => {
		const upstream = net.connect(target, '127.0.0.1');
		for (const socket of [client, upstream]) {
			sockets.add(socket);
			socket.on('error', () => undefined);
			socket.on('close', () => (sockets.delete(socket), client.destroy(), upstream.destroy()));
		}
		void pump(client, upstream, 'up', options.up, options.stripRange ? renameRange : undefined).catch(() => undefined);
		void pump(upstream, client, 'down', options.down).catch(() => undefined);
	});
	await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve));
	const endpoint = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
	return {
		endpoint,
		env: {...server.env, LIFEBOAT_S3_ENDPOINT: endpoint},
		counts,
		async stop() {
			for (const socket of sockets) socket.destroy();
			await new Promise(resolve => proxy.close(resolve));
		},
	};
}

/** Resolves once `condition()` holds (polled). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
	while (!(await condition())) await delay(20); // poll interval
}

async function multipartUploads(prefix: string): Promise<string[]> {
	const client = rawClient();
	const answer = await client.send(new ListMultipartUploadsCommand({Bucket: BUCKET, Prefix: prefix}));
	client.destroy();
	return (answer.Uploads ?? []).map(upload => upload.Key!);
}

describe('s3 destination: an abort (Ctrl-C) during a put', () => {
	it('a single-request put (under one part) rejects at once with the reason and leaves nothing', async () => {
		const proxy = await startProxy(server.port, {up: 60_000});
		const destination = openS3Destination({bucket: BUCKET, prefix: freshPrefix()}, {env: proxy.env});
		try {
			const controller = new AbortController();
			const reason = new LifeboatError('interrupted', 'Backup interrupted');
			const put = destination.put('small.zip', Readable.from([crypto.randomBytes(600 * 1024)]), {signal: controller.signal}).then(() => undefined, (error: unknown) => error);
			await until(() => proxy.counts.up > 150 * 1024);
			const aborted = Date.now();
			controller.abort(reason);
			expect(await put).toBe(reason);
			expect(Date.now() - aborted).toBeLessThan(5000);
			expect(await destination.stat('small.zip')).toBeUndefined();
			expect(await destination.list()).toEqual([]);
			// Every later call on the aborted signal rejects with its reason, not a network line.
			for (const call of [() => destination.stat('small.zip', {signal: controller.signal}), () => destination.list({signal: controller.signal}), () => destination.readRange('small.zip', 0, 10, {signal: controller.signal}), () => destination.put('other.zip', Readable.from([Buffer.from('x')]), {signal: controller.signal})]) {
				expect(await call().then(() => undefined, (error: unknown) => error)).toBe(reason);
			}
		} finally {
			await destination.close();
			await proxy.stop();
		}
	});

	it('a multipart put rejects at once with the reason, and no multipart upload is left', async () => {
		const proxy = await startProxy(server.port, {up: 2 * 1024 * 1024});
		const prefix = freshPrefix();
		const destination = openS3Destination({bucket: BUCKET, prefix}, {env: proxy.env});
		try {
			const controller = new AbortController();
			const reason = new LifeboatError('interrupted', 'Backup interrupted');
			const put = destination.put('big.zip', gatedSource(12, Promise.resolve(), 0), {signal: controller.signal, expectedBytes: 12 * 1024 * 1024}).then(() => undefined, (error: unknown) => error);
			await until(() => proxy.counts.up > 3 * 1024 * 1024);
			const aborted = Date.now();
			controller.abort(reason);
			expect(await put).toBe(reason);
			expect(Date.now() - aborted).toBeLessThan(5000);
			expect(await destination.stat('big.zip')).toBeUndefined();
			expect(await multipartUploads(prefix)).toEqual([]);
		} finally {
			await destination.close();
			await proxy.stop();
		}
	});

	it('an abort once the object is stored, while it is checked: the put rejects with the reason and deletes it', async () => {
		const prefix = freshPrefix();
		const destination = openS3Destination({bucket: BUCKET, prefix}, {env: server.env});
		try {
			const controller = new AbortController();
			const reason = new LifeboatError('interrupted', 'Backup interrupted');
			// The put's progress reaches its end once the single request is answered, before the check.
			const put = destination.put('done.zip', Readable.from([Buffer.from('all of it')]), {signal: controller.signal, onBytes: () => controller.abort(reason)}).then(() => undefined, (error: unknown) => error);
			expect(await put).toBe(reason);
			expect(await destination.stat('done.zip')).toBeUndefined();
		} finally {
			await destination.close();
		}
	});
});

describe('s3 destination: cleanup leaves uploads that are still running', () => {
	it('aborts an old upload whose parts are old too, or that has none, and keeps one whose last part is recent', async () => {
		const prefix = freshPrefix();
		const client = rawClient();
		const uploadsFolder = path.join(server.dir, BUCKET, '._S3rver_uploads');
		const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
		const start = async (name: string, parts: Array<'recent' | 'old'>) => {
			const {UploadId} = await client.send(new CreateMultipartUploadCommand({Bucket: BUCKET, Key: prefix + name}));
			for (const [index, age] of parts.entries()) {
				await client.send(new UploadPartCommand({Bucket: BUCKET, Key: prefix + name, UploadId, PartNumber: index + 1, Body: crypto.randomBytes(1024)}));
				if (age === 'old') await fs.utimes(path.join(uploadsFolder, UploadId!, String(index + 1)), twoHoursAgo, twoHoursAgo);
			}
			await fs.utimes(path.join(uploadsFolder, UploadId!, 'key'), twoHoursAgo, twoHoursAgo); // started two hours ago
			return UploadId!;
		};
		const running = await start('running.zip', ['old', 'recent']);
		await start('stale.zip', ['old', 'old']);
		await start('empty.zip', []);
		const destination = openS3Destination({bucket: BUCKET, prefix}, {env: server.env});
		try {
			const lines = await destination.cleanup();
			expect(lines.map(line => line.replace(/ started .*/, '')).sort()).toEqual([`s3://${BUCKET}/${prefix}empty.zip: aborted an interrupted upload`, `s3://${BUCKET}/${prefix}stale.zip: aborted an interrupted upload`]);
			expect(await multipartUploads(prefix)).toEqual([prefix + 'running.zip']);
			// Once its last part is old as well, it goes.
			await fs.utimes(path.join(uploadsFolder, running, '2'), twoHoursAgo, twoHoursAgo);
			expect(await destination.cleanup()).toEqual([expect.stringMatching(/running\.zip: aborted an interrupted upload started /)]);
			expect(await multipartUploads(prefix)).toEqual([]);
		} finally {
			await client.send(new AbortMultipartUploadCommand({Bucket: BUCKET, Key: prefix + 'running.zip', UploadId: running})).catch(() => undefined);
			client.destroy();
			await destination.close();
		}
	});
});

describe('s3 destination: a server that ignores Range', () => {
	it('a 2 KiB read of a 20 MiB object reads little of it: from offset 0 it keeps 2 KiB, from elsewhere it refuses in one line', async () => {
		const prefix = freshPrefix();
		const object = crypto.randomBytes(20 * 1024 * 1024);
		const client = rawClient();
		await client.send(new PutObjectCommand({Bucket: BUCKET, Key: prefix + 'big.zip', Body: object}));
		client.destroy();
		const proxy = await startProxy(server.port, {stripRange: true, down: 4 * 1024 * 1024});
		const destination = openS3Destination({bucket: BUCKET, prefix}, {env: proxy.env});
		try {
			expect((await destination.readRange('big.zip', 0, 2048)).equals(object.subarray(0, 2048))).toBe(true);
			expect(proxy.counts.down).toBeLessThan(1024 * 1024);
			const error = await failure(destination.readRange('big.zip', 4096, 2048));
			expect([error.code, error.message]).toEqual(['destination', `s3://${BUCKET}/${prefix}big.zip: the server ignored the byte range (asked for bytes=4096-6143, got the whole object): use another S3-compatible server`]);
			expect(proxy.counts.down).toBeLessThan(2 * 1024 * 1024);
		} finally {
			await destination.close();
			await proxy.stop();
		}
	});
});

describe('s3 destination: listing is bounded', () => {
	it('refuses a prefix holding more keys than the cap, in one line; lists one at the cap', async () => {
		const prefix = freshPrefix();
		const client = rawClient();
		await Promise.all(Array.from({length: 30}, (_, index) => client.send(new PutObjectCommand({Bucket: BUCKET, Key: `${prefix}not a backup ${index}.txt`, Body: 'x'}))));
		await client.send(new PutObjectCommand({Bucket: BUCKET, Key: `${prefix}folder/inside.zip`, Body: 'x'}));
		client.destroy();
		const capped = openS3Destination({bucket: BUCKET, prefix}, {env: server.env, maxListedKeys: 30});
		const error = await failure(capped.list());
		expect([error.code, error.exitCode, error.message]).toEqual(['destination', 4, `s3://${BUCKET}/${prefix}: more than 30 objects under this prefix (point --dest at a narrower prefix)`]);
		const roomy = openS3Destination({bucket: BUCKET, prefix}, {env: server.env, maxListedKeys: 31});
		expect((await roomy.list()).length).toBe(30);
		await Promise.all([capped.close(), roomy.close()]);
	});
});

describe('s3 destination: endpoints never print credentials', () => {
	const secret = 'topsecret';
	const hostile = [`http://AKIA:${secret}@127.0.0.1:1/`, `http://${secret}@127.0.0.1:1`, `http://127.0.0.1:1/?X-Amz-Signature=${secret}`, `https://:${secret}@s3.example.com/path`, `http://127.0.0.1:1/#${secret}`];
	it('refuses an endpoint holding user:password or a query, given as an option or in the environment, without echoing it', () => {
		for (const endpoint of hostile) {
			for (const [options, source] of [[{endpoint}, '--s3-endpoint'], [{env: {...server.env, LIFEBOAT_S3_ENDPOINT: endpoint}}, 'LIFEBOAT_S3_ENDPOINT'], [{env: {AWS_ENDPOINT_URL: endpoint}}, 'AWS_ENDPOINT_URL']] as const) {
				let caught: unknown;
				try {
					openS3Destination({bucket: BUCKET, prefix: ''}, options);
				} catch (error) {
					caught = error;
				}
				expect(caught).toBeInstanceOf(LifeboatError);
				expect([(caught as LifeboatError).code, (caught as LifeboatError).exitCode, (caught as LifeboatError).message]).toEqual(['usage', 2, `${source} must not hold credentials or a query (give keys through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)`]);
				expect((caught as LifeboatError).message).not.toContain(secret);
			}
		}
	});

	it('prints an endpoint as its origin and path only', async () => {
		const destination = openS3Destination({bucket: BUCKET, prefix: ''}, {endpoint: 'http://127.0.0.1:9/some/path/', env: server.env});
		const error = await failure(destination.list());
		expect(error.message).toBe('s3://lifeboat-test/: cannot reach the S3 endpoint http://127.0.0.1:9/some/path/ (connection refused)');
		await destination.close();
	});
});
