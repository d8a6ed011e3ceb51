/** Cron expressions and time zones, read by croner (5 fields, or 6 with seconds first). */
import {Cron} from 'croner';
import {LifeboatError} from '../errors.js';

/** Checks a time zone name against the runtime's IANA database. */
export function checkTimeZone(zone: string): string {
	try {
		return new Intl.DateTimeFormat('en-US', {timeZone: zone}).resolvedOptions().timeZone;
	} catch {
		throw new LifeboatError('usage', `--tz ${JSON.stringify(zone.slice(0, 60))} is not a time zone (an IANA name such as Europe/Berlin or UTC)`);
	}
}

/**
 * `?` is any, as `*` (Quartz's "no specific value", written in the day or weekday field): croner
 * alone reads it as the moment the expression is read, which the daemon does every second, so
 * "0 0 ? * *" fired every day while `schedule list` showed a monthly next run.
 */
function cronOf(expression: string, timezone: string | undefined): Cron {
	return new Cron(expression.replaceAll('?', '*'), {timezone, paused: true});
}

/** Checks an expression (and zone) at add time: it must parse and fire at least once more. */
export function checkCron(expression: string, timezone: string | undefined): void {
	let cron: Cron;
	try {
		cron = cronOf(expression, timezone);
	} catch (error) {
		throw new LifeboatError('usage', `--cron ${JSON.stringify(expression.slice(0, 60))} is not a cron expression (${(error as Error).message.replace(/^CronPattern: /, '')}); e.g. "0 3 * * *" for 03:00 daily`);
	}
	if (!cron.nextRun()) throw new LifeboatError('usage', `--cron ${JSON.stringify(expression.slice(0, 60))} never fires (no such date ahead)`);
}

/** The first time strictly after `after` the schedule fires, or null when it never does. */
export function nextRun(expression: string, timezone: string | undefined, after: Date = new Date()): Date | null {
	try {
		return cronOf(expression, timezone).nextRun(after);
	} catch {
		return null;
	}
}
