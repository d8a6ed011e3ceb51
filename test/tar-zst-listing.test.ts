/**
 * Listing tar.zst backups (plain and encrypted) reads their summaries from the first bytes, as for
 * zip and tar.gz: at a local folder and at every remote kind, on the real local test servers.
 */
import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import tarStream from 'tar-stream';
import fs from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {listDestination} from '../source/core/backup/list-backups.js';
import type {RangedBlob} from '../source/core/archive/ranged-blob.js';
import {zstdFirstBlockEnd} from '../source/core/archive/zstd-process.js';
import {readBackupSummary, SUMMARY_READ_LIMIT} from '../source/core/backup/read-summary.js';
import {openAzureDestination} from '../source/core/destinations/azblob.js';
import type {Destination} from '../source/core/destinations/destination.js';
import {openLocalDestination} from '../source/core/destinations/local.js';
import {openS3Destination} from '../source/core/destinations/s3.js';
import {openSftpDestination} from '../source/core/destinations/sftp.js';
import {wrapDestination} from './destinations/wrap-destination.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway} from './restore-support.js';
import {AZURITE_ACCOUNT, startAzurite, type AzuriteServer} from './servers/azurite-server.js';
import {startS3Server, type S3Server} from './servers/s3-server.js';
import {startSshd, type SshdServer} from './servers/sshd-server.js';

const hasZstd = spawnSync('zstd', ['--version']).status === 0;

describe.skipIf(!hasZstd)('listing tar.zst backups', () => {
	let dir: string;
	let s3: S3Server;
	let sshd: SshdServer;
	let azurite: AzuriteServer;
	const files = () => ['plain.tar.zst', 'sealed.tar.zst.enc', 'other.tar.gz'].map(name => path.join(dir, name));
	beforeAll(async () => {
		const dataDir = await demoGateway({tenants: 2, seed: 47});
		dir = tempDir('lifeboat-zst-listing-');
		await createBackup({dataDir, out: path.join(dir, 'plain.tar.zst'), format: 'tar.zst'});
		await createBackup({dataDir, out: path.join(dir, 'sealed.tar.zst.enc'), format: 'tar.zst', passphrase: 'zstd listing passphrase', kdfIterations: 1000});
		await createBackup({dataDir, out: path.join(dir, 'other.tar.gz'), format: 'tar.gz'});
		[s3, sshd, azurite] = await Promise.all([startS3Server({buckets: ['zst']}), startSshd(), startAzurite({containers: ['zst']})]);
	}, 120_000);
	afterAll(async () => {
		await Promise.all([s3?.stop(), sshd?.stop(), azurite?.stop()]);
	});

	/** Lists `destination` holding the three backups; bytes read per object are counted. */
	async function listed(destination: Destination, upload: boolean) {
		if (upload) for (const file of files()) await destination.put(path.basename(file), Readable.from([fs.readFileSync(file)]));
		const perObject = new Map<string, number>();
		const counted = wrapDestination(destination, {
			async readRange(name, offset, length, options) {
				const read = await destination.readRange(name, offset, length, options);
				perObject.set(name, (perObject.get(name) ?? 0) + read.length);
				return read;
			},
		});
		const listings = await listDestination(counted);
		await destination.close();
		const rows = listings.map(listing => ({name: listing.fileName, format: listing.format, encrypted: listing.encrypted, error: listing.error, kind: listing.summary?.kind, tenants: listing.summary?.tenants}));
		return {rows: rows.sort((a, b) => a.name.localeCompare(b.name)), perObject};
	}

	const expected = [
		{name: 'other.tar.gz', format: 'tar.gz', encrypted: false, error: undefined, kind: 'lifeboat-backup', tenants: 2},
		{name: 'plain.tar.zst', format: 'tar.zst', encrypted: false, error: undefined, kind: 'lifeboat-backup', tenants: 2},
		{name: 'sealed.tar.zst.enc', format: 'tar.zst', encrypted: true, error: undefined, kind: 'lifeboat-backup', tenants: 2},
	];

	it('at a local folder (engine and `backup list --json`)', async () => {
		expect((await listed(openLocalDestination(dir), false)).rows).toEqual(expected);
		const cli = runCli(['backup', 'list', '--dest', dir, '--json']);
		expect(cli.code, cli.stderr).toBe(0);
		const backups = (JSON.parse(cli.stdout) as {backups: Array<{path: string; format: string; encrypted?: boolean; error?: string}>}).backups;
		expect(backups.map(backup => [path.basename(backup.path), backup.format, Boolean(backup.encrypted), backup.error]).sort()).toEqual(expected.map(row => [row.name, row.format, row.encrypted, undefined]));
	});

	it('at s3, sftp and azblob, reading only the first bytes of each', async () => {
		const remotes: Array<[string, Destination]> = [
			['s3', openS3Destination({bucket: 'zst', prefix: 'list/'}, {env: s3.env})],
			['sftp', openSftpDestination({user: sshd.user, host: sshd.host, port: sshd.port, path: `${sshd.root}/zst-list/`}, {keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, env: {}})],
			['azblob', openAzureDestination({account: AZURITE_ACCOUNT, container: 'zst', prefix: 'list/'}, {env: azurite.env})],
		];
		for (const [kind, destination] of remotes) {
			const {rows, perObject} = await listed(destination, true);
			expect(rows, kind).toEqual(expected);
			const size = fs.statSync(path.join(dir, 'plain.tar.zst')).size;
			const read = perObject.get('plain.tar.zst')!;
			expect(read, kind).toBeLessThan(Math.min(size, SUMMARY_READ_LIMIT));
			if (kind === 's3') console.log(`listing read ${read} bytes of a ${size}-byte tar.zst (its first zstd block)`);
			expect(perObject.get('sealed.tar.zst.enc'), kind).toBeLessThanOrEqual(4096);
		}
	}, 120_000);
});

