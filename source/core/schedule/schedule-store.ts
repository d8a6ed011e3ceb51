/**
 * Schedules: `schedules.json` in configDir() (beside destinations.json), and what the daemon
 * remembers of each schedule's runs in `schedules-state.json` next to it. Both are 0600 in a 0700
 * folder, written atomically (temporary file, fsync, rename), refused when another user owns them
 * or others may write them, and unknown keys are refused. Neither holds a secret: a scheduled
 * encrypted backup reads its passphrase from --passphrase-file or LIFEBOAT_BACKUP_PASSPHRASE.
 */
import fs from 'node:fs';
import path from 'node:path';
import {LifeboatError} from '../errors.js';
import {configDir, refuseShared, writePrivateJson} from '../destinations/named-destinations.js';
import {parseCount, parseDuration, type RetentionPolicy} from '../retention/retention-policy.js';
import {checkCron, checkTimeZone} from './cron.js';
import {isWebhookUrl} from './webhook.js';
import {acquireLock, isLock} from './pid-lock.js';
import {runStateProblem} from './state-shape.js';

/** A retention count as stored: a whole number or "unlimited"; `within` as restic writes it. */
export type StoredRetention = Partial<Record<'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly', number | 'unlimited'>> & {within?: string};

export type Schedule = {
	name: string;
	/** A cron expression (5 fields, or 6 with seconds first), read by croner. */
	cron: string;
	/** An IANA time zone (`Europe/Berlin`); absent: the daemon's local time. */
	timezone?: string;
	/** The CLI command run, after `lifeboat` (`backup create --dest … --encrypt`), validated at add time. */
	command: string[];
	/** With --incremental in the command: every Nth run is a full backup. */
	fullEvery?: number;
	/** Applied after each successful backup; absent: nothing is ever pruned. */
	retention?: StoredRetention;
	/** Failure reports are POSTed here (https, or http to a loopback address). */
	webhook?: string;
	createdAt: string;
};

/** What the daemon (and run-now) last did for one schedule. */
export type ScheduleRunState = {
	/** The createdAt of the schedule this state is of: a schedule removed and added again under its name starts afresh. */
	scheduleCreatedAt?: string;
	/** The cron slot the last run was for (catch-up after downtime counts from here). */
	lastSlot?: string;
	lastRun?: RunRecord;
	/** The last successful full backup (an incremental schedule makes a full when there is none). */
	lastFullAt?: string;
	/** Successful incrementals since that full (for --full-every). */
	incrementalsSinceFull?: number;
};

/** One run, as logged (one JSON line on the daemon's stdout) and kept as the last result. */
export type RunRecord = {
	schedule: string;
	startedAt: string;
	finishedAt: string;
	ok: boolean;
	/** 'full' or 'incremental', what was asked of `backup create`. */
	kind?: 'full' | 'incremental';
	trigger: 'cron' | 'catch-up' | 'run-now';
	backup: {path: string; size: number; sha256: string; kind: string} | null;
	/**
	 * `blocked`: why nothing could be pruned though the policy asks (a file at the destination that
	 * prune cannot read: it deletes nothing while one is there). The run is still ok: its backup is.
	 */
	pruned: {deleted: string[]; kept: number; freedBytes: number; blocked?: string} | null;
	error: {code: string; message: string} | null;
	/** Why the webhook could not be told of a failure (the run's own result is unchanged). */
	webhookError?: string;
	/** The incremental asked for could not be made on its base (damaged, or its chain broken): why; a full backup was made instead. */
	fullInstead?: string;
};

type SchedulesFile = {version: 1; schedules: Schedule[]};
type StateFile = {version: 1; schedules: Record<string, ScheduleRunState>};

const SCHEDULE_KEYS = ['name', 'cron', 'timezone', 'command', 'fullEvery', 'retention', 'webhook', 'createdAt'];
const RETENTION_KEYS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'within'];

export function schedulesFile(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(configDir(env), 'schedules.json');
}

export function stateFile(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(configDir(env), 'schedules-state.json');
}

/** Like a destination name: a word, never a path (it names the lock and state entries too). */
export function isScheduleName(text: string): boolean {
	return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(text);
}

