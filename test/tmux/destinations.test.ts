import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {addNamedDestination} from '../../source/core/destinations/named-destinations.js';
import {resolveTarget} from '../../source/core/destinations/open-destination.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/**
 * The built binary in a real terminal (tmux, 80x24) against a real S3-compatible server
 * (s3rver): the create wizard writes a backup to a named S3 destination (after `t` tests it),
 * and Browse lists it after switching there with `s`.
 */
const HAVE_TMUX = tmuxAvailable();
if (!HAVE_TMUX) console.warn('SKIPPED test/tmux: tmux is not installed (apt-get install -y tmux)');

let root: string;
let server: S3Server | undefined;
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
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(async () => {
	await server?.stop();
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

describe.skipIf(!HAVE_TMUX)('the console and a remote destination in a real terminal (tmux 80x24)', () => {
	test('create → the named S3 destination (tested with t) → Browse, s, offsite: the backup is listed', async () => {
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
		expect(step).toMatch(/offsite\s+s3:\/\/ui-test\/tmux\//);
		await session.key('j');
		await session.waitFor('› offsite');
		await session.key('t');
		const tested = await session.waitFor('✓ The destination works');
		expect(tested).toMatch(/✓ read · \d+ ms · read back/);
		await session.key('Enter');
		await session.waitFor('Backup name');
		await session.key('C-u');
		await session.type('tmux-s3');
		await session.key('Enter');
		const review = await session.waitFor('Enter start backup');
		expect(review).toMatch(/Output\s+s3:\/\/ui-test\/tmux\/tmux-s3\.zip/);
		await session.key('Enter');
		const result = await session.waitFor('✓ Backup written', 60_000);
		expect(result).toMatch(/Path\s+s3:\/\/ui-test\/tmux\/tmux-s3\.zip/);
		const target = await resolveTarget('offsite', {env: {...process.env, ...env}});
		expect((await target.destination.stat('tmux-s3.zip'))?.size).toBeGreaterThan(0);
		await target.destination.close();

		// Home → Browse (the backup folder: empty) → s → offsite: listed.
		await session.key('Escape');
		await session.waitFor('› Create backup');
		await session.key('j');
		await session.waitFor('› Browse backups');
		await session.key('Enter');
		await session.waitFor('No backups in');
		await session.key('s');
		await session.waitFor('Switch to');
		await session.key('j');
		await session.waitFor('› offsite');
		await session.key('Enter');
		const listed = await session.waitFor('tmux-s3');
		expect(listed).toContain('Browse · offsite · s3://ui-test/tmux/ · 1 backup');
		await session.key('Escape');
		await session.waitFor('› Create backup');
		await session.key('q');
		expect(await session.waitForExit()).toContain('EXIT=0');
	}, 180_000);
});
