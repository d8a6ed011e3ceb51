/**
 * A streamed or remote backup stages its table dumps (the gateway's rows, unencrypted) in a
 * private folder named after its process. One that was killed (SIGKILL: the schedule daemon's
 * stop after its grace, the OOM killer) cannot remove it: the next such backup removes the
 * staging folders of processes that are gone, and leaves a running one's alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {runCli} from './helpers/run-cli.js';
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
		for (const dir of [dead, running, foreign]) {
			fs.mkdirSync(dir, {mode: 0o700});
			fs.writeFileSync(path.join(dir, 'users.jsonl'), '["usr_1","t","a@example.com"]\n');
		}
		const result = runCli(['backup', 'create', '--data-dir', gateway, '--out', '-'], {env: {LIFEBOAT_TMPDIR: scratch}});
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout.length).toBeGreaterThan(0);
		// The backup's own staging folder is gone too: only the running one's and the foreign name stay.
		expect(fs.readdirSync(scratch).sort()).toEqual([path.basename(running), path.basename(foreign)].sort());
	});
});
