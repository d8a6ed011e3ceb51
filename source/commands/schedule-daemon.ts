/**
 * `lifeboat schedule daemon`: a foreground process (systemd, a container) that runs each schedule
 * when croner says it is due. Per schedule it keeps a mark: the last slot handled. A slot after
 * the mark that is already past runs once, and the mark moves to now, so after downtime at most
 * one missed run per schedule is caught up. A slot that falls due while the schedule is still
 * running (here, or in another process) is skipped: a log line each time, and one report to the
 * schedule's webhook per run that holds it up, so a backup that hangs is heard of at the first
 * slot it makes the schedule miss. The schedules file is re-read when it changes (checked every
 * second) or on SIGHUP; a damaged file keeps the schedules in force. SIGTERM/SIGINT abort the
 * running backups (their children remove partial output; one that outlives the grace is killed),
 * wait for them and for webhook reports in flight, and exit 0.
 */
import {setMaxListeners} from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {configDir} from '../core/destinations/named-destinations.js';
import {LifeboatError} from '../core/errors.js';
import {nextRun} from '../core/schedule/cron.js';
import {acquireLock, isLock} from '../core/schedule/pid-lock.js';
import {readSchedules, readStateOrSetAside, schedulesFile, stateOf, type Schedule} from '../core/schedule/schedule-store.js';
import {postJson} from '../core/schedule/webhook.js';
import {runSchedule} from './schedule-runner.js';
import {warn, type CommandContext} from './command-context.js';

/** The longest the daemon sleeps: it looks at the schedules file this often. */
const MAX_SLEEP_MS = 1000;
/** A clock stepped back by at most this holds the schedules up that long (markNotAhead). */
const CLOCK_STEP_TOLERANCE_MS = 60_000;

type Daemon = {
	context: CommandContext;
	startedAt: number;
	schedules: Schedule[];
	marks: Map<string, Date>;
	running: Map<string, {done: Promise<void>; startedAt: string}>;
	/**
	 * Per schedule, the hold-up last reported to its webhook: this daemon's run (by its start) or
	 * another process's lock (by its pid and start), each a key of its own.
	 */
	reportedSkips: Map<string, string>;
	/** Webhook reports still in flight (awaited before the daemon exits). */
	reports: Set<Promise<void>>;
	fileStamp: string;
};

function stamp(file: string): string {
	const stats = fs.statSync(file, {throwIfNoEntry: false});
	return stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : 'absent';
}

function note(daemon: Daemon, text: string): void {
	warn(daemon.context, `schedule daemon: ${text}`);
}

function logLine(daemon: Daemon, value: object): void {
	daemon.context.stdout.write(JSON.stringify(value) + '\n');
}

/** Re-reads the schedules; a new schedule's mark is its last handled slot, else when it was added. */
function load(daemon: Daemon, why: string): void {
	const {env} = daemon.context;
	daemon.fileStamp = stamp(schedulesFile(env));
	let schedules: Schedule[];
	let state: ReturnType<typeof readStateOrSetAside>;
	try {
		schedules = readSchedules(env);
		state = readStateOrSetAside(env, text => note(daemon, text));
	} catch (error) {
		note(daemon, `${error instanceof Error ? error.message : String(error)}; keeping the ${daemon.schedules.length} schedules in force`);
		return;
	}
	for (const schedule of schedules) {
		if (daemon.marks.has(schedule.name)) continue;
		const from = stateOf(state, schedule).lastSlot ?? schedule.createdAt;
		const mark = new Date(from);
		daemon.marks.set(schedule.name, Number.isNaN(mark.getTime()) ? new Date() : mark);
		markNotAhead(daemon, schedule.name, new Date());
	}
	for (const name of daemon.marks.keys()) {
		if (schedules.some(schedule => schedule.name === name)) continue;
		daemon.marks.delete(name);
		daemon.reportedSkips.delete(name);
	}
	daemon.schedules = schedules;
	note(daemon, `${why}: ${schedules.length} schedule${schedules.length === 1 ? '' : 's'} from ${schedulesFile(env)}`);
}

/**
 * A slot skipped because the schedule is running: a log line, and once per hold-up (`key`: the
 * run or the lock holder) a report to the schedule's webhook, so a backup that hangs is heard of.
 */
function skip(daemon: Daemon, schedule: Schedule, key: string, reason: string): void {
	const at = new Date().toISOString();
	logLine(daemon, {schedule: schedule.name, at, skipped: true, reason});
	if (!schedule.webhook || daemon.reportedSkips.get(schedule.name) === key) return;
	daemon.reportedSkips.set(schedule.name, key);
	const report = {event: 'lifeboat.schedule.skipped', schedule: schedule.name, host: os.hostname(), at, ok: false, reason};
	const posted = postJson(schedule.webhook, report)
		.catch((failure: Error) => note(daemon, `${schedule.name}: the skipped run could not be reported to its webhook: ${failure.message}`))
		.finally(() => daemon.reports.delete(posted));
	daemon.reports.add(posted);
}

