/**
 * A lock file that a killed process does not leave stuck: it holds the holder's PID (and, on
 * Linux, the process's start time, so a PID the kernel gave to another process later does not
 * count) and, while a backup runs, the PID of the backup's child process. A lock whose processes
 * are all gone is stale and is taken over. Created with O_EXCL, so of two processes racing for a
 * free lock exactly one wins; a stale lock is moved aside under a unique name before it is
 * replaced, so two processes taking it over at once cannot both win either.
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

function writeExclusive(file: string, holder: LockHolder): boolean {
	try {
		fs.writeFileSync(file, JSON.stringify(holder), {flag: 'wx', mode: PRIVATE_FILE_MODE});
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
		throw error;
	}
}

/** Moves a stale lock aside and removes it; what turns out not to be the stale one seen is put back. */
function clearStale(file: string, seen: string): void {
	const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
	try {
		fs.renameSync(file, aside);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
		throw error;
	}
	const moved = fs.readFileSync(aside, 'utf8');
	// Another process replaced the stale lock between our read and the rename: give it back.
	if (moved !== seen) {
		try {
			fs.linkSync(aside, file);
		} catch {
			// A third process holds the lock now; the one we moved keeps running without its file.
		}
	}
	fs.rmSync(aside, {force: true});
}

/**
 * Takes the lock, or returns the live holder. `what` says what the holder does ("daemon",
 * "run-now") for the message the loser prints.
 */
export function acquireLock(file: string, what: string): PidLock | LockHolder {
	ensureDir(path.dirname(file));
	const mine: LockHolder = {pid: process.pid, start: processStart(process.pid), since: new Date().toISOString(), what};
	for (let attempt = 0; attempt < 5; attempt++) {
		if (writeExclusive(file, mine)) return handle(file, mine);
		let seen: string;
		try {
			seen = fs.readFileSync(file, 'utf8');
		} catch {
			continue;
		}
		const holder = parseHolder(seen);
		if (isHeld(holder)) return holder;
		clearStale(file, seen);
	}
	return readHolder(file) ?? mine;
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
