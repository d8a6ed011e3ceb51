/**
 * The period a backup falls in, per rule, in UTC (never the host's zone: the same backups give
 * the same answer on every machine, and a daylight-saving change never makes two "days" of one).
 * Keys sort as text and read as dates: hourly `2026-11-30T03`, daily `2026-11-30`, weekly
 * `2026-W49` (ISO 8601: weeks run Monday to Sunday and belong to the year of their Thursday, so
 * 2027-01-01, a Friday, is in 2026-W53), monthly `2026-11`, yearly `2026`.
 */
import type {PeriodRule} from './retention-policy.js';

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** ISO 8601 week of a UTC moment: its week-numbering year and week (1–53). */
export function isoWeek(time: number): {year: number; week: number} {
	const date = new Date(time);
	const day = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
	const thursday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - day + 3);
	const year = new Date(thursday).getUTCFullYear();
	const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
	return {year, week};
}

export function periodKey(rule: PeriodRule, time: number): string {
	const date = new Date(time);
	const year = pad(date.getUTCFullYear(), 4);
	const month = `${year}-${pad(date.getUTCMonth() + 1)}`;
	const day = `${month}-${pad(date.getUTCDate())}`;
	switch (rule) {
		case 'hourly':
			return `${day}T${pad(date.getUTCHours())}`;
		case 'daily':
			return day;
		case 'weekly': {
			const {year: weekYear, week} = isoWeek(time);
			return `${pad(weekYear, 4)}-W${pad(week)}`;
		}
		case 'monthly':
			return month;
		case 'yearly':
			return year;
	}
}
