/**
 * The Azure Blob destination against a real azurite (test/servers/azurite-server.ts): the shared
 * contract, then what is Azure's own: credentials, containers, a server dying mid-upload, cleanup
 * of uncommitted blocks, pagination and "folders".
 */
import crypto from 'node:crypto';
import {spawnSync} from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import {Readable} from 'node:stream';
import {fileURLToPath} from 'node:url';
import {AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, StorageSharedKeyCredential, generateAccountSASQueryParameters} from '@azure/storage-blob';
import fc from 'fast-check';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {LifeboatError} from '../../source/core/errors.js';
import {type AzureLocation, STAGE_CONCURRENCY, blockSizeFor, openAzureDestination} from '../../source/core/destinations/azblob.js';
import type {Destination} from '../../source/core/destinations/destination.js';
import {AZURITE_ACCOUNT, AZURITE_KEY, type AzuriteServer, startAzurite} from '../servers/azurite-server.js';
import {describeDestination} from './conformance.js';

const CONTAINER = 'backups';
let azurite: AzuriteServer;
let prefixes = 0;
const freshPrefix = () => `run-${process.pid}-${++prefixes}/`;
const location = (prefix = freshPrefix(), container = CONTAINER): AzureLocation => ({account: AZURITE_ACCOUNT, container, prefix});

beforeAll(async () => {
	azurite = await startAzurite({containers: [CONTAINER], memoryLimitMb: 512});
});
afterAll(async () => {
	await azurite?.stop();
});

describeDestination('azblob', () => ({open: async () => openAzureDestination(location(), {env: azurite.env})}));

async function failureOf(promise: Promise<unknown>): Promise<LifeboatError> {
	const error = await promise.then(() => undefined, (caught: unknown) => caught);
	expect(error).toBeInstanceOf(LifeboatError);
	expect((error as LifeboatError).message).not.toContain('\n');
	return error as LifeboatError;
}

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