/** A blob over bytes in memory, its reads counted. */
function memoryBlob(bytes: Buffer, label = 'mem/x.tar.zst'): RangedBlob & {read: () => never; bytesRead: () => number} {
	let read = 0;
	return {
		label,
		size: bytes.length,
		async readRange(offset, length) {
			const part = bytes.subarray(offset, offset + length);
			read += part.length;
			return part;
		},
		read: () => {
			throw new Error('a summary reads ranges only');
		},
		bytesRead: () => read,
	};
}

/** A tar of `entries` compressed by the stock zstd program (level `level`). */
async function tarZst(entries: Array<{name: string; content: Buffer; size?: number}>, level = 3): Promise<Buffer> {
	const pack = tarStream.pack();
	for (const entry of entries) pack.entry({name: entry.name, size: entry.content.length}, entry.content);
	pack.finalize();
	const chunks: Buffer[] = [];
	for await (const chunk of pack) chunks.push(chunk as Buffer);
	const result = spawnSync('zstd', ['-q', '-c', `-${level}`], {input: Buffer.concat(chunks), maxBuffer: 64 * 1024 * 1024});
	return result.stdout;
}

async function refusal(blob: RangedBlob): Promise<string> {
	try {
		await readBackupSummary(blob);
	} catch (error) {
		return (error as Error).message;
	}
	throw new Error('was not refused');
}

describe.skipIf(!hasZstd)('a tar.zst summary from the first bytes', () => {
	it('reads a real backup in one ranged read to the end of the first zstd block', async () => {
		const dataDir = await demoGateway({tenants: 3, seed: 48});
		const file = (await createBackup({dataDir, out: path.join(tempDir(), 'x.tar.zst'), format: 'tar.zst'})).path;
		const bytes = fs.readFileSync(file);
		const blob = memoryBlob(bytes);
		const read = await readBackupSummary(blob);
		expect([read.format, read.encrypted, read.summary.kind, read.summary.tenants]).toEqual(['tar.zst', false, 'lifeboat-backup', 3]);
		expect(blob.bytesRead()).toBeLessThanOrEqual(Math.max(2048, zstdFirstBlockEnd(bytes)!));
	});

	it('refuses what is not a Lifeboat tar.zst with one line, reading boundedly', async () => {
		const cases: Array<[string, Buffer, RegExp]> = [
			['a tar.zst of other files', await tarZst([{name: 'notes.txt', content: Buffer.from('hello\n'.repeat(5000))}]), /its first entry is not metadata\.json/],
			['a foreign metadata.json', await tarZst([{name: 'metadata.json', content: Buffer.from('{"name":"npm package"}'.padEnd(400, ' '))}]), /metadata\.json does not begin like Lifeboat's/],
			['zeros (a bomb with no tar header)', spawnSync('zstd', ['-q', '-c', '-19'], {input: Buffer.alloc(64 * 1024 * 1024), maxBuffer: 64 * 1024 * 1024}).stdout, /the tar\.zst does not begin with a tar entry/],
			['garbage after the magic', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(5000, 0xa5)]), /x\.tar\.zst: the zstd stream is corrupt \(.+\) \(not a readable Lifeboat backup\)|x\.tar\.zst: .*cut short/],
			['metadata.json cut short', (await tarZst([{name: 'metadata.json', content: Buffer.from(`{"kind":"lifeboat-backup","pad":"${crypto.randomBytes(150_000).toString('hex')}"}`)}])).subarray(0, 20_000), /cut short/],
		];
		for (const [what, bytes, reason] of cases) {
			const blob = memoryBlob(bytes);
			const message = await refusal(blob);
			expect(message, what).toMatch(reason);
			expect(message.split('\n'), what).toHaveLength(1);
			expect(message.startsWith('mem/x.tar.zst: '), what).toBe(true);
			expect(blob.bytesRead(), what).toBeLessThanOrEqual(SUMMARY_READ_LIMIT);
		}
	});
});
