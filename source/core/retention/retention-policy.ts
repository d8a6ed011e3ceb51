/**
 * A retention policy, as restic's `forget` spells it: keep the N newest backups (`last`), the
 * newest backup of each of the N most recent hours/days/ISO weeks/months/years that have one,
 * and everything within a duration of the newest backup. Counts are whole numbers; Infinity is
 * restic's "unlimited" (every period). A policy with no count and no duration is empty: it
 * keeps everything.
 */
import {LifeboatError} from '../errors.js';

export const PERIOD_RULES = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type PeriodRule = (typeof PERIOD_RULES)[number];
export type CountRule = 'last' | PeriodRule;
export const COUNT_RULES: readonly CountRule[] = ['last', ...PERIOD_RULES];

/** restic's --keep-within duration: years, months, days and hours (`1y6m`, `30d`, `36h`). */
export type RetentionDuration = {years: number; months: number; days: number; hours: number};

export type RetentionPolicy = Partial<Record<CountRule, number>> & {within?: RetentionDuration};

/** The policy when no --keep flag is given: the documented 7 daily + 4 weekly + 12 monthly. */
export const DEFAULT_POLICY: RetentionPolicy = Object.freeze({daily: 7, weekly: 4, monthly: 12});

export function isEmptyPolicy(policy: RetentionPolicy): boolean {
	return COUNT_RULES.every(rule => !policy[rule]) && !hasDuration(policy.within);
}

function hasDuration(duration: RetentionDuration | undefined): duration is RetentionDuration {
	return Boolean(duration && (duration.years || duration.months || duration.days || duration.hours));
}

/** `30d`, `1y6m`, `2w`… as restic writes it (units y, m, d, h; `w` is 7 days, as a convenience). */
export function parseDuration(text: string, flag = '--keep-within'): RetentionDuration {
	const trimmed = text.trim();
	const duration: RetentionDuration = {years: 0, months: 0, days: 0, hours: 0};
	if (!/^(\d{1,6}[ymwdh])+$/.test(trimmed)) throw new LifeboatError('usage', `${flag} ${JSON.stringify(text).slice(0, 40)} is not a duration (e.g. 30d, 36h, 1y6m: numbers with y, m, w, d or h)`);
	for (const [, amount, unit] of trimmed.matchAll(/(\d+)([ymwdh])/g)) {
		const value = Number(amount);
		if (unit === 'y') duration.years += value;
		else if (unit === 'm') duration.months += value;
		else if (unit === 'w') duration.days += 7 * value;
		else if (unit === 'd') duration.days += value;
		else duration.hours += value;
	}
	return duration;
}

export function formatDuration(duration: RetentionDuration): string {
	const parts = [[duration.years, 'y'], [duration.months, 'm'], [duration.days, 'd'], [duration.hours, 'h']] as const;
	const text = parts.filter(([amount]) => amount > 0).map(([amount, unit]) => `${amount}${unit}`).join('');
	return text || '0d';
}

/** A --keep-* count: a whole number ≥ 0, or `unlimited` (every period, restic's -1). */
export function parseCount(text: string, flag: string): number {
	const trimmed = text.trim();
	if (trimmed === 'unlimited' || trimmed === '-1') return Number.POSITIVE_INFINITY;
	if (!/^\d{1,9}$/.test(trimmed)) throw new LifeboatError('usage', `${flag} ${JSON.stringify(text).slice(0, 40)} is not a count (a whole number, or unlimited)`);
	return Number(trimmed);
}

/** The policy in words: "7 daily, 4 weekly, 12 monthly", "last 3, within 30d", "empty". */
export function describePolicy(policy: RetentionPolicy): string {
	const parts = COUNT_RULES.filter(rule => policy[rule]).map(rule => (rule === 'last' ? `last ${countText(policy[rule]!)}` : `${countText(policy[rule]!)} ${rule}`));
	if (hasDuration(policy.within)) parts.push(`within ${formatDuration(policy.within)}`);
	return parts.length > 0 ? parts.join(', ') : 'empty (keeps everything)';
}

function countText(count: number): string {
	return Number.isFinite(count) ? String(count) : 'unlimited';
}

/** The moment `duration` before `newest`, in UTC calendar arithmetic (like Go's AddDate). */
export function durationBefore(newest: number, duration: RetentionDuration): number {
	const date = new Date(newest);
	const shifted = Date.UTC(date.getUTCFullYear() - duration.years, date.getUTCMonth() - duration.months, date.getUTCDate() - duration.days, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds());
	return shifted - duration.hours * 3_600_000;
}

export {hasDuration};
