/**
 * A streamed or remote backup stages its table dumps (the gateway's rows, unencrypted) in a
 * private folder named after its process. One that was killed (SIGKILL: the schedule daemon's
 * stop after its grace, the OOM killer) cannot remove it: the next such backup removes the
 * staging folders of processes that are gone, and leaves a running one's alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {runCli, spawnCli} from './helpers/run-cli.js';
import {waitFor} from './helpers/schedule-support.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway} from './restore-support.js';

let gateway: string;
beforeAll(async () => {
	gateway = await demoGateway({tenants: 1, seed: 9});
});

describe('staging folders of killed backups', () => {
	it('are removed by the next streamed backup; a running process\'s and foreign names stay', () => {
		const scratch = tempDir('lifeboat-staging-sweep-');
		const dead = path.join(scratch, 'lifeboat-staging-999999999-AbC123');
		const running = path.join(scratch, `lifeboat-staging-${process.pid}-XyZ789`);
		const foreign = path.join(scratch, 'lifeboat-staging-notapid');
		// Named like a dead backup's, but not a private folder of this user's: anyone can make one
		// in a shared temp folder, and removing it is a race its owner can win (a link mid-removal).
		const open = path.join(scratch, 'lifeboat-staging-999999998-OpEn12');
		const victim = tempDir('lifeboat-staging-victim-');
		fs.writeFileSync(path.join(victim, 'keep.txt'), 'keep');
		const link = path.join(scratch, 'lifeboat-staging-999999997-LiNk12');
		for (const dir of [dead, running, foreign, open]) {
			fs.mkdirSync(dir, {mode: 0o700});
			fs.writeFileSync(path.join(dir, 'users.jsonl'), '["usr_1","t","a@example.com"]\n');
		}
		fs.chmodSync(open, 0o755);
		fs.symlinkSync(victim, link);
		const result = runCli(['backup', 'create', '--data-dir', gateway, '--out', '-'], {env: {LIFEBOAT_TMPDIR: scratch}});
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout.length).toBeGreaterThan(0);
		// The backup's own staging folder is gone too.
		expect(fs.readdirSync(scratch).sort()).toEqual([running, foreign, open, link].map(entry => path.basename(entry)).sort());
		expect(fs.readFileSync(path.join(victim, 'keep.txt'), 'utf8')).toBe('keep');
	});

	it('a backup killed mid-way leaves its folder, named after it; the next one removes it', async () => {
		const big = path.join(tempDir('lifeboat-staging-big-'), 'gateway');
		// Incompressible documents: the archive outgrows every buffer, so the unread pipe holds it mid-way.
		await generateDemo({dir: big, tenants: 1, scale: 'small', seed: 3, extraDocumentBytes: 8 * 1024 * 1024});
		const scratch = tempDir('lifeboat-staging-kill-');
		const backup = spawnCli(['backup', 'create', '--data-dir', big, '--out', '-'], {env: {LIFEBOAT_TMPDIR: scratch}});
		const exited = new Promise(resolve => backup.on('close', resolve));
		const pattern = new RegExp(`^lifeboat-staging-${backup.pid}-[A-Za-z0-9]{6}$`);
		await waitFor(() => fs.readdirSync(scratch).some(name => pattern.test(name)), 'the backup\'s staging folder');
		backup.kill('SIGKILL');
		await exited;
		expect(fs.readdirSync(scratch).filter(name => pattern.test(name))).toHaveLength(1);
		const next = runCli(['backup', 'create', '--data-dir', gateway, '--out', '-'], {env: {LIFEBOAT_TMPDIR: scratch}});
		expect(next.code, next.stderr).toBe(0);
		expect(fs.readdirSync(scratch)).toEqual([]);
	});
});