/** A schedules or state file that is no JSON or not of its shape (readStateOrSetAside moves a state file aside). */
class DamagedFileError extends LifeboatError {
	constructor(
		readonly file: string,
		readonly reason: string,
	) {
		super('usage', `${file} is not a valid schedules file (${reason}); fix or remove it`);
	}
}

function damaged(file: string, why: string): DamagedFileError {
	return new DamagedFileError(file, why);
}

function readPrivateJson(file: string): unknown {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw new LifeboatError('usage', `Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
	}
	refuseShared(file, 'anyone could change what runs');
	try {
		return JSON.parse(text);
	} catch {
		throw damaged(file, 'not JSON');
	}
}

function checkRetention(value: unknown, file: string, name: string): void {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) throw damaged(file, `${name}.retention is not an object`);
	for (const [key, amount] of Object.entries(value)) {
		if (!RETENTION_KEYS.includes(key)) throw damaged(file, `${name}.retention has an unknown rule ${JSON.stringify(key).slice(0, 40)}`);
		const fine = key === 'within' ? typeof amount === 'string' : amount === 'unlimited' || (Number.isInteger(amount) && (amount as number) >= 0);
		if (!fine) throw damaged(file, `${name}.retention.${key} is not valid`);
	}
}

function checkSchedule(value: unknown, file: string): Schedule {
	const entry = value as Record<string, unknown>;
	if (typeof entry?.['name'] !== 'string' || !isScheduleName(entry['name'])) throw damaged(file, 'an entry has no valid name');
	const name = entry['name'];
	for (const key of Object.keys(entry)) if (!SCHEDULE_KEYS.includes(key)) throw damaged(file, `${name} has an unknown key ${JSON.stringify(key).slice(0, 40)}`);
	if (typeof entry['cron'] !== 'string') throw damaged(file, `${name} has no cron`);
	if (!Array.isArray(entry['command']) || !entry['command'].every(part => typeof part === 'string')) throw damaged(file, `${name}.command is not a list of strings`);
	for (const key of ['timezone', 'webhook', 'createdAt']) if (entry[key] !== undefined && typeof entry[key] !== 'string') throw damaged(file, `${name}.${key} is not a string`);
	if (typeof entry['webhook'] === 'string' && !isWebhookUrl(entry['webhook'])) throw damaged(file, `${name}.webhook is not an https:// URL, or http:// to a loopback address, without a user name or password`);
	if (entry['fullEvery'] !== undefined && !(Number.isInteger(entry['fullEvery']) && (entry['fullEvery'] as number) >= 1)) throw damaged(file, `${name}.fullEvery is not a whole number ≥ 1`);
	if (entry['retention'] !== undefined) checkRetention(entry['retention'], file, name);
	// Edited by hand: an expression or zone `schedule add` would refuse would never fire, silently.
	try {
		if (typeof entry['timezone'] === 'string') checkTimeZone(entry['timezone']);
		checkCron(entry['cron'], entry['timezone'] as string | undefined);
	} catch (error) {
		throw damaged(file, `${name}: ${(error as Error).message.replace(/^--(?:cron|tz) /, '')}`);
	}
	return entry as Schedule;
}

export function readSchedules(env: NodeJS.ProcessEnv = process.env): Schedule[] {
	const file = schedulesFile(env);
	const parsed = readPrivateJson(file) as SchedulesFile | undefined;
	if (parsed === undefined) return [];
	if (parsed?.version !== 1 || !Array.isArray(parsed.schedules)) throw damaged(file, 'expected {"version": 1, "schedules": [...]}');
	const schedules = parsed.schedules.map(entry => checkSchedule(entry, file));
	const names = new Set<string>();
	for (const schedule of schedules) {
		if (names.has(schedule.name)) throw damaged(file, `${schedule.name} is there twice`);
		names.add(schedule.name);
	}
	return schedules;
}

export function writeSchedules(schedules: Schedule[], env: NodeJS.ProcessEnv = process.env): void {
	writePrivateJson(schedulesFile(env), {version: 1, schedules} satisfies SchedulesFile);
}

export function findSchedule(name: string, env: NodeJS.ProcessEnv = process.env): Schedule {
	const found = readSchedules(env).find(schedule => schedule.name === name);
	if (!found) throw new LifeboatError('usage', `No schedule named ${JSON.stringify(name.slice(0, 80))} (see: lifeboat schedule list)`);
	return found;
}

/** A state file read: the entries of the right shape, and what is wrong with each other one (by its name, in the file's order). */
type StateRead = {state: Record<string, ScheduleRunState>; damagedNames: Map<string, string>};

/** The state file's entries, the damaged ones apart; a file that is no JSON or not of the file's shape is thrown as damaged. */
function readStateEntries(env: NodeJS.ProcessEnv): StateRead {
	const file = stateFile(env);
	const parsed = readPrivateJson(file) as StateFile | undefined;
	const read: StateRead = {state: {}, damagedNames: new Map()};
	if (parsed === undefined) return read;
	if (parsed?.version !== 1 || typeof parsed.schedules !== 'object' || parsed.schedules === null || Array.isArray(parsed.schedules)) throw damaged(file, 'expected {"version": 1, "schedules": {...}}');
	const sound: Array<[string, ScheduleRunState]> = [];
	for (const [name, entry] of Object.entries(parsed.schedules)) {
		const problem = runStateProblem(entry);
		if (problem === undefined) sound.push([name, entry]);
		else {
			read.damagedNames.set(name, `the entry of ${JSON.stringify(name.slice(0, 60))} ${problem}`);
		}
	}
	// fromEntries defines each name as its own property (a "__proto__" entry too).
	read.state = Object.fromEntries(sound);
	return read;
}

/** The run state of every schedule; a damaged state file (or entry) is refused like the schedules file. */
export function readState(env: NodeJS.ProcessEnv = process.env): Record<string, ScheduleRunState> {
	const {state, damagedNames} = readStateEntries(env);
	const [first] = damagedNames.values();
	if (first !== undefined) throw damaged(stateFile(env), first);
	return state;
}

/**
 * readState for a listing (`schedule list`, the console) of `names` (the schedules listed): a damaged
 * state file does not hide the schedules, and a damaged entry hides only its own schedule's last
 * run; one of a schedule no longer there is not said (nothing listed depends on it). The file is
 * left where it is (the daemon or the next run sets it aside, under the state lock); `known` says
 * whose last runs are known, and `damaged` why the others are not.
 */
export function readStateForListing(env: NodeJS.ProcessEnv, names: readonly string[]): {state: Record<string, ScheduleRunState>; known: (name: string) => boolean; damaged?: string} {
	const file = stateFile(env);
	try {
		const {state, damagedNames} = readStateEntries(env);
		const listedNames = new Set(names);
		const problems = [...damagedNames].filter(([name]) => listedNames.has(name)).map(([, problem]) => problem);
		if (problems.length === 0) return {state, known: () => true};
		const whose = problems.length === 1 ? 'its schedule\'s last run is' : 'their schedules\' last runs are';
		return {state, known: name => !damagedNames.has(name), damaged: `${file} is not a valid schedules file (${listed(problems)}): ${whose} not known; the daemon or the next run sets it aside`};
	} catch (error) {
		if (!(error instanceof DamagedFileError)) throw error;
		return {state: {}, known: () => false, damaged: `${error.file} is not a valid schedules file (${error.reason}): the last runs are not known; the daemon or the next run moves it aside`};
	}
}

/**
 * The state of `schedule` in `all`: none when the entry is of an earlier schedule of the same
 * name (removed and added again), whose last run, catch-up mark and full-backup count are not
 * this one's. An entry written before the stamp is taken as this schedule's.
 */
export function stateOf(all: Record<string, ScheduleRunState>, schedule: Pick<Schedule, 'name' | 'createdAt'>): ScheduleRunState {
	const entry = Object.hasOwn(all, schedule.name) ? all[schedule.name] : undefined;
	if (typeof entry !== 'object' || entry === null) return {};
	if (entry.scheduleCreatedAt !== undefined && entry.scheduleCreatedAt !== schedule.createdAt) return {};
	return entry;
}

/**
 * readState for the daemon and the runs: a state file that is no JSON or not of its shape (a
 * crash of the disk, a hand edit) must not stop every schedule. It is set aside (kept, with
 * `.damaged-<time>-<pid>` added to its name); where only some entries are damaged, the others are
 * written back and their schedules go on from their state, else the runs start from no state, as
 * after `schedule add`. `onNote` says so. A file refused as shared (another user could write it) is still refused.
 */
export function readStateOrSetAside(env: NodeJS.ProcessEnv, onNote: (text: string) => void, options: {locked?: boolean} = {}): Record<string, ScheduleRunState> {
	try {
		return readState(env);
	} catch (error) {
		if (!(error instanceof DamagedFileError)) throw error;
		// Under the state lock, read again: another process may have set it aside and written its
		// state since (never move a good file aside).
		const setAside = (): Record<string, ScheduleRunState> => {
			const file = stateFile(env);
			// Every schedule runs on from no state.
			const moveWhole = (reason: string): Record<string, ScheduleRunState> => {
				onNote(`${file} is not a valid schedules file (${reason}): moved aside to ${setStateAside(env, 'move')}; the schedules run on from no state (a catch-up run each)`);
				return {};
			};
			let read: StateRead;
			try {
				read = readStateEntries(env);
			} catch (again) {
				if (!(again instanceof DamagedFileError)) throw again;
				return moveWhole(again.reason);
			}
			const problems = [...read.damagedNames.values()];
			if (problems.length === 0) return read.state;
			if (Object.keys(read.state).length === 0) return moveWhole(listed(problems));
			// The damaged file is copied aside before the sound entries replace it (atomically): a
			// crash in between leaves it as it was, to be set aside again. A write that fails moves it aside whole.
			const aside = setStateAside(env, 'copy');
			try {
				writeState(read.state, env);
			} catch {
				fs.rmSync(aside, {force: true});
				return moveWhole(`${listed(problems)}; its sound entries could not be written back`);
			}
			const names = listed([...read.damagedNames.keys()].map(name => JSON.stringify(name.slice(0, 60))));
			onNote(`${file} is not a valid schedules file (${listed(problems)}): copied aside to ${aside}; the state of ${names} is dropped (last run, catch-up mark, full-backup count: a next incremental is a full one), the other schedules keep theirs`);
			return read.state;
		};
		return options.locked ? setAside() : withStateLock(env, setAside);
	}
}

/** The first three of a list, and how many more. */
function listed(items: readonly string[]): string {
	return items.slice(0, 3).join('; ') + (items.length > 3 ? `; ${items.length - 3} more` : '');
}

/** The damaged state file moved or copied (private) to `<file>.damaged-<time>-<pid>`; its new name. */
function setStateAside(env: NodeJS.ProcessEnv, how: 'move' | 'copy'): string {
	const file = stateFile(env);
	const aside = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
	if (how === 'move') fs.renameSync(file, aside);
	else {
		fs.copyFileSync(file, aside, fs.constants.COPYFILE_EXCL);
		fs.chmodSync(aside, 0o600);
	}
	return aside;
}

/**
 * The state file is shared by every schedule (and the daemon): its read-modify-write, and setting
 * a damaged one aside, are serialized by a lock. Not re-entrant: `locked` callers pass it on.
 */
export function withStateLock<T>(env: NodeJS.ProcessEnv, work: () => T): T {
	const file = path.join(configDir(env), 'schedule-locks', 'state.lock');
	for (let attempt = 0; ; attempt++) {
		const lock = acquireLock(file, 'state');
		if (isLock(lock)) {
			try {
				return work();
			} finally {
				lock.release();
			}
		}
		if (attempt > 20_000) throw new LifeboatError('conflict', `${file} is held by pid ${lock.pid}: remove it if that process hangs`);
		Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
	}
}

export function writeState(state: Record<string, ScheduleRunState>, env: NodeJS.ProcessEnv = process.env): void {
	writePrivateJson(stateFile(env), {version: 1, schedules: state} satisfies StateFile);
}

/** The stored retention as a policy for pruneDestination. */
export function retentionPolicy(stored: StoredRetention): RetentionPolicy {
	const policy: RetentionPolicy = {};
	for (const [rule, value] of Object.entries(stored)) {
		if (rule === 'within') policy.within = parseDuration(String(value));
		else policy[rule as Exclude<keyof StoredRetention, 'within'>] = parseCount(String(value), `--keep-${rule}`);
	}
	return policy;
}