async function collect(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** Names the service itself sees under `prefix`, uncommitted blobs included. */
async function namesWithUncommitted(prefix: string): Promise<string[]> {
	const names: string[] = [];
	for await (const item of azurite.service.getContainerClient(CONTAINER).listBlobsFlat({prefix, includeUncommitedBlobs: true})) names.push(item.name.slice(prefix.length));
	return names.sort();
}

/** `megabytes` MiB of random-ish bytes in 1 MiB chunks, made as they are read. */
function generated(megabytes: number): Readable {
	let sent = 0;
	const chunk = crypto.randomBytes(1024 * 1024);
	return new Readable({
		read() {
			if (sent === megabytes) return this.push(null);
			chunk.writeUInt32LE(sent++, 0);
			this.push(Buffer.from(chunk));
		},
	});
}

describe('azblob credentials and endpoints', () => {
	it('says which environment variables to set when there are no credentials', () => {
		const error = (() => {
			try {
				openAzureDestination(location('p/'), {env: {}});
			} catch (caught) {
				return caught;
			}
		})() as LifeboatError;
		expect(error).toBeInstanceOf(LifeboatError);
		expect(error.exitCode).toBe(4);
		expect(error.message).toBe('azblob://devstoreaccount1/backups/p/: no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN');
	});

	it('refuses a wrong key with exit 4 and one line naming the container, for every operation', async () => {
		const wrongKey = crypto.randomBytes(64).toString('base64');
		const destination = openAzureDestination(location('p/'), {env: {...azurite.env, AZURE_STORAGE_KEY: wrongKey}});
		const expected = 'azblob://devstoreaccount1/backups/p/: access denied (check AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN)';
		for (const operation of [() => destination.list(), () => destination.stat('x.zip'), () => destination.put('x.zip', Readable.from([Buffer.from('x')])), () => destination.readRange('x.zip', 0, 5), () => destination.delete('x.zip')]) {
			const error = await failureOf(operation());
			expect(error.code).toBe('destination');
			expect(error.exitCode).toBe(4);
			expect(error.message).toBe(expected);
			expect(error.message).not.toContain(wrongKey);
		}
	});

	it('works with a connection string and with a SAS token, and names a connection string for another account', async () => {
		const viaConnection = openAzureDestination(location(), {env: {AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString}});
		await viaConnection.put('c.zip', Readable.from([Buffer.from('connection string')]));
		expect((await viaConnection.list()).map(object => object.name)).toEqual(['c.zip']);

		const sas = generateAccountSASQueryParameters({expiresOn: new Date(Date.now() + 3_600_000), permissions: AccountSASPermissions.parse('rwdlac'), resourceTypes: AccountSASResourceTypes.parse('sco').toString(), services: AccountSASServices.parse('b').toString()}, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).toString();
		const viaSas = openAzureDestination(location(), {env: {AZURE_STORAGE_SAS_TOKEN: `?${sas}`, LIFEBOAT_AZURE_ENDPOINT: azurite.endpoint}});
		await viaSas.put('s.zip', Readable.from([Buffer.from('sas')]));
		expect((await collect(await viaSas.read('s.zip'))).toString()).toBe('sas');

		const other = await failureOf((async () => openAzureDestination({account: 'someoneelse', container: CONTAINER, prefix: ''}, {env: {AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString}}))());
		expect(other.message).toBe('azblob://someoneelse/backups/: AZURE_STORAGE_CONNECTION_STRING is for account "devstoreaccount1", not "someoneelse"');
	});

	it('names a missing container in one line (list, put, read)', async () => {
		const destination = openAzureDestination(location('p/', 'no-such-container'), {env: azurite.env});
		const expected = 'azblob://devstoreaccount1/no-such-container/p/: no such container "no-such-container" (create it, or check the URL)';
		for (const operation of [() => destination.list(), () => destination.put('x.zip', Readable.from([Buffer.from('x')])), () => destination.readRange('x.zip', 0, 1)]) {
			const error = await failureOf(operation());
			expect([error.code, error.message]).toEqual(['destination', expected]);
		}
	});

	it('says the server is unreachable after its retries when nothing listens, naming the destination', async () => {
		const retries: string[] = [];
		const destination = openAzureDestination(location('p/'), {env: {...azurite.env, LIFEBOAT_AZURE_ENDPOINT: `http://127.0.0.1:1/${AZURITE_ACCOUNT}`}});
		const error = await failureOf(destination.list({onRetry: note => retries.push(`${note.operation} ${note.attempt}/${note.of}: ${note.reason}`)}));
		expect(error.message).toMatch(/^azblob:\/\/devstoreaccount1\/backups\/p\/: unreachable or failing after retries \(connection refused\): check the endpoint and the network$/);
		expect(retries).toEqual(['listing 1/5: connection refused', 'listing 2/5: connection refused', 'listing 3/5: connection refused', 'listing 4/5: connection refused']);
	});
	it('gives up on a server that accepts connections but never answers, within about 30 s', async () => {
		const sockets: net.Socket[] = [];
		const silent = net.createServer(socket => sockets.push(socket));
		await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
		try {
			const port = (silent.address() as net.AddressInfo).port;
			const destination = openAzureDestination(location('p/'), {env: {...azurite.env, LIFEBOAT_AZURE_ENDPOINT: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`}});
			const started = Date.now();
			const retries: string[] = [];
			const error = await failureOf(destination.list({onRetry: note => retries.push(note.reason)}));
			expect(error.message).toBe('azblob://devstoreaccount1/backups/p/: unreachable or failing after retries (timeout): check the endpoint and the network');
			expect(retries.length).toBeGreaterThan(0);
			expect(retries.every(reason => reason === 'timeout')).toBe(true);
			expect(Date.now() - started).toBeLessThan(45_000);
		} finally {
			for (const socket of sockets) socket.destroy();
			await new Promise(resolve => silent.close(resolve));
		}
	}, 60_000);
});

describe('azblob listing', () => {
	it('lists 1,200 objects across pages, names relative to the prefix', async () => {
		const prefix = freshPrefix();
		const container = azurite.service.getContainerClient(CONTAINER);
		const names = Array.from({length: 1200}, (_, index) => `backup-${String(index).padStart(4, '0')}.zip`);
		for (let at = 0; at < names.length; at += 50) await Promise.all(names.slice(at, at + 50).map(name => container.getBlockBlobClient(prefix + name).upload(name, name.length)));
		const listed = await openAzureDestination(location(prefix), {env: azurite.env}).list();
		expect(listed.map(object => object.name).sort()).toEqual(names);
		expect(listed.every(object => object.size === object.name.length && object.modified instanceof Date)).toBe(true);
	});

	it('lists nothing from deeper "folders" or sibling prefixes, and nothing uncommitted', async () => {
		const prefix = freshPrefix();
		const container = azurite.service.getContainerClient(CONTAINER);
		for (const name of [`${prefix}a.zip`, `${prefix}sub/deeper.zip`, `${prefix}sub/more/deepest.zip`, `${prefix.slice(0, -1)}-sibling.zip`, `${prefix.slice(0, -1)}x/other.zip`]) await container.getBlockBlobClient(name).upload('x', 1);
		await container.getBlockBlobClient(`${prefix}staged-only.zip`).stageBlock(Buffer.from('b1').toString('base64'), 'data', 4);
		const destination = openAzureDestination(location(prefix), {env: azurite.env});
		expect((await destination.list()).map(object => object.name)).toEqual(['a.zip']);
		expect(await destination.stat('staged-only.zip')).toBeUndefined();
		expect(await destination.stat('sub')).toBeUndefined();
	});
});

describe('azblob puts', () => {
	it('two puts of one name at once never mix their blocks: the one committing second fails cleanly', async () => {
		const destination = openAzureDestination(location(), {env: azurite.env});
		const contents = [crypto.randomBytes(9 * 1024 * 1024), crypto.randomBytes(9 * 1024 * 1024)];
		const results = await Promise.allSettled(contents.map(bytes => destination.put('same.zip', Readable.from([bytes]), {overwrite: true})));
		const stored = sha256(await collect(await destination.read('same.zip')));
		const succeeded = contents.filter((_, index) => results[index]!.status === 'fulfilled').map(sha256);
		expect(succeeded).toContain(stored);
		for (const result of results) {
			if (result.status === 'rejected') expect((result.reason as LifeboatError).message).toMatch(/\/same\.zip: another upload of the same name finished first and discarded this one \(nothing of it was kept\); try again$/);
		}
	});

	it('of two puts of one new name without overwrite, one wins and the other gets "exists"', async () => {
		const destination = openAzureDestination(location(), {env: azurite.env});
		const results = await Promise.allSettled(['one', 'two'].map(text => destination.put('race.zip', Readable.from([Buffer.from(text.repeat(1000))]))));
		const rejected = results.filter(result => result.status === 'rejected') as PromiseRejectedResult[];
		expect(rejected).toHaveLength(1);
		expect((rejected[0]!.reason as LifeboatError).code).toBe('exists');
		expect((rejected[0]!.reason as LifeboatError).message).toMatch(/^azblob:\/\/devstoreaccount1\/backups\/run-\d+-\d+\/race\.zip already exists; choose another name$/);
	});

	it('sizes blocks so that 50,000 are never exceeded, even when the expected size is off by half', () => {
		fc.assert(fc.property(fc.double({min: 0, max: 40 * 2 ** 40, noNaN: true}), fc.double({min: 0.5, max: 2, noNaN: true}), (expected, error) => {
			const actual = Math.floor(expected * error);
			let blocks = 0;
			for (let bytes = 0; bytes < actual; blocks++) bytes += blockSizeFor(blocks, Math.floor(expected));
			expect(blocks).toBeLessThanOrEqual(50_000);
			expect(blockSizeFor(0, Math.floor(expected))).toBeLessThanOrEqual(4000 * 1024 * 1024);
		}), {numRuns: 200});
		expect(blockSizeFor(0, 2 * 1024 ** 3)).toBe(4 * 1024 * 1024);
		// Nothing expected: 4 MiB blocks; an unexpected 1 TiB still fits by growing blocks.
		let blocks = 0;
		for (let bytes = 0; bytes < 2 ** 40; blocks++) bytes += blockSizeFor(blocks);
		expect(blocks).toBeLessThanOrEqual(50_000);
	});

	it('a failed or aborted put commits nothing; cleanup removes only stale uncommitted uploads of ours', async () => {
		const prefix = freshPrefix();
		const destination = openAzureDestination(location(prefix), {env: azurite.env});
		const failing = new Readable({read() {}});
		failing.push(crypto.randomBytes(9 * 1024 * 1024));
		const broken = destination.put('broken.zip', failing, {onBytes: sent => sent >= 9 * 1024 * 1024 && setImmediate(() => failing.destroy(new Error('disk read failed')))});
		await expect(broken).rejects.toThrow('disk read failed');
		const controller = new AbortController();
		const aborted = destination.put('aborted.zip', generated(40), {signal: controller.signal, onBytes: sent => sent >= 12 * 1024 * 1024 && controller.abort(new LifeboatError('interrupted', 'Backup interrupted'))});
		expect((await failureOf(aborted)).code).toBe('interrupted');
		expect(await destination.list()).toEqual([]);
		expect(await destination.stat('aborted.zip')).toBeUndefined();

		// What a put interrupted over an hour ago left, what a foreign tool staged, and a put of ours
		// still under way (its last block staged just now).
		const container = azurite.service.getContainerClient(CONTAINER);
		const time = (ms: number) => ms.toString(36).padStart(9, '0');
		const id = (text: string) => Buffer.from(text).toString('base64');
		const stage = (name: string, block: string) => container.getBlockBlobClient(prefix + name).stageBlock(id(block), 'bytes', 5);
		await stage('stale.zip', `lifeboat-${time(Date.now() - 2 * 3_600_000)}-0badc0de0000-000000`);
		await stage('stale.zip', `lifeboat-${time(Date.now() - 2 * 3_600_000 + 1000)}-0badc0de0000-000001`);
		await stage('slow.zip', `lifeboat-${time(Date.now() - 2 * 3_600_000)}-5104c0de0000-000000`);
		await stage('slow.zip', `lifeboat-${time(Date.now())}-5104c0de0000-000001`);
		await stage('foreign.zip', 'someone-else-block-0000');
		const before = await namesWithUncommitted(prefix);
		expect(before.filter(name => name !== 'broken.zip' && name !== 'aborted.zip')).toEqual(['foreign.zip', 'slow.zip', 'stale.zip']);

		expect(await destination.cleanup()).toEqual([`removed an interrupted upload of azblob://devstoreaccount1/backups/${prefix}stale.zip (2 uncommitted blocks)`]);
		expect(await namesWithUncommitted(prefix)).toEqual(before.filter(name => name !== 'stale.zip'));
		expect(await destination.list()).toEqual([]);
		// A later put of the same name is not confused by the blocks the broken one left.
		const bytes = crypto.randomBytes(5 * 1024 * 1024);
		expect((await destination.put('broken.zip', Readable.from([bytes]))).sha256).toBe(sha256(bytes));
		expect(sha256(await collect(await destination.read('broken.zip')))).toBe(sha256(bytes));
	});

	it('azurite killed mid-upload: the put fails with one line naming the destination, committing nothing', async () => {
		const server = await startAzurite({containers: [CONTAINER]});
		try {
			const prefix = freshPrefix();
			const destination = openAzureDestination(location(prefix), {env: server.env});
			const started = Date.now();
			let killedAt = 0;
			const error = await failureOf(destination.put('big.zip', generated(24), {
				expectedBytes: 24 * 1024 * 1024,
				onBytes(sent) {
					if (!killedAt && sent >= 10 * 1024 * 1024) {
						killedAt = sent;
						server.kill();
					}
				},
			}));
			expect(killedAt).toBeGreaterThan(0);
			expect(error.code).toBe('destination');
			expect(error.message).toMatch(new RegExp(`^azblob://devstoreaccount1/backups/${prefix}(big\\.zip)?: unreachable or failing after retries \\((connection refused|connection reset)\\): check the endpoint and the network$`));
			expect(Date.now() - started).toBeLessThan(45_000);
		} finally {
			await server.stop();
		}
	});

	it('bounds memory: a 200 MiB put from a child process (peak RSS reported)', async () => {
		const module = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/core/destinations/azblob.js');
		const script = `
			import crypto from 'node:crypto';
			import {Readable} from 'node:stream';
			const {openAzureDestination} = await import(${JSON.stringify(module)});
			const destination = openAzureDestination({account: 'devstoreaccount1', container: 'backups', prefix: 'rss/'}, {env: process.env});
			const base = process.resourceUsage().maxRSS;
			let sent = 0;
			const chunk = crypto.randomBytes(256 * 1024);
			const source = new Readable({read() { if (sent === 800) return this.push(null); sent++; this.push(Buffer.from(chunk)); }});
			const started = process.hrtime.bigint();
			const result = await destination.put('big.zip', source, {expectedBytes: 200 * 1024 * 1024, overwrite: true});
			const seconds = Number(process.hrtime.bigint() - started) / 1e9;
			console.log(JSON.stringify({size: result.size, baseRssKiB: base, peakRssKiB: process.resourceUsage().maxRSS, seconds}));
		`;
		const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', env: {...process.env, ...azurite.env}});
		expect(run.stderr).toBe('');
		const report = JSON.parse(run.stdout) as {size: number; baseRssKiB: number; peakRssKiB: number; seconds: number};
		console.log(`azblob 200 MiB put: peak RSS ${(report.peakRssKiB / 1024).toFixed(1)} MiB (${(report.baseRssKiB / 1024).toFixed(1)} MiB after loading), ${(200 / report.seconds).toFixed(1)} MiB/s; block ${blockSizeFor(0, 200 * 1024 * 1024) / 1024 / 1024} MiB × (${STAGE_CONCURRENCY} + 1)`);
		expect(report.size).toBe(200 * 1024 * 1024);
		expect(report.peakRssKiB / 1024).toBeLessThan(200);
		expect((await azurite.service.getContainerClient(CONTAINER).getBlobClient('rss/big.zip').getProperties()).contentLength).toBe(200 * 1024 * 1024);
	});
});

// Keep the type import used when a test above is skipped while debugging.
export type {Destination};
