/**
 * One run of a schedule, for the daemon and for `schedule run-now`: take the schedule's lock, run
 * `lifeboat backup create … --json` as a child process of this same CLI (a crash or a leak in one
 * backup cannot take the daemon down, and the backup is exactly what the command line would do),
 * apply the schedule's retention in-process with pruneDestination, remember the result, and POST
 * a failure to the schedule's webhook.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {lifeboatCliPath} from '../core/schedule/cli-path.js';
import {resolveTarget} from '../core/destinations/open-destination.js';
import {configDir} from '../core/destinations/named-destinations.js';
import {LifeboatError} from '../core/errors.js';
import {gatewayKey} from '../core/archive/archive-format.js';
import {pruneDestination, type RetentionPlan, type RetentionScope} from '../core/retention/index.js';
import {acquireLock, isLock, type LockHolder, type PidLock} from '../core/schedule/pid-lock.js';
import {readStateOrSetAside, retentionPolicy, stateOf, withStateLock, writeState, type RunRecord, type Schedule, type ScheduleRunState} from '../core/schedule/schedule-store.js';
import {postJson} from '../core/schedule/webhook.js';
import {warn} from './command-context.js';
import {parseStoredCommand} from './stored-command.js';

/** dist/cli.js: the child runs the same build as the daemon. */
export const CLI_PATH = lifeboatCliPath();

export type RunOptions = {
	env: NodeJS.ProcessEnv;
	trigger: RunRecord['trigger'];
	/** When the daemon saw this run fall due (kept as the catch-up mark); run-now leaves it. */
	slot?: Date;
	/** Aborting stops the child (SIGTERM: it removes its partial output) and skips retention. */
	signal?: AbortSignal;
	/** When the run started, as its record says (the daemon's own note of it: the two match). */
	startedAt?: Date;
	/** A note for the log (a damaged state file moved aside); stderr when not given. */
	onNote?: (text: string) => void;
};

/** This schedule's run state (a damaged state file is moved aside, see readStateOrSetAside). */
function runState(schedule: Schedule, options: RunOptions, locked = false): {all: Record<string, ScheduleRunState>; own: ScheduleRunState} {
	const all = readStateOrSetAside(options.env, options.onNote ?? (text => warn({stderr: process.stderr}, text)), {locked});
	return {all, own: stateOf(all, schedule)};
}

export type RunOutcome = {record: RunRecord} | {busy: LockHolder};

export function lockFile(env: NodeJS.ProcessEnv, name: string): string {
	return path.join(configDir(env), 'schedule-locks', `${name}.lock`);
}

/** Full or incremental: an incremental schedule makes a full first, then every --full-every'th run. */
export function runKind(schedule: Schedule, state: ScheduleRunState): 'full' | 'incremental' {
	if (!schedule.command.includes('--incremental')) return 'full';
	if (!state.lastFullAt) return 'full';
	if (schedule.fullEvery && (state.incrementalsSinceFull ?? 0) >= schedule.fullEvery - 1) return 'full';
	return 'incremental';
}

function childArgs(schedule: Schedule, kind: 'full' | 'incremental'): string[] {
	const command = kind === 'full' ? schedule.command.filter(token => token !== '--incremental' && token !== '--since-last') : schedule.command;
	return [...command, '--json'];
}

/**
 * `killedAfterMs`: the child did not stop after its SIGTERM and was killed that long after it.
 * `endedByStop`: it died of the SIGTERM a stop sent it, before it could handle one (in its first
 * moments, before its handler was installed: it had written nothing yet).
 */
type ChildResult = {code: number | null; stdout: string; stderr: string; killedAfterMs?: number; endedByStop?: boolean};

/**
 * How long an aborted backup has to clean up after its SIGTERM (remove its partial output, abort
 * an upload and delete what it could not confirm, each with retries) before it is killed: one
 * stuck where SIGTERM cannot end it (a read from a FIFO or a hung mount) would otherwise hold the
 * daemon's stop forever. LIFEBOAT_SCHEDULE_STOP_GRACE (seconds) sets it.
 */
export const STOP_GRACE_MS = 60_000;

/** At most a day: a timer past 2^31 - 1 ms fires at once. */
const MAX_STOP_GRACE_MS = 86_400_000;

export function stopGraceMs(env: NodeJS.ProcessEnv): number {
	const seconds = Number(env['LIFEBOAT_SCHEDULE_STOP_GRACE']);
	return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_STOP_GRACE_MS) : STOP_GRACE_MS;
}

/**
 * Children still running. Each runs in its own process group, which outlives this process: one
 * that leaves at once (a second Ctrl-C) takes them with it, as before, rather than leave them
 * running on their locks. One exit hook for them all: a listener per child would pass Node's
 * limit of ten, with a warning on stderr, once eleven schedules hang at once.
 */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLiveChildrenAtExit(): void {
	for (const child of liveChildren) child.kill('SIGKILL');
}

function track(child: ChildProcess): void {
	liveChildren.add(child);
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.on('exit', killLiveChildrenAtExit);
}

