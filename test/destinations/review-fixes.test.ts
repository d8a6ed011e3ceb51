/**
 * Findings of the review of remote destinations, each a regression test: --force over a remote
 * non-backup, an upload that cannot be read back, a listing with one unreadable object, names a
 * hostile server lists, a destinations file others can change, a name that is also a folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import {PassThrough, Readable} from 'node:stream';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../../source/core/backup/create-backup.js';
import {listDestination} from '../../source/core/backup/list-backups.js';
import type {Destination} from '../../source/core/destinations/destination.js';
import {wrapDestination} from './wrap-destination.js';
import {openLocalDestination} from '../../source/core/destinations/local.js';
import {addNamedDestination} from '../../source/core/destinations/named-destinations.js';
import {openS3Destination} from '../../source/core/destinations/s3.js';
import {openSftpDestination} from '../../source/core/destinations/sftp.js';
import {LifeboatError} from '../../source/core/errors.js';
import {tempDir} from '../helpers/temp-dir.js';
import {demoGateway} from '../restore-support.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {startSshd, type SshdServer} from '../servers/sshd-server.js';
import {runCliAsync} from './remote-roundtrip.js';

let s3: S3Server;
let sshd: SshdServer;
let gateway: string;
beforeAll(async () => {
	[s3, sshd, gateway] = await Promise.all([startS3Server({buckets: ['review']}), startSshd(), demoGateway({tenants: 1, seed: 13})]);
});
afterAll(async () => Promise.all([s3?.stop(), sshd?.stop()]));

/** A real destination whose reads of `name` fail (or whose streams break) on demand. */
function faulty(destination: Destination, fault: {readRange?: (name: string) => boolean; read?: boolean}): Destination {
	return wrapDestination(destination, {
		async readRange(name, offset, length, options) {
			if (fault.readRange?.(name)) throw new LifeboatError('destination', `${destination.locate(name)}: permission denied`);
			return destination.readRange(name, offset, length, options);
		},
		async read(name, options) {
			const stream = await destination.read(name, options);
			if (!fault.read) return stream;
			const broken = new PassThrough();
			let seen = 0;
			stream.on('data', (chunk: Buffer) => {
				seen += chunk.length;
				if (seen > 64 * 1024) broken.destroy(Object.assign(new Error('read ECONNRESET'), {code: 'ECONNRESET'}));
				else broken.write(chunk);
			});
			return broken;
		},
	});
}

describe('review findings', () => {
	it('--force on S3 replaces only a Lifeboat backup', async () => {
		const destination = openS3Destination({bucket: 'review', prefix: 'force/'}, {env: s3.env});
		await destination.put('important.zip', Readable.from([Buffer.from('precious data, not a backup')]));
		const run = await runCliAsync(['backup', 'create', '--data-dir', gateway, '--out', 's3://review/force/important.zip', '--force'], s3.env);
		expect(run.code).toBe(4);
		expect(run.stderr.trim()).toBe('lifeboat: s3://review/force/important.zip exists and is not a Lifeboat backup; --force only replaces backups');
		expect((await destination.readRange('important.zip', 0, 100)).toString()).toBe('precious data, not a backup');
		const first = await runCliAsync(['backup', 'create', '--data-dir', gateway, '--out', 's3://review/force/real.zip'], s3.env);
		expect(first.code, first.stderr).toBe(0);
		const again = await runCliAsync(['backup', 'create', '--data-dir', gateway, '--out', 's3://review/force/real.zip', '--force'], s3.env);
		expect(again.code, again.stderr).toBe(0);
		await destination.close();
	});

	it('an upload whose read-back breaks fails in one line (exit 4) and is removed, not left listed', async () => {
		const folder = path.join(tempDir('lifeboat-readback-'), 'backups');
		const destination = faulty(openLocalDestination(folder), {read: true});
		const error = await createBackup({dataDir: gateway, remote: {destination}}).then(() => undefined, (caught: unknown) => caught);
		expect(error).toBeInstanceOf(LifeboatError);
		expect((error as LifeboatError).exitCode).toBe(4);
		expect((error as LifeboatError).message).toMatch(/reading the upload back failed \(read ECONNRESET\); it was removed, run the backup again$/);
		expect(fs.existsSync(folder) ? fs.readdirSync(folder) : []).toEqual([]);
	});

	it('one unreadable backup is a row with its reason; three in a row fail the listing', async () => {
		const real = openS3Destination({bucket: 'review', prefix: 'list/'}, {env: s3.env});
		for (const name of ['a', 'b', 'c', 'd']) await createBackup({dataDir: gateway, name, remote: {destination: real}});
		const one = await listDestination(faulty(real, {readRange: name => name === 'b.zip'}));
		expect(one.map(row => [row.fileName, row.error])).toEqual(expect.arrayContaining([['b.zip', 's3://review/list/b.zip: permission denied'], ['a.zip', undefined], ['c.zip', undefined], ['d.zip', undefined]]));
		const all = await listDestination(faulty(real, {readRange: () => true})).then(() => undefined, (caught: unknown) => caught);
		expect((all as LifeboatError).message).toMatch(/permission denied$/);
		await real.close();
	});

	it('names a hostile SFTP server lists (control characters, bidi overrides) are skipped', async () => {
		const folder = path.join(sshd.root, 'hostile');
		fs.mkdirSync(folder);
		for (const name of ['\u001B]0;owned\u0007x.zip', 'evil\u202Egpj.zip', 'line\nbreak.zip', 'c1\u009Bx.zip', 'fine.zip']) fs.writeFileSync(path.join(folder, name), 'x');
		const destination = openSftpDestination({user: sshd.user, host: '127.0.0.1', port: sshd.port, path: `${folder}/`}, {keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, env: {}});
		expect((await destination.list()).map(object => object.name)).toEqual(['fine.zip']);
		await destination.close();
	});

	it('a destinations file others may write is refused; a name that is also a folder here is asked about', async () => {
		const config = tempDir('lifeboat-review-config-');
		const env = {...s3.env, LIFEBOAT_CONFIG_DIR: path.join(config, 'lifeboat')};
		addNamedDestination({name: 'backups', url: 's3://review/hijack/'}, {env});
		const cwd = tempDir('lifeboat-review-cwd-');
		fs.mkdirSync(path.join(cwd, 'backups'));
		const ambiguous = await runCliAsync(['backup', 'list', '--dest', 'backups'], env, undefined, cwd);
		expect(ambiguous.code).toBe(2);
		expect(ambiguous.stderr.trim()).toBe('lifeboat: "backups" is both a named destination (s3://review/hijack/) and a folder here: write ./backups for the folder, or rename the destination');
		expect((await runCliAsync(['backup', 'list', '--dest', './backups', '--json'], env, undefined, cwd)).code).toBe(0);
		const file = path.join(config, 'lifeboat', 'destinations.json');
		fs.chmodSync(file, 0o666);
		const shared = await runCliAsync(['backup', 'list', '--dest', 'backups'], env);
		expect(shared.code).toBe(2);
		expect(shared.stderr).toMatch(/^lifeboat: Refusing .*destinations\.json: group or others may write it \(mode 666\)/);
	});

	it('--out - with --dest is a usage error, not a silent choice', async () => {
		const run = await runCliAsync(['backup', 'create', '--data-dir', gateway, '--out', '-', '--dest', 's3://review/x/'], s3.env);
		expect(run.code).toBe(2);
		expect(run.stderr.trim()).toBe('lifeboat: --out - streams the archive to stdout: give --out or --dest, not both');
	});
});
