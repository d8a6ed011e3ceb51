/**
 * `lifeboat schedule daemon` as a real process with every-second schedules: backups into a local
 * folder, retention after each, a failing run that the daemon survives and reports to a loopback
 * webhook, the per-schedule lock (held by a live process: skipped; by a dead one: taken over),
 * a run that hangs (its slots skipped, reported once; killed after the stop's grace),
 * catch-up of at most one missed run, SIGTERM exits 0 leaving nothing partial.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runCli} from './helpers/run-cli.js';
import {blockedOnFifo, liveProcess, lockedChild, startDaemon, startWebhook, waitFor, type Webhook} from './helpers/schedule-support.js';
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

/** Writes `text` to a FIFO's reader and closes it; false when no process has it open for reading yet. */
function feedReader(fifo: string, text: string): boolean {
	let writer: number;
	try {
		writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENXIO') return false;
		throw error;
	}
	try {
		fs.writeSync(writer, text);
	} finally {
		fs.closeSync(writer);
	}
	return true;
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
			// A backup that outlasts its second makes the next slot a skipped line (no run record).
			for (const line of daemon.lines.filter(line => !line['skipped'])) expect(Object.keys(line)).toEqual(expect.arrayContaining(['schedule', 'startedAt', 'finishedAt', 'ok', 'backup', 'pruned', 'error']));

			// The destination turns into a file: the next run fails (exit 4 of backup create).
			const aside = `${dest}.aside`;
			const before = daemon.lines.length;
			fs.renameSync(dest, aside);
			fs.writeFileSync(dest, 'not a folder');
			const failed = await daemon.waitForLine(line => line['ok'] === false, before, 'a failed run');
			expect(failed).toMatchObject({schedule: 'every-second', backup: null, pruned: null, error: {code: 'destination'}});
			const failedPost = () => webhook.bodies.find(body => (body as {body: {event: string}}).body.event === 'lifeboat.schedule.failed');
			await waitFor(() => failedPost() !== undefined, 'the webhook POST');
			const posted = failedPost() as {method: string; contentType: string; body: Record<string, unknown>};
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
		const hook = await startWebhook();
		addSchedule(env, 'locked', ['--cron', '* * * * * *', '--webhook', hook.url], ['--dest', dest]);
		const holder = await liveProcess();
		const lock = path.join(config, 'schedule-locks', 'locked.lock');
		fs.mkdirSync(path.dirname(lock), {recursive: true});
		fs.writeFileSync(lock, JSON.stringify({pid: 999_999_999, child: holder.pid, since: '2026-01-01T00:00:00.000Z', what: 'run-now'}));
		const daemon = startDaemon(env);
		let skipped: Record<string, unknown> | undefined;
		try {
			skipped = await daemon.waitForLine(line => line['skipped'] === true, 0, 'a skipped run');
			expect(skipped['reason']).toMatch(/^running already \(pid 999999999, run-now, since 2026-01-01T00:00:00.000Z\)$/);
			// Reported once per lock holder, however many slots it holds up.
			const reason = skipped['reason'];
			await waitFor(() => daemon.lines.filter(line => line['reason'] === reason).length >= 3 && hook.bodies.length > 0, 'three skipped slots and a report');
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
			await hook.close();
		}
		const heldBy = hook.bodies.map(body => (body as {body: Record<string, unknown>}).body).filter(body => body['reason'] === skipped?.['reason']);
		expect(heldBy).toHaveLength(1);
		expect(heldBy[0]).toMatchObject({event: 'lifeboat.schedule.skipped', schedule: 'locked', ok: false});
		expect(fs.existsSync(lock)).toBe(false);
		expect(backupsIn(dest).length).toBeGreaterThanOrEqual(1);
	});

	it('a run that hangs: each slot it holds up is a skipped line, reported once per run to the webhook; the daemon goes on when it ends, and a stop kills one that ignores SIGTERM after the grace', async () => {
		const {env, dest, config} = setup();
		// The stop's grace before SIGKILL (60 s by default), short here.
		env['LIFEBOAT_SCHEDULE_STOP_GRACE'] = '2';
		const hook = await startWebhook();
		const pass = path.join(config, '..', 'pass');
		const passphrase = 'correct horse battery staple 42\n';
		fs.writeFileSync(pass, passphrase, {mode: 0o600});
		addSchedule(env, 'hangs', ['--cron', '* * * * * *', '--webhook', hook.url], ['--dest', dest, '--passphrase-file', pass]);
		// The passphrase file becomes a FIFO: every run blocks reading it until someone writes.
		fs.rmSync(pass);
		expect(spawnSync('mkfifo', ['-m', '600', pass]).status).toBe(0);
		const prefix = 'still running the run started at ';
		const reported = () => hook.bodies.map(body => (body as {body: Record<string, unknown>}).body).filter(body => body['event'] === 'lifeboat.schedule.skipped');
		/** A run other than `seen` that has held up three slots and been reported. */
		const heldUp = (seen: string | undefined) => {
			const reasons = daemon.lines.filter(line => line['skipped'] === true && line['reason'] !== seen).map(line => line['reason'] as string);
			return reasons.find(reason => reasons.filter(other => other === reason).length >= 3 && reported().some(body => body['reason'] === reason));
		};
		const daemon = startDaemon(env);
		let first: string | undefined;
		let second: string | undefined;
		try {
			await waitFor(() => (first = heldUp(undefined)) !== undefined, 'a run holding up three slots, reported');
			expect(first!.startsWith(prefix)).toBe(true);
			expect(reported()[0]).toMatchObject({event: 'lifeboat.schedule.skipped', schedule: 'hangs', ok: false, reason: first, host: expect.any(String)});
			expect(backupsIn(dest)).toEqual([]);
			// Its reader gets the passphrase (once the run's child has the FIFO open: ENXIO until then).
			await waitFor(() => feedReader(pass, passphrase), 'the held-up run to open its passphrase file');
			const finished = await daemon.waitForLine(ok('hangs'), 0, 'the held-up run, finished');
			expect(finished['startedAt']).toBe(first!.slice(prefix.length));
			// The next run blocks on the FIFO too: a new hold-up, reported again.
			await waitFor(() => (second = heldUp(first)) !== undefined, 'a second run holding up three slots, reported');
			// Stopped once its child is in the read that SIGTERM cannot end (not still starting up).
			await waitFor(() => blockedOnFifo(lockedChild(config, 'hangs') ?? 0), 'the second run blocked on its passphrase FIFO');
		} finally {
			// The hung run ignores SIGTERM (its read of the FIFO goes on): the daemon kills it after the grace.
			expect(await daemon.stop()).toBe(0);
			await hook.close();
		}
		expect(daemon.stderr()).toMatch(/schedule daemon: stopped/);
		// Each hold-up reported exactly once (the daemon waits for its reports before it exits).
		const reasons = reported().map(body => body['reason']);
		expect(new Set(reasons).size).toBe(reasons.length);
		expect(reasons).toEqual(expect.arrayContaining([first, second]));
		const last = daemon.lines.filter(line => line['schedule'] === 'hangs' && !line['skipped']).pop();
		expect(last).toMatchObject({ok: false, backup: null, error: {code: 'killed', message: 'backup create had not stopped 2 s after its SIGTERM and was killed'}, startedAt: second!.slice(prefix.length)});
		// It hung: reported as a failure, though the stop aborted it.
		const failures = hook.bodies.map(body => (body as {body: Record<string, unknown>}).body).filter(body => body['event'] === 'lifeboat.schedule.failed');
		expect(failures).toEqual([expect.objectContaining({schedule: 'hangs', ok: false, error: last!['error']})]);
		expect(backupsIn(dest)).toHaveLength(1);
		expect(backupsIn(dest)[0]).toMatch(/^lifeboat-backup-\d{8}-\d{6}(-\d+)?\.zip\.enc$/);
	});

	it('eleven runs hanging at once: no listener-leak warning on stderr, each killed after the grace at the stop', async () => {
		const {env, dest, config} = setup();
		env['LIFEBOAT_SCHEDULE_STOP_GRACE'] = '2';
		const pass = path.join(config, '..', 'pass');
		// `schedule add` reads the passphrase file: a plain one first, a FIFO once all are added.
		fs.writeFileSync(pass, 'correct horse battery staple 42\n', {mode: 0o600});
		const names = Array.from({length: 11}, (_, index) => `hang-${index}`);
		for (const name of names) addSchedule(env, name, ['--cron', '* * * * * *'], ['--dest', dest, '--passphrase-file', pass]);
		fs.rmSync(pass);
		expect(spawnSync('mkfifo', ['-m', '600', pass]).status).toBe(0);
		const daemon = startDaemon(env);
		try {
			await waitFor(() => names.every(name => blockedOnFifo(lockedChild(config, name) ?? 0)), 'all eleven runs blocked on the passphrase FIFO', 120_000);
		} finally {
			expect(await daemon.stop()).toBe(0);
		}
		expect(daemon.stderr()).not.toMatch(/MaxListeners|memory leak/);
		const killed = daemon.lines.filter(line => !line['skipped'] && (line['error'] as {code?: string} | null)?.code === 'killed').map(line => line['schedule']);
		expect(new Set(killed)).toEqual(new Set(names));
		expect(backupsIn(dest)).toEqual([]);
	}, 180_000);

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

	it('a clock stepped back runs the schedules from now, said once: a saved last slot a day ahead, and a step back of an hour while running; a step of 1.5 s is waited out', async () => {
		const {env, dest, config} = setup();
		addSchedule(env, 'clock', ['--cron', '*/2 * * * * *'], ['--dest', dest, '--categories', 'tools']);
		// The daemon's clock, shifted by the milliseconds in a file (a preload replacing Date).
		const root = path.dirname(config);
		const offset = path.join(root, 'clock-offset');
		const preload = path.join(root, 'clock.mjs');
		fs.writeFileSync(offset, '0');
		fs.writeFileSync(
			preload,
			`import fs from 'node:fs';\nconst Real = Date;\nconst shift = () => Number(fs.readFileSync(${JSON.stringify(offset)}, 'utf8')) || 0;\n` +
				`globalThis.Date = class extends Real { constructor(...args) { if (args.length === 0) super(Real.now() + shift()); else super(...args); } static now() { return Real.now() + shift(); } };\n`,
		);
		const dayAhead = new Date(Date.now() + 86_400_000).toISOString();
		fs.writeFileSync(path.join(config, 'schedules-state.json'), JSON.stringify({version: 1, schedules: {clock: {lastSlot: dayAhead}}}), {mode: 0o600});
		const daemon = startDaemon({...env, NODE_OPTIONS: `--import ${preload}`});
		try {
			await daemon.waitForStderr(new RegExp(`clock: its last slot \\(${dayAhead.replaceAll('.', '\\.')}\\) is ahead of the clock`), 'the saved slot ahead');
			const first = await daemon.waitForLine(ok('clock'), 0, 'a run after the saved slot ahead');
			// A step back of 1.5 s just after a run is waited out: the slot just run does not run again.
			fs.writeFileSync(offset, String(-1500));
			const next = await daemon.waitForLine(line => ok('clock')(line) && line !== first, 0, 'a run after the small step');
			expect((next['backup'] as {path: string}).path).not.toBe((first['backup'] as {path: string}).path);
			expect(daemon.lines.filter(ok('clock')).map(line => (line['backup'] as {path: string}).path).filter(file => /-2\.zip$/.test(file))).toEqual([]);
			expect(daemon.stderr().match(/is ahead of the clock/g)).toHaveLength(1);
			// The clock goes back an hour: runs go on.
			const runs = daemon.lines.length;
			fs.writeFileSync(offset, String(-3_600_000));
			await daemon.waitForStderr(/clock: its last slot \([^)]+\) is ahead of the clock[^]*clock: its last slot \([^)]+\) is ahead of the clock/, 'the step back');
			await daemon.waitForLine(ok('clock'), runs, 'a run after the step back');
		} finally {
			expect(await daemon.stop()).toBe(0);
		}
	}, 120_000);

	it('a stop as a backup starts (its child not yet able to handle the SIGTERM) is an interrupted run, not a killed one, and no failure is POSTed', async () => {
		const {env, dest, config} = setup();
		addSchedule(env, 'early-stop', ['--cron', '* * * * * *', '--webhook', webhook.url], ['--dest', dest, '--categories', 'agents']);
		const daemon = startDaemon(env);
		let child: number | undefined;
		try {
			await waitFor(() => (child = lockedChild(config, 'early-stop')) !== undefined, 'a backup child');
		} finally {
			expect(await daemon.stop()).toBe(0);
		}
		const runs = daemon.lines.filter(line => line['schedule'] === 'early-stop');
		expect(runs).toHaveLength(1);
		expect(runs[0]).toMatchObject({ok: false, backup: null, error: {code: 'interrupted'}});
		expect(webhook.bodies.filter(body => (body as {body: {schedule?: string}}).body.schedule === 'early-stop')).toEqual([]);
		expect(backupsIn(dest)).toEqual([]);
		expect(child).toBeGreaterThan(0);
	}, 120_000);

	it('a damaged state file does not stop the schedules: it is moved aside, said on stderr, and the runs go on', async () => {
		const {env, dest, config} = setup();
		addSchedule(env, 'every-second', ['--cron', '* * * * * *'], ['--dest', dest, '--categories', 'agents']);
		const stateFile = path.join(config, 'schedules-state.json');
		fs.writeFileSync(stateFile, '{"version": 1, "schedules": [] }', {mode: 0o600});
		const daemon = startDaemon(env);
		try {
			await daemon.waitForStderr(/schedules-state\.json is not a valid schedules file \(expected \{"version": 1, "schedules": \{\.\.\.\}\}\): moved aside to \S+schedules-state\.json\.damaged-\S+; the schedules run on from no state/);
			await daemon.waitForLine(ok('every-second'), 0, 'a run after the state file was moved aside');
		} finally {
			expect(await daemon.stop()).toBe(0);
		}
		expect(fs.readdirSync(config).filter(name => name.startsWith('schedules-state.json.damaged-'))).toHaveLength(1);
		expect(backupsIn(dest).length).toBeGreaterThan(0);
	}, 120_000);

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
