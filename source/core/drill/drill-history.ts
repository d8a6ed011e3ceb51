import fs from 'node:fs';
import path from 'node:path';
import {configDir} from '../destinations/named-destinations.js';
import {describeFsError, LifeboatError} from '../errors.js';
import {ensureDir, PRIVATE_FILE_MODE} from '../private-fs.js';
import type {DrillReportPaths} from './drill-reports.js';
import {DRILL_CHECKS, type DrillHistoryEntry, type DrillReport} from './drill-types.js';
import {writeAll} from '../write-all.js';

/** drills.jsonl, beside the other config files (destinations.json) in the config folder. */
export function drillHistoryFile(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(configDir(env), 'drills.jsonl');
}

export function historyEntry(report: DrillReport, reportPaths?: DrillReportPaths): DrillHistoryEntry {
	const entry: DrillHistoryEntry = {
		at: report.finishedAt,
		ok: report.ok,
		backup: {id: report.backup.id, name: report.backup.name, location: report.backup.location},
		rpoMs: report.rpo.backupAgeMs,
		rtoMs: report.rto.restoreMs,
	};
	if (report.failed) entry.failed = report.failed;
	if (reportPaths) entry.report = reportPaths;
	return entry;
}

/** Appends one line to the drill history (0600; the folder is made owner-only if missing). */
export function appendDrillHistory(report: DrillReport, reportPaths?: DrillReportPaths, env: NodeJS.ProcessEnv = process.env): DrillHistoryEntry {
	const file = drillHistoryFile(env);
	const entry = historyEntry(report, reportPaths);
	try {
		ensureDir(path.dirname(file));
		// One write of one line, opened for appending: concurrent drills never interleave within a line
		// (a write cut short by a full disk is written on, then fails: that one line may be torn, and
		// the history reader skips a line that does not parse).
		const handle = fs.openSync(file, 'a', PRIVATE_FILE_MODE);
		try {
			fs.fchmodSync(handle, PRIVATE_FILE_MODE);
			writeAll(handle, JSON.stringify(entry) + '\n');
		} finally {
			fs.closeSync(handle);
		}
	} catch (error) {
		describeFsError(error, `Drill history ${file}`);
	}
	return entry;
}

const CHECK_IDS = new Set<string>(DRILL_CHECKS.map(check => check.id));

function isEntry(value: unknown): value is DrillHistoryEntry {
	const entry = value as Partial<DrillHistoryEntry> | null;
	return (
		Boolean(entry) && typeof entry === 'object' && typeof entry!.at === 'string' && typeof entry!.ok === 'boolean' &&
		Boolean(entry!.backup) && typeof entry!.backup?.name === 'string' && typeof entry!.backup?.location === 'string' &&
		typeof entry!.rpoMs === 'number' && typeof entry!.rtoMs === 'number' && (entry!.failed === undefined || CHECK_IDS.has(entry!.failed))
	);
}

/**
 * Past drills, oldest first. A line that is not a drill (a torn last line, an edit) is skipped
 * and counted; a history file over 64 MiB is refused rather than read whole.
 */
export function readDrillHistory(env: NodeJS.ProcessEnv = process.env): {entries: DrillHistoryEntry[]; skipped: number; file: string} {
	const file = drillHistoryFile(env);
	let text: string;
	try {
		const stats = fs.statSync(file, {throwIfNoEntry: false});
		if (!stats) return {entries: [], skipped: 0, file};
		if (stats.size > 64 * 1024 * 1024) throw new LifeboatError('destination', `Drill history ${file} is ${stats.size} bytes, over 64 MiB; move it aside to start a new one`);
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if (error instanceof LifeboatError) throw error;
		describeFsError(error, `Drill history ${file}`);
	}
	const entries: DrillHistoryEntry[] = [];
	let skipped = 0;
	for (const line of text.split('\n')) {
		if (line.trim() === '') continue;
		let parsed: unknown;
		try {
			parsed = JSON.parse(line);
		} catch {
			parsed = undefined;
		}
		if (isEntry(parsed)) entries.push(parsed);
		else skipped++;
	}
	return {entries, skipped, file};
}
