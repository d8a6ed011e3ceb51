/**
 * A lock file that a killed process does not leave stuck: it holds the holder's PID (and, on
 * Linux, the process's start time, so a PID the kernel gave to another process later does not
 * count) and, while a backup runs, the PID of the backup's child process. A lock whose processes
 * are all gone is stale and is taken over. A lock appears whole (written aside, then hard-linked
 * into place, which fails when it exists), so of processes racing for a free lock exactly one
 * wins; a stale lock is removed only under a short takeover guard and only if it still is the
 * stale one, so processes taking it over at once cannot both win either.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {ensureDir, PRIVATE_FILE_MODE} from '../private-fs.js';

export type LockHolder = {pid: number; start?: string; child?: number; childStart?: string; since: string; what: string};

export type PidLock = {
	file: string;
	/** Records the child process that does the work (so a killed parent's child still holds it). */
	setChild(pid: number | undefined): void;
	release(): void;
};

/** The process's start time in clock ticks since boot (Linux), undefined elsewhere. */
export function processStart(pid: number): string | undefined {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		// Field 22, counted after the command name (which may hold spaces and parentheses).
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

function alive(pid: number | undefined, start: string | undefined): boolean {
	if (!pid || !Number.isInteger(pid) || pid <= 0) return false;
	try {
		process.kill(pid, 0);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}
	const now = processStart(pid);
	return start === undefined || now === undefined || now === start;
}

export function readHolder(file: string): LockHolder | undefined {
	try {
		return parseHolder(fs.readFileSync(file, 'utf8'));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw error;
	}
}

/** A lock half-written by a process killed at that instant holds nothing: stale. */
function parseHolder(text: string): LockHolder {
	try {
		const parsed = JSON.parse(text) as LockHolder;
		return typeof parsed === 'object' && parsed !== null ? parsed : {pid: 0, since: '', what: ''};
	} catch {
		return {pid: 0, since: '', what: ''};
	}
}

/** Whether the lock's holder (or its child) still runs. */
export function isHeld(holder: LockHolder | undefined): holder is LockHolder {
	return Boolean(holder && (alive(holder.pid, holder.start) || alive(holder.child, holder.childStart)));
}

/**
 * Creates `file` holding `text`, or false when it exists. The text is written to a temporary file
 * first and linked into place, so a lock is never seen empty or half-written.
 */
function writeExclusive(file: string, text: string): boolean {
	const temporary = `${file}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`;
	fs.writeFileSync(temporary, text, {mode: PRIVATE_FILE_MODE});
	try {
		fs.linkSync(temporary, file);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
		throw error;
	} finally {
		fs.rmSync(temporary, {force: true});
	}
}

/**
 * Removes a stale lock, but only while holding `FILE.takeover` and only if the lock still holds
 * what was seen stale: two processes that both saw it stale cannot remove a lock a third one took
 * in between. False when another process is clearing it now (the caller looks again).
 */
function clearStale(file: string, seen: string): boolean {
	const guard = `${file}.takeover`;
	if (!writeExclusive(guard, JSON.stringify({pid: process.pid, start: processStart(process.pid)}))) {
		let text = '';
		try {
			text = fs.readFileSync(guard, 'utf8');
		} catch {
			return false;
		}
		// A process killed while clearing: its guard is stale too (this is the one narrow race left).
		if (!isHeld(parseHolder(text))) fs.rmSync(guard, {force: true});
		return false;
	}
	try {
		let current: string;
		try {
			current = fs.readFileSync(file, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
			throw error;
		}
		if (current === seen && !isHeld(parseHolder(current))) fs.rmSync(file, {force: true});
		return true;
	} finally {
		fs.rmSync(guard, {force: true});
	}
}

/**
 * Takes the lock, or returns the live holder. `what` says what the holder does ("daemon",
 * "run-now") for the message the loser prints.
 */
export function acquireLock(file: string, what: string): PidLock | LockHolder {
	ensureDir(path.dirname(file));
	const mine: LockHolder = {pid: process.pid, start: processStart(process.pid), since: new Date().toISOString(), what};
	for (let attempt = 0; attempt < 1000; attempt++) {
		if (writeExclusive(file, JSON.stringify(mine))) return handle(file, mine);
		let seen: string;
		try {
			seen = fs.readFileSync(file, 'utf8');
		} catch {
			continue;
		}
		const holder = parseHolder(seen);
		if (isHeld(holder)) return holder;
		// Another process clears it now: look again in a moment.
		if (!clearStale(file, seen)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
	}
	throw new Error(`${file}: could not take or read the lock`);
}

function handle(file: string, mine: LockHolder): PidLock {
	let released = false;
	return {
		file,
		setChild(pid) {
			if (released) return;
			const next: LockHolder = {...mine, child: pid, childStart: pid ? processStart(pid) : undefined};
			const temporary = `${file}.${process.pid}.tmp`;
			fs.writeFileSync(temporary, JSON.stringify(next), {mode: PRIVATE_FILE_MODE});
			fs.renameSync(temporary, file);
		},
		release() {
			if (released) return;
			released = true;
			fs.rmSync(file, {force: true});
		},
	};
}

export function isLock(value: PidLock | LockHolder): value is PidLock {
	return 'release' in value;
}