/** `due` is the slot that fell due; the mark kept is `now`, so a restart does not catch it up again. */
function start(daemon: Daemon, schedule: Schedule, due: Date, now: Date): void {
	const trigger = due.getTime() < daemon.startedAt ? 'catch-up' : 'cron';
	const {env, signal} = daemon.context;
	const done = runSchedule(schedule, {env, trigger, slot: now, signal, startedAt: now, onNote: text => note(daemon, text)})
		.then(outcome => {
			if ('busy' in outcome) {
				const {pid, what, since} = outcome.busy;
				skip(daemon, schedule, `lock ${pid} ${since}`, `running already (pid ${pid}, ${what}, since ${since})`);
				return;
			}
			logLine(daemon, outcome.record);
		})
		.catch((error: unknown) => {
			const message = error instanceof Error ? error.message : String(error);
			logLine(daemon, {schedule: schedule.name, startedAt: now.toISOString(), finishedAt: new Date().toISOString(), ok: false, backup: null, pruned: null, error: {code: error instanceof LifeboatError ? error.code : 'internal', message}});
		})
		.finally(() => daemon.running.delete(schedule.name));
	daemon.running.set(schedule.name, {done, startedAt: now.toISOString()});
}

/**
 * A mark ahead of the clock: the clock was stepped back (a host that booted fast, then corrected
 * by NTP; a saved state from a host whose clock was ahead). Slots count from the mark, so the
 * schedule would run nothing until the clock caught up with it, silently: the mark comes back to
 * now, said once, and the next slot after now runs. A step of up to CLOCK_STEP_TOLERANCE_MS is
 * waited out instead: brought back, the mark would let the slot just run fall due again.
 */
function markNotAhead(daemon: Daemon, name: string, now: Date): void {
	const mark = daemon.marks.get(name);
	if (!mark || mark.getTime() <= now.getTime() + CLOCK_STEP_TOLERANCE_MS) return;
	note(daemon, `${name}: its last slot (${mark.toISOString()}) is ahead of the clock (${now.toISOString()}): the clock went back; its slots count from now`);
	daemon.marks.set(name, now);
}

/** Starts what is due; returns how long to sleep before the next look. */
function tick(daemon: Daemon): number {
	if (stamp(schedulesFile(daemon.context.env)) !== daemon.fileStamp) load(daemon, 'reloaded');
	const now = new Date();
	let sleep = MAX_SLEEP_MS;
	for (const schedule of daemon.schedules) {
		markNotAhead(daemon, schedule.name, now);
		const mark = daemon.marks.get(schedule.name)!;
		const due = nextRun(schedule.cron, schedule.timezone, mark);
		if (!due) continue;
		if (due.getTime() <= now.getTime()) {
			// Every other slot missed meanwhile is skipped: the mark moves to now.
			daemon.marks.set(schedule.name, now);
			const running = daemon.running.get(schedule.name);
			if (!running) start(daemon, schedule, due, now);
			else skip(daemon, schedule, `run ${running.startedAt}`, `still running the run started at ${running.startedAt}`);
			const following = nextRun(schedule.cron, schedule.timezone, now);
			if (following) sleep = Math.min(sleep, following.getTime() - now.getTime());
		} else sleep = Math.min(sleep, due.getTime() - now.getTime());
	}
	return Math.max(1, sleep);
}

export async function runDaemon(context: CommandContext): Promise<number> {
	const {env, signal} = context;
	// Each running schedule listens for the stop (and stops listening when its run ends): no limit
	// of ten, whose warning on stderr would call eleven schedules running at once a leak.
	setMaxListeners(0, signal);
	const lock = acquireLock(path.join(configDir(env), 'schedule-locks', 'daemon.lock'), 'daemon');
	if (!isLock(lock)) throw new LifeboatError('conflict', `A schedule daemon runs already for ${configDir(env)} (pid ${lock.pid}, since ${lock.since}); nothing was started`);
	const daemon: Daemon = {context, startedAt: Date.now(), schedules: [], marks: new Map(), running: new Map(), reportedSkips: new Map(), reports: new Set(), fileStamp: ''};
	const onHangup = () => load(daemon, 'reloaded on SIGHUP');
	process.on('SIGHUP', onHangup);
	try {
		daemon.fileStamp = stamp(schedulesFile(env));
		daemon.schedules = readSchedules(env);
		daemon.fileStamp = '';
		load(daemon, `started (pid ${process.pid})`);
		while (!signal.aborted) {
			const sleep = tick(daemon);
			await new Promise<void>(resolve => {
				const timer = setTimeout(done, sleep);
				function done() {
					clearTimeout(timer);
					signal.removeEventListener('abort', done);
					resolve();
				}
				signal.addEventListener('abort', done, {once: true});
			});
		}
		note(daemon, `stopping: ${daemon.running.size} running backup${daemon.running.size === 1 ? '' : 's'} aborted`);
		await Promise.allSettled([...[...daemon.running.values()].map(run => run.done), ...daemon.reports]);
		note(daemon, 'stopped');
		return 0;
	} finally {
		process.off('SIGHUP', onHangup);
		lock.release();
	}
}
