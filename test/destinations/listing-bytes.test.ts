/**
 * Listing reads summaries, never archives: 1,000 backups on a real S3 server (copies of a real
 * zip, tar.gz and encrypted backup under many names) are listed with every summary while the
 * bytes read stay at a few KiB per backup. The figure is printed for the readme.
 */
import fs from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../../source/core/backup/create-backup.js';
import {listDestination} from '../../source/core/backup/list-backups.js';
import type {Destination} from '../../source/core/destinations/destination.js';
import {wrapDestination} from './wrap-destination.js';
import {openS3Destination} from '../../source/core/destinations/s3.js';
import {tempDir} from '../helpers/temp-dir.js';
import {demoGateway, freshGateway} from '../restore-support.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';

let server: S3Server;
beforeAll(async () => {
	server = await startS3Server({buckets: ['listing']});
});
afterAll(async () => server?.stop());

/** The real destination, with the bytes and requests of its reads counted. */
function counted(destination: Destination): {destination: Destination; bytes: () => number; requests: () => number; perObject: Map<string, number>} {
	let bytes = 0;
	let requests = 0;
	const perObject = new Map<string, number>();
	return {
		destination: wrapDestination(destination, {
			async readRange(name, offset, length, options) {
				requests++;
				const read = await destination.readRange(name, offset, length, options);
				bytes += read.length;
				perObject.set(name, (perObject.get(name) ?? 0) + read.length);
				return read;
			},
			async read(name, options) {
				requests++;
				const stream = await destination.read(name, options);
				stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
				return stream;
			},
		}),
		bytes: () => bytes,
		requests: () => requests,
		perObject,
	};
}

describe('listing remote backups', () => {
	it('lists 1,000 backups reading a few KiB each, never an archive', async () => {
		// Three real backups of a demo gateway (~0.5 MB each), and 997 small ones of an empty
		// gateway: the bytes a listing reads must not depend on an archive's size.
		const demo = await demoGateway({tenants: 1, seed: 5});
		const empty = freshGateway();
		const dir = tempDir('lifeboat-listing-');
		const kinds = async (dataDir: string, tag: string) => [
			await createBackup({dataDir, out: path.join(dir, `${tag}.zip`), format: 'zip'}),
			await createBackup({dataDir, out: path.join(dir, `${tag}.tar.gz`), format: 'tar.gz'}),
			await createBackup({dataDir, out: path.join(dir, `${tag}.zip.enc`), format: 'zip', passphrase: 'listing passphrase', kdfIterations: 1000}),
		];
		const large = await kinds(demo, 'large');
		const small = await kinds(empty, 'small');
		const destination = openS3Destination({bucket: 'listing', prefix: 'many/'}, {env: server.env});
		const total = 1000;
		const names: string[] = [];
		const put = async (index: number) => {
			const source = index < 3 ? large[index]! : small[index % 3]!;
			const name = `backup-${String(index).padStart(4, '0')}${path.basename(source.path).replace(/^(large|small)/, '')}`;
			names[index] = name;
			await destination.put(name, Readable.from([fs.readFileSync(source.path)]));
		};
		// Eight puts at a time: the server, not the test, sets the pace.
		for (let index = 0; index < total; index += 8) await Promise.all(Array.from({length: Math.min(8, total - index)}, (_, offset) => put(index + offset)));

		const probe = counted(destination);
		const listings = await listDestination(probe.destination);
		expect(listings).toHaveLength(total);
		expect(listings.filter(listing => listing.error)).toEqual([]);
		expect(listings.every(listing => listing.summary?.kind === 'lifeboat-backup')).toBe(true);
		expect(listings.filter(listing => listing.encrypted)).toHaveLength(333);
		for (const [index, source] of large.entries()) {
			expect(source.size).toBeGreaterThan(100_000);
			expect(probe.perObject.get(names[index]!)).toBeLessThanOrEqual(4096);
		}
		console.log(`listing ${total} remote backups read ${(probe.bytes() / 1024).toFixed(0)} KiB in ${probe.requests()} requests (${(probe.bytes() / total).toFixed(0)} bytes per backup; ${large.map(source => `${(source.size / 1024).toFixed(0)} KiB`).join(', ')} archives among them read ${large.map((_, index) => probe.perObject.get(names[index]!)).join(', ')} bytes)`);
		expect(probe.bytes()).toBeLessThan(4 * 1024 * 1024);
		await destination.close();
	}, 300_000);
});