/**
 * Runs the CLI as a child; keeps at most 64 MiB of stdout (its --json answer lists every tenant of
 * the backup: a few MB for tens of thousands) and 64 KiB of stderr.
 */
function runChild(args: string[], options: RunOptions, lock: PidLock): Promise<ChildResult> {
	return new Promise((resolve, reject) => {
		// Its own process group: a Ctrl-C on run-now (or a signal to the daemon's group) reaches only
		// this process, which passes one SIGTERM on. A second signal would make the backup leave at
		// once, without removing its partial output.
		const child = spawn(process.execPath, [...process.execArgv, CLI_PATH, ...args], {env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true});
		if (child.pid) lock.setChild(child.pid);
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => void (stdout.length < 1 << 26 && (stdout += chunk.toString('utf8'))));
		child.stderr.on('data', (chunk: Buffer) => void (stderr.length < 1 << 16 && (stderr += chunk.toString('utf8'))));
		let killer: NodeJS.Timeout | undefined;
		let killedAfterMs: number | undefined;
		let stopped = false;
		const abort = () => {
			stopped = true;
			child.kill('SIGTERM');
			const grace = stopGraceMs(options.env);
			killer = setTimeout(() => {
				killedAfterMs = grace;
				child.kill('SIGKILL');
			}, grace);
		};
		options.signal?.addEventListener('abort', abort, {once: true});
		track(child);
		const settle = () => {
			liveChildren.delete(child);
			clearTimeout(killer);
			options.signal?.removeEventListener('abort', abort);
			lock.setChild(undefined);
		};
		child.on('error', error => {
			settle();
			reject(error);
		});
		child.on('close', (code, signal) => {
			settle();
			resolve({code, stdout, stderr, killedAfterMs, endedByStop: stopped && code === null && signal === 'SIGTERM'});
		});
	});
}

function describeChild(result: ChildResult, kind: 'full' | 'incremental'): {backup: RunRecord['backup']; error: RunRecord['error']; scope?: RetentionScope; backupId?: string} {
	let parsed: {ok?: boolean; path?: string; size?: number; sha256?: string; metadata?: {id?: string; kind?: string; incremental?: unknown; tenant?: {id?: string; slug?: string} | null; categories?: string[]; source?: {hostname?: unknown; dataDir?: unknown}}; error?: {code: string; message: string}} | undefined;
	try {
		parsed = JSON.parse(result.stdout);
	} catch {
		parsed = undefined;
	}
	if (result.code === 0 && parsed?.ok && parsed.path) {
		const kind = parsed.metadata?.incremental ? 'incremental' : 'full';
		const {metadata} = parsed;
		const scope = metadata && Array.isArray(metadata.categories) ? {gateway: gatewayKey(metadata.source), tenant: metadata.tenant?.slug ?? null, tenantId: metadata.tenant?.id ?? null, categories: metadata.categories} : undefined;
		return {backup: {path: parsed.path, size: parsed.size ?? 0, sha256: parsed.sha256 ?? '', kind}, error: null, scope, backupId: typeof metadata?.id === 'string' ? metadata.id : undefined};
	}
	// Exit 0 means a restorable backup was written, whatever became of its answer on the way.
	if (result.code === 0) return {backup: {path: '(not reported)', size: 0, sha256: '', kind}, error: null};
	if (result.killedAfterMs !== undefined && result.code === null) {
		return {backup: null, error: {code: 'killed', message: `backup create had not stopped ${result.killedAfterMs / 1000} s after its SIGTERM and was killed`}};
	}
	if (result.endedByStop && result.killedAfterMs === undefined) {
		return {backup: null, error: {code: 'interrupted', message: 'Backup interrupted: stopped as it started (SIGTERM), before it had written anything'}};
	}
	const lastLine = result.stderr.trim().split('\n').filter(Boolean).pop()?.replace(/^lifeboat: /, '');
	const error = parsed?.error ?? {code: result.code === null ? 'killed' : `exit-${result.code}`, message: lastLine ?? `backup create exited with ${result.code ?? 'a signal'}`};
	return {backup: null, error};
}

/** Retention after a successful backup, at the destination the command wrote to. */
/** Prunes the schedule's own scope; the backup this run wrote (`backupId`) is always kept, whatever the dates of the others (one dated in the future). */
async function applyRetention(schedule: Schedule, options: RunOptions, scope: RetentionScope | undefined, backupId: string | undefined): Promise<RunRecord['pruned']> {
	if (!schedule.retention) return null;
	// Only this schedule's backups (its scope) are pruned; others at the destination are left alone.
	if (!scope) throw new LifeboatError('destination', 'the backup did not report its scope (tenant and categories), so retention was not applied');
	const {flags} = parseStoredCommand(schedule.command);
	const target = await resolveTarget(flags.dest!, {env: options.env, s3Endpoint: flags.s3Endpoint, s3Region: flags.s3Region, azureEndpoint: flags.azureEndpoint, sshKey: flags.sshKey, knownHosts: flags.knownHosts, localObject: 'folder'});
	try {
		const result = await pruneDestination(target.destination, retentionPolicy(schedule.retention), {signal: options.signal, scope, protect: backupId});
		const blocked = pruningBlocked(result.plan);
		return {deleted: result.deleted.map(entry => entry.fileName), kept: result.plan.keep, freedBytes: result.freedBytes, ...(blocked ? {blocked} : {})};
	} finally {
		await target.destination.close();
	}
}

