/**
 * The shape of one schedule's entry in the state file (`schedules-state.json`): what the runs
 * write, checked when it is read back, so a hand edit or a damaged disk (`"pruned": {}`, a
 * `lastSlot` that is no date) is refused as a damaged file rather than crashing a listing or
 * sending the daemon's catch-up from no date. Returns what is wrong, or nothing. Keys it does not
 * know are left alone (another version of Lifeboat may have written them).
 */
import {isPlainObject} from '../json-text.js';

const TRIGGERS = new Set(['cron', 'catch-up', 'run-now']);

type Fields = Record<string, unknown>;

/** An ISO 8601 day, or time with its zone, as the runs write them (toISOString): `Date.parse` alone takes "1" (2001) and "May 5". */
const ISO_INSTANT = /^(\d{4}|[+-]\d{6})-(\d{2})-(\d{2})(?:T(\d{2}):\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function isInstant(value: unknown): boolean {
	const parts = typeof value === 'string' ? ISO_INSTANT.exec(value) : null;
	if (!parts || !Number.isFinite(Date.parse(value as string))) return false;
	// A day the month has and an hour before 24 (V8 rolls `02-30` and `T24:00` over to the next day).
	const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
	const date = new Date(0);
	date.setUTCFullYear(year, month - 1, day);
	return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && Number(parts[4] ?? 0) < 24;
}

function isCount(value: unknown): boolean {
	return Number.isSafeInteger(value) && (value as number) >= 0;
}

function backupProblem(backup: unknown): string | undefined {
	if (backup === null) return undefined;
	if (!isPlainObject(backup) || typeof backup['path'] !== 'string' || !isCount(backup['size']) || typeof backup['sha256'] !== 'string' || typeof backup['kind'] !== 'string') return 'backup is not {path, size, sha256, kind} or null';
	return undefined;
}

function prunedProblem(pruned: unknown): string | undefined {
	if (pruned === null) return undefined;
	const valid =
		isPlainObject(pruned) &&
		Array.isArray(pruned['deleted']) &&
		pruned['deleted'].every(id => typeof id === 'string') &&
		isCount(pruned['kept']) &&
		isCount(pruned['freedBytes']) &&
		(pruned['blocked'] === undefined || typeof pruned['blocked'] === 'string');
	return valid ? undefined : 'pruned is not {deleted, kept, freedBytes} or null';
}

function runProblem(run: unknown): string | undefined {
	if (!isPlainObject(run)) return 'is not an object';
	if (typeof run['schedule'] !== 'string' || !isInstant(run['startedAt']) || !isInstant(run['finishedAt'])) return 'has no schedule, startedAt or finishedAt';
	if (typeof run['ok'] !== 'boolean') return 'ok is not true or false';
	if (run['kind'] !== undefined && run['kind'] !== 'full' && run['kind'] !== 'incremental') return 'kind is not full or incremental';
	if (!TRIGGERS.has(run['trigger'] as string)) return 'trigger is not cron, catch-up or run-now';
	const error = run['error'];
	if (error !== null && !(isPlainObject(error) && typeof error['code'] === 'string' && typeof error['message'] === 'string')) return 'error is not {code, message} or null';
	for (const key of ['webhookError', 'fullInstead']) if (run[key] !== undefined && typeof run[key] !== 'string') return `${key} is not text`;
	return backupProblem(run['backup']) ?? prunedProblem(run['pruned']);
}

export function runStateProblem(entry: unknown): string | undefined {
	if (!isPlainObject(entry)) return 'is not an object';
	// The schedule's createdAt as written in schedules.json (text; a run copies it).
	if (entry['scheduleCreatedAt'] !== undefined && typeof entry['scheduleCreatedAt'] !== 'string') return 'scheduleCreatedAt is not text';
	for (const key of ['lastSlot', 'lastFullAt']) if (entry[key] !== undefined && !isInstant(entry[key])) return `${key} is not a date`;
	if (entry['incrementalsSinceFull'] !== undefined && !isCount(entry['incrementalsSinceFull'])) return 'incrementalsSinceFull is not a whole number ≥ 0';
	if (entry['lastRun'] === undefined) return undefined;
	const run = runProblem(entry['lastRun']);
	return run === undefined ? undefined : `lastRun ${run}`;
}
