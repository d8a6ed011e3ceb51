import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {addNamedDestination} from '../../source/core/destinations/named-destinations.js';
import {resolveTarget} from '../../source/core/destinations/open-destination.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {startSshd, type SshdServer} from '../servers/sshd-server.js';
import {consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/**
 * The built binary in a real terminal (tmux, 80x24) against a real S3-compatible server
 * (s3rver) and a real SFTP server (a second sshd): the create wizard writes a backup to a named
 * destination (after `t` tests it), and Browse lists it after switching there with `s`.
 */
const HAVE_TMUX = tmuxAvailable();
if (!HAVE_TMUX) console.warn('SKIPPED test/tmux: tmux is not installed (apt-get install -y tmux)');

let root: string;
let server: S3Server | undefined;
let sshd: SshdServer | undefined;
let env: Record<string, string>;
let session: TmuxSession | undefined;

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tmux-dest-'));
	await generateDemo({dir: path.join(root, 'gateway'), tenants: 2, scale: 'small', seed: 9});
	server = await startS3Server({buckets: ['ui-test']});
	// Credentials from the environment, as an operator's would be; the endpoint is the named destination's setting.
	env = {AWS_ACCESS_KEY_ID: server.env['AWS_ACCESS_KEY_ID']!, AWS_SECRET_ACCESS_KEY: server.env['AWS_SECRET_ACCESS_KEY']!, AWS_REGION: 'us-east-1', LIFEBOAT_CONFIG_DIR: path.join(root, 'config')};
	addNamedDestination({name: 'offsite', url: 's3://ui-test/tmux/', s3Endpoint: server.endpoint}, {env});
	sshd = await startSshd();
	// The SSH key and known_hosts are the named destination's settings (their paths, not their content).
	env['SSH_AUTH_SOCK'] = '';
	addNamedDestination({name: 'vault', url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${sshd.root}/tmux/`, sshKey: sshd.keyFile, knownHosts: sshd.knownHostsFile}, {env});
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(async () => {
	await server?.stop();
	await sshd?.stop();
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

describe.skipIf(!HAVE_TMUX)('the console and a remote destination in a real terminal (tmux 80x24)', () => {
	for (const {name, rows, url, backup} of [
		{name: 'offsite', rows: 1, url: () => 's3://ui-test/tmux/', backup: 'tmux-s3'},
		{name: 'vault', rows: 2, url: () => `sftp://${sshd!.user}@127.0.0.1:${sshd!.port}${sshd!.root}/tmux/`, backup: 'tmux-sftp'},
	]) {
		test(`create → the named destination ${name} (tested with t) → Browse, s, ${name}: the backup is listed`, async () => {
			session = new TmuxSession();
			session.start(consoleCommand(['--data-dir', path.join(root, 'gateway'), '--dest', path.join(root, 'backups')], env));
			await session.waitFor('Audit log');
			await session.key('Enter');
			await session.waitFor('› Everything');
			await session.key('Enter');
			await session.waitFor('› All tenants');
			await session.key('Enter');
			await session.waitFor('› zip (default)');
			await session.key('Enter');
			await session.waitFor('› None');
			await session.key('Enter');
			const step = await session.waitFor('Folder to write the backup to, or a destination');
			expect(step).toContain(name);
			for (let row = 0; row < rows; row++) await session.key('j');
			await session.waitFor(`› ${name}`);
			await session.key('t');
			const tested = await session.waitFor('✓ The destination works', 60_000);
			expect(tested).toMatch(/✓ read · \d+ ms · read back/);
			await session.key('Enter');
			await session.waitFor('Backup name');
			await session.key('C-u');
			await session.type(backup);
			await session.key('Enter');
			const review = await session.waitFor('Enter start backup');
			expect(review.replace(/\s+/g, ' ')).toContain(`${backup}.zip`);
			await session.key('Enter');
			await session.waitFor('✓ Backup written', 60_000);
			const target = await resolveTarget(name, {env: {...process.env, ...env}});
			expect((await target.destination.stat(`${backup}.zip`))?.size).toBeGreaterThan(0);
			expect(target.destination.label).toBe(url());
			await target.destination.close();

			// Home → Browse (the backup folder) → s → the destination: listed.
			await session.key('Escape');
			await session.waitFor('› Create backup');
			await session.key('j');
			await session.waitFor('› Browse backups');
			await session.key('Enter');
			await session.waitFor('Browse ·');
			await session.key('s');
			await session.waitFor('Switch to');
			for (let row = 0; row < rows; row++) await session.key('j');
			await session.waitFor(`› ${name}`);
			await session.key('Enter');
			const listed = await session.waitFor(backup, 60_000);
			expect(listed).toContain(`Browse · ${name} ·`);
			await session.key('Escape');
			await session.waitFor('› Create backup');
			await session.key('q');
			expect(await session.waitForExit()).toContain('EXIT=0');
		}, 180_000);
	}
});