/** What a prune that stopped part-way had deleted (applyPrune's error says), or null. */
function prunedBeforeFailure(thrown: unknown): RunRecord['pruned'] {
	const done = thrown instanceof LifeboatError ? thrown.done : undefined;
	if (!done || !Array.isArray(done['deleted'])) return null;
	const deleted = (done['deleted'] as Array<{fileName: string}>).map(entry => entry.fileName);
	return {deleted, kept: Number(done['kept']), freedBytes: Number(done['freedBytes'])};
}

/**
 * Why a prune kept backups its policy would remove: files at the destination it cannot read (it
 * deletes nothing while one is there). Said in the run's record, so a schedule whose destination
 * holds one does not fill it up behind runs that all say ok.
 */
function pruningBlocked(plan: RetentionPlan): string | undefined {
	const unreadable = plan.decisions.filter(decision => decision.id === null);
	const held = plan.decisions.filter(decision => decision.id !== null && decision.reasons.length === 0 && decision.warning?.startsWith('kept: ')).length;
	if (unreadable.length === 0 || held === 0) return undefined;
	return `${held} backup${held === 1 ? '' : 's'} the policy removes ${held === 1 ? 'was' : 'were'} kept: ${unreadable.length === 1 ? `${unreadable[0]!.fileName} cannot be read` : `${unreadable.length} files cannot be read (${unreadable[0]!.fileName}, …)`} at the destination, and prune deletes nothing while one is there; repair or move ${unreadable.length === 1 ? 'it' : 'them'}`;
}

/** Records a run in the state file; the schedule's own lock is held, so no other writer has this entry. */
function remember(schedule: Schedule, record: RunRecord, options: RunOptions): void {
	const state: ScheduleRunState = {...runState(schedule, options).own, scheduleCreatedAt: schedule.createdAt};
	state.lastRun = record;
	if (options.slot) state.lastSlot = options.slot.toISOString();
	if (record.ok && record.backup?.kind === 'full') {
		state.lastFullAt = record.finishedAt;
		state.incrementalsSinceFull = 0;
	} else if (record.ok) state.incrementalsSinceFull = (state.incrementalsSinceFull ?? 0) + 1;
	withStateLock(options.env, () => writeState({...runState(schedule, options, true).all, [schedule.name]: state}, options.env));
}

/** Runs a schedule once, unless another process is running it now (then: busy, with the holder). */
export async function runSchedule(schedule: Schedule, options: RunOptions): Promise<RunOutcome> {
	const lock = acquireLock(lockFile(options.env, schedule.name), options.trigger === 'run-now' ? 'run-now' : 'daemon');
	if (!isLock(lock)) return {busy: lock};
	const startedAt = (options.startedAt ?? new Date()).toISOString();
	try {
		let kind = runKind(schedule, runState(schedule, options).own);
		let child = await runChild(childArgs(schedule, kind), options, lock);
		let fullInstead: string | undefined;
		// Exit 5: the base (or a link of its chain) is damaged or missing; no-base: no earlier backup of
		// the scope is there (removed by hand, or the tenant's slug now names another tenant). A full
		// backup starts a new chain.
		const failure = kind === 'incremental' ? describeChild(child, kind).error : null;
		if (failure && (child.code === 5 || failure.code === 'no-base') && !options.signal?.aborted) {
			fullInstead = failure.message;
			kind = 'full';
			child = await runChild(childArgs(schedule, kind), options, lock);
		}
		const described = describeChild(child, kind);
		const {backup} = described;
		let {error} = described;
		let pruned: RunRecord['pruned'] = null;
		if (backup && !options.signal?.aborted) {
			try {
				pruned = await applyRetention(schedule, options, described.scope, described.backupId);
			} catch (thrown) {
				const message = thrown instanceof Error ? thrown.message : String(thrown);
				error = {code: thrown instanceof LifeboatError ? thrown.code : 'internal', message: `the backup was written, but retention failed: ${message}`};
				pruned = prunedBeforeFailure(thrown);
			}
		}
		const record: RunRecord = {schedule: schedule.name, startedAt, finishedAt: new Date().toISOString(), ok: !error, kind, trigger: options.trigger, backup, pruned, error, ...(fullInstead ? {fullInstead} : {})};
		remember(schedule, record, options);
		// A run killed after the stop's grace hung: reported, though the stop aborted it.
		if (!record.ok && schedule.webhook && (!options.signal?.aborted || error?.code === 'killed')) {
			await postJson(schedule.webhook, {...record, host: os.hostname(), event: 'lifeboat.schedule.failed'}).catch((failure: Error) => (record.webhookError = failure.message));
		}
		return {record};
	} finally {
		lock.release();
	}
}
