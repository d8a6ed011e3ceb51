/**
 * `lifeboat schedule daemon` as a real process with every-second schedules: backups into a local
 * folder, retention after each, a failing run that the daemon survives and reports to a loopback
 * webhook, the per-schedule lock (held by a live process: skipped; by a dead one: taken over),
 * catch-up of at most one missed run, SIGTERM exits 0 leaving nothing partial.
 */
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runCli} from './helpers/run-cli.js';
import {liveProcess, startDaemon, startWebhook, waitFor, type Webhook} from './helpers/schedule-support.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway} from './restore-support.js';

let gateway: string;
let webhook: Webhook;
beforeAll(async () => {
	[gateway, webhook] = await Promise.all([demoGateway({tenants: 1, seed: 5}), startWebhook()]);
});
afterAll(async () => webhook?.close());

function setup(): {env: NodeJS.ProcessEnv; dest: string; config: string} {
	const root = tempDir('lifeboat-schedule-');
	return {env: {LIFEBOAT_CONFIG_DIR: path.join(root, 'config')}, dest: path.join(root, 'backups'), config: path.join(root, 'config')};
}

function addSchedule(env: NodeJS.ProcessEnv, name: string, options: string[], command: string[]): void {
	const result = runCli(['schedule', 'add', name, ...options, '--', 'backup', 'create', '--data-dir', gateway, ...command], {env});
	expect(result.code, result.stderr).toBe(0);
}

const backupsIn = (dest: string) => (fs.existsSync(dest) ? fs.readdirSync(dest).sort() : []);
const ok = (name: string) => (line: Record<string, unknown>) => line['schedule'] === name && line['ok'] === true;

