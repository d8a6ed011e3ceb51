/** Human formatting shared by the CLI and the TUI. */

export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	const units = ['KB', 'MB', 'GB', 'TB'];
	let value = bytes / 1024;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/**
 * "1,234,567": what `toLocaleString('en-US')` gives, for integers without it. The first
 * toLocaleString loads ICU's locale data into the process: ~6 MB of resident memory on every
 * command that prints a count (issue 13's < 100 MB). Anything but a safe integer goes to ICU.
 */
export function formatCount(count: number): string {
	if (!Number.isSafeInteger(count)) return count.toLocaleString('en-US');
	const digits = String(Math.abs(count));
	let grouped = digits.slice(0, ((digits.length - 1) % 3) + 1);
	for (let at = grouped.length; at < digits.length; at += 3) grouped += `,${digits.slice(at, at + 3)}`;
	return count < 0 || Object.is(count, -0) ? `-${grouped}` : grouped;
}

/**
 * Code unit order of two strings, for sorting names deterministically: `localeCompare` loads
 * ICU's collation data (~3 MB resident) and orders by locale rules no listing here needs.
 */
export function compareCodeUnits(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

/** "1 file", "2 files", "1,200 rows". */
export function countOf(count: number, word: string): string {
	return `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;
}

/** "memory 1,200/5,000 rows (table 3 of 9)": where a database snapshot is. */
export function formatTableProgress(progress: {table: string; rows: number; rowsTotal: number; tableIndex: number; tableCount: number}): string {
	return `${progress.table} ${formatCount(progress.rows)}/${formatCount(progress.rowsTotal)} rows (table ${progress.tableIndex} of ${progress.tableCount})`;
}

export function formatDuration(ms: number): string {
	if (ms < 1000) return `${Math.round(ms)} ms`;
	const seconds = ms / 1000;
	if (seconds < 60) return `${seconds.toFixed(1)} s`;
	const minutes = Math.floor(seconds / 60);
	return `${minutes} min ${Math.round(seconds % 60)} s`;
}

/** "3 hours ago", "2 days ago": for backup ages. */
export function formatAge(iso: string, now = Date.now()): string {
	const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
	const steps: Array<[number, string]> = [
		[60, 'second'],
		[60, 'minute'],
		[24, 'hour'],
		[30, 'day'],
		[12, 'month'],
		[Number.POSITIVE_INFINITY, 'year'],
	];
	let value = seconds;
	for (const [size, unit] of steps) {
		if (value < size) {
			const rounded = Math.floor(value);
			return rounded <= 0 && unit === 'second' ? 'just now' : `${rounded} ${unit}${rounded === 1 ? '' : 's'} ago`;
		}
		value /= size;
	}
	return 'long ago';
}

/** A retry as the progress line says it: "Retrying uploading part 3 (connection reset), attempt 2 of 5 in 1.2 s". */
export function formatRetry(note: {operation: string; attempt: number; of: number; delayMs: number; reason: string}): string {
	return `Retrying ${note.operation} (${note.reason}): attempt ${note.attempt + 1} of ${note.of} in ${(note.delayMs / 1000).toFixed(1)} s`;
}