describe('schedule daemon', () => {
	it('makes backups each second, keeps 2 (--keep-last 2), survives a failing run, reports it to the webhook, stops on SIGTERM with exit 0', async () => {
		const {env, dest} = setup();
		addSchedule(env, 'every-second', ['--cron', '* * * * * *', '--keep-last', '2', '--webhook', webhook.url], ['--dest', dest]);
		const daemon = startDaemon(env);
		try {
			let third: Record<string, unknown> | undefined;
			await waitFor(() => daemon.lines.filter(ok('every-second')).length >= 3, 'three successful runs');
			third = daemon.lines.filter(ok('every-second'))[2]!;
			expect(third).toMatchObject({kind: 'full', backup: {kind: 'full'}, pruned: {kept: 2}, error: null});
			expect((third['pruned'] as {deleted: string[]}).deleted).toHaveLength(1);
			for (const line of daemon.lines) expect(Object.keys(line)).toEqual(expect.arrayContaining(['schedule', 'startedAt', 'finishedAt', 'ok', 'backup', 'pruned', 'error']));

			// The destination turns into a file: the next run fails (exit 4 of backup create).
			const aside = `${dest}.aside`;
			const before = daemon.lines.length;
			fs.renameSync(dest, aside);
			fs.writeFileSync(dest, 'not a folder');
			const failed = await daemon.waitForLine(line => line['ok'] === false, before, 'a failed run');
			expect(failed).toMatchObject({schedule: 'every-second', backup: null, pruned: null, error: {code: 'destination'}});
			await waitFor(() => webhook.bodies.length > 0, 'the webhook POST');
			const posted = webhook.bodies[0] as {method: string; contentType: string; body: Record<string, unknown>};
			expect(posted.method).toBe('POST');
			expect(posted.contentType).toBe('application/json');
			expect(posted.body).toMatchObject({event: 'lifeboat.schedule.failed', schedule: 'every-second', ok: false, backup: null, error: {code: 'destination', message: (failed['error'] as {message: string}).message}});
			expect(typeof posted.body['host']).toBe('string');

			// Fixed: the daemon goes on.
			fs.rmSync(dest);
			fs.renameSync(aside, dest);
			const after = daemon.lines.length;
			await daemon.waitForLine(ok('every-second'), after, 'a successful run after the failure');
			await waitFor(() => backupsIn(dest).length === 2, 'retention to leave 2 backups');
		} finally {
			expect(await daemon.stop('SIGTERM')).toBe(0);
		}
		expect(daemon.stderr()).toMatch(/schedule daemon: stopped/);
		// Nothing partial: only whole backups (an aborted run removes its temporary file).
		for (const name of backupsIn(dest)) expect(name).toMatch(/^lifeboat-backup-\d{8}-\d{6}(-\d+)?\.zip$/);
		expect(backupsIn(dest).length).toBeLessThanOrEqual(3);
		const state = JSON.parse(fs.readFileSync(path.join(env['LIFEBOAT_CONFIG_DIR']!, 'schedules-state.json'), 'utf8'));
		expect(fs.statSync(path.join(env['LIFEBOAT_CONFIG_DIR']!, 'schedules-state.json')).mode & 0o777).toBe(0o600);
		expect(state.schedules['every-second'].lastRun.schedule).toBe('every-second');
	});

	it('a schedule locked by a live process is skipped (no backup); once that process is gone, its stale lock is taken over', async () => {
		const {env, dest, config} = setup();
		addSchedule(env, 'locked', ['--cron', '* * * * * *'], ['--dest', dest]);
		const holder = await liveProcess();
		const lock = path.join(config, 'schedule-locks', 'locked.lock');
		fs.mkdirSync(path.dirname(lock), {recursive: true});
		fs.writeFileSync(lock, JSON.stringify({pid: 999_999_999, child: holder.pid, since: '2026-01-01T00:00:00.000Z', what: 'run-now'}));
		const daemon = startDaemon(env);
		try {
			const skipped = await daemon.waitForLine(line => line['skipped'] === true, 0, 'a skipped run');
			expect(skipped['reason']).toMatch(/^running already \(pid 999999999, run-now, since 2026-01-01T00:00:00.000Z\)$/);
			expect(backupsIn(dest)).toEqual([]);
			// A second daemon on the same config folder is refused.
			const second = runCli(['schedule', 'daemon'], {env});
			expect(second.code).toBe(7);
			expect(second.stderr).toMatch(/^lifeboat: A schedule daemon runs already for .* \(pid \d+, since .*\); nothing was started\n$/);
			await holder.kill();
			const ran = await daemon.waitForLine(ok('locked'), 0, 'a run once the holder is gone');
			expect(ran['trigger']).toBe('cron');
		} finally {
			await holder.kill();
			expect(await daemon.stop()).toBe(0);
		}
		expect(fs.existsSync(lock)).toBe(false);
		expect(backupsIn(dest).length).toBeGreaterThanOrEqual(1);
	});

	it('after downtime, catches up one missed run per schedule, not one per missed slot, and not again after a restart', async () => {
		const {env, dest, config} = setup();
		// Yearly, on 1 January: two slots were missed since the mark two years ago.
		addSchedule(env, 'yearly', ['--cron', '0 0 1 1 *', '--tz', 'UTC'], ['--dest', dest]);
		const twoYearsAgo = new Date(Date.now() - 2 * 366 * 86_400_000).toISOString();
		fs.writeFileSync(path.join(config, 'schedules-state.json'), JSON.stringify({version: 1, schedules: {yearly: {lastSlot: twoYearsAgo}}}), {mode: 0o600});
		let daemon = startDaemon(env);
		try {
			const caught = await daemon.waitForLine(ok('yearly'), 0, 'the catch-up run');
			expect(caught['trigger']).toBe('catch-up');
			// Two more looks at the schedules (each change is noticed on a tick), then stop.
			for (const round of [1, 2]) {
				const file = path.join(config, 'schedules.json');
				fs.utimesSync(file, new Date(), new Date(Date.now() + round * 1000));
				await daemon.waitForStderr(new RegExp(`(reloaded: 1 schedule[^\\n]*\\n[^]*){${round}}`), `reload ${round}`);
			}
		} finally {
			expect(await daemon.stop()).toBe(0);
		}
		expect(daemon.lines.filter(line => line['schedule'] === 'yearly')).toHaveLength(1);
		// Restarted: the catch-up is not repeated.
		daemon = startDaemon(env);
		try {
			await daemon.waitForStderr(/started \(pid \d+\): 1 schedule/);
			fs.utimesSync(path.join(config, 'schedules.json'), new Date(), new Date(Date.now() + 5000));
			await daemon.waitForStderr(/reloaded: 1 schedule/);
		} finally {
			expect(await daemon.stop()).toBe(0);
		}
		expect(daemon.lines).toEqual([]);
		expect(backupsIn(dest)).toHaveLength(1);
	});

	it('re-reads schedules.json when it changes and on SIGHUP; a damaged one keeps the schedules in force', async () => {
		const {env, dest, config} = setup();
		const daemon = startDaemon(env);
		try {
			await daemon.waitForStderr(/started \(pid \d+\): 0 schedules/);
			addSchedule(env, 'yearly', ['--cron', '0 0 1 1 *'], ['--dest', dest]);
			await daemon.waitForStderr(/reloaded: 1 schedule from /);
			daemon.child.kill('SIGHUP');
			await daemon.waitForStderr(/reloaded on SIGHUP: 1 schedule from /);
			fs.writeFileSync(path.join(config, 'schedules.json'), '{"version": 1, "schedules": [');
			await daemon.waitForStderr(/is not a valid schedules file \(not JSON\); fix or remove it; keeping the 1 schedules in force/);
		} finally {
			expect(await daemon.stop('SIGINT')).toBe(0);
		}
		expect(daemon.lines).toEqual([]);
	});
});
