/**
 * restic `forget` rules over a synthetic year (and a bit) of nightly backups. Every expected
 * table below was written by hand from the rules and a calendar, not from the code's output:
 * - one backup a day at 03:00 UTC from 2025-10-27 to 2026-11-30 (400 days), plus extra ones:
 *   2026-11-29 21:00 (the 29th's newest), 2026-11-22 18:00 (a Sunday: week 47's newest),
 *   2026-11-01 12:00, 2026-10-31 23:30 (October's newest), 2025-12-31 22:00 (2025's newest).
 * - Calendar facts used: 2026-11-30 is a Monday, in ISO week 2026-W49 (2026-01-01 is a Thursday,
 *   so week 1 starts Monday 2025-12-29); W48 is Nov 23–29, W47 Nov 16–22, W46 Nov 9–15.
 */
import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {instantOf} from '../source/core/archive/archive-format.js';
import {isoWeek, periodKey, planRetention, type RetentionPlan, type RetentionPolicy} from '../source/core/retention/index.js';
import {backup, days} from './retention/synthetic.js';

const EXTRAS = ['2026-11-29 21:00', '2026-11-22 18:00', '2026-11-01 12:00', '2026-10-31 23:30', '2025-12-31 22:00'];
const YEAR = [...days('2025-10-27', '2026-11-30').map(day => `${day} 03:00`), ...EXTRAS];
// Shuffled: a plan must not depend on listing order.
const LISTING = [...YEAR].sort((a, b) => (a.slice(8) < b.slice(8) ? -1 : 1)).map(at => backup({at}));

function kept(plan: RetentionPlan): Record<string, string[]> {
	return Object.fromEntries(plan.decisions.filter(decision => decision.keep).map(decision => [decision.name!, decision.reasons]));
}

function plan(policy: RetentionPolicy) {
	return planRetention(LISTING, policy);
}

describe('restic rules over a synthetic year', () => {
	test('the listing is 405 backups', () => expect(LISTING).toHaveLength(405));

	test('default policy 7 daily, 4 weekly, 12 monthly', () => {
		const result = plan({daily: 7, weekly: 4, monthly: 12});
		expect(kept(result)).toEqual({
			'2026-11-30 03:00': ['daily 2026-11-30', 'weekly 2026-W49', 'monthly 2026-11'],
			'2026-11-29 21:00': ['daily 2026-11-29', 'weekly 2026-W48'],
			'2026-11-28 03:00': ['daily 2026-11-28'],
			'2026-11-27 03:00': ['daily 2026-11-27'],
			'2026-11-26 03:00': ['daily 2026-11-26'],
			'2026-11-25 03:00': ['daily 2026-11-25'],
			'2026-11-24 03:00': ['daily 2026-11-24'],
			'2026-11-22 18:00': ['weekly 2026-W47'],
			'2026-11-15 03:00': ['weekly 2026-W46'],
			'2026-10-31 23:30': ['monthly 2026-10'],
			'2026-09-30 03:00': ['monthly 2026-09'],
			'2026-08-31 03:00': ['monthly 2026-08'],
			'2026-07-31 03:00': ['monthly 2026-07'],
			'2026-06-30 03:00': ['monthly 2026-06'],
			'2026-05-31 03:00': ['monthly 2026-05'],
			'2026-04-30 03:00': ['monthly 2026-04'],
			'2026-03-31 03:00': ['monthly 2026-03'],
			'2026-02-28 03:00': ['monthly 2026-02'],
			'2026-01-31 03:00': ['monthly 2026-01'],
			'2025-12-31 22:00': ['monthly 2025-12'],
		});
		expect(result.keep).toBe(20);
		expect(result.remove).toBe(385);
		expect(result.removalOrder).toHaveLength(385);
		// The 29th's 03:00 backup is not that day's newest: removed.
		expect(result.decisions.find(decision => decision.name === '2026-11-29 03:00')).toMatchObject({keep: false, reasons: []});
	});

	test('keep-yearly with count left keeps the oldest backup too', () => {
		// 2026 → its newest; 2025 → 2025-12-31 22:00; then the oldest (2025-10-27) is in 2025 again,
		// but the rule has 5 of 7 left there, so restic keeps it.
		expect(kept(plan({yearly: 7}))).toEqual({
			'2026-11-30 03:00': ['yearly 2026'],
			'2025-12-31 22:00': ['yearly 2025'],
			'2025-10-27 03:00': ['yearly 2025 (oldest, count left)'],
		});
		// Used up before the oldest: not kept.
		expect(kept(plan({yearly: 2}))).toEqual({'2026-11-30 03:00': ['yearly 2026'], '2025-12-31 22:00': ['yearly 2025']});
	});

	test('keep-last and keep-hourly', () => {
		expect(kept(plan({last: 3}))).toEqual({'2026-11-30 03:00': ['last 1'], '2026-11-29 21:00': ['last 2'], '2026-11-29 03:00': ['last 3']});
		expect(kept(plan({hourly: 4}))).toEqual({
			'2026-11-30 03:00': ['hourly 2026-11-30T03'],
			'2026-11-29 21:00': ['hourly 2026-11-29T21'],
			'2026-11-29 03:00': ['hourly 2026-11-29T03'],
			'2026-11-28 03:00': ['hourly 2026-11-28T03'],
		});
	});

	test('keep-within 30d counts back from the newest backup, strictly after (restic)', () => {
		// Newest 2026-11-30 03:00; 30 days before is 2026-10-31 03:00, which is NOT after itself.
		const names = Object.keys(kept(plan({within: {years: 0, months: 0, days: 30, hours: 0}})));
		const expected = [...days('2026-11-01', '2026-11-30').map(day => `${day} 03:00`), '2026-11-29 21:00', '2026-11-22 18:00', '2026-11-01 12:00', '2026-10-31 23:30'];
		expect(names.sort()).toEqual(expected.sort());
		// One month before 2026-11-30 03:00 is 2026-10-30 03:00 (calendar months, like Go's AddDate).
		expect(kept(plan({within: {years: 0, months: 1, days: 0, hours: 0}}))['2026-10-30 03:00']).toBeUndefined();
		expect(kept(plan({within: {years: 0, months: 1, days: 0, hours: 0}}))['2026-10-31 03:00']).toEqual(['within 1m']);
		expect(kept(plan({within: {years: 0, months: 1, days: 0, hours: 1}}))['2026-10-30 03:00']).toEqual(['within 1m1h']);
	});

	test('rules are ORed: every rule that keeps a backup is named', () => {
		const result = kept(plan({last: 2, daily: 2, weekly: 2, monthly: 2, yearly: 2, within: {years: 0, months: 0, days: 1, hours: 0}}));
		expect(result).toEqual({
			'2026-11-30 03:00': ['within 1d', 'last 1', 'daily 2026-11-30', 'weekly 2026-W49', 'monthly 2026-11', 'yearly 2026'],
			'2026-11-29 21:00': ['within 1d', 'last 2', 'daily 2026-11-29', 'weekly 2026-W48'],
			'2026-10-31 23:30': ['monthly 2026-10'],
			'2025-12-31 22:00': ['yearly 2025'],
		});
	});

	test('an empty policy removes nothing', () => {
		for (const policy of [{}, {last: 0, daily: 0}, {within: {years: 0, months: 0, days: 0, hours: 0}}] as RetentionPolicy[]) {
			const result = plan(policy);
			expect(result.emptyPolicy).toBe(true);
			expect(result.remove).toBe(0);
			expect(result.removalOrder).toEqual([]);
			expect(result.decisions.every(decision => decision.keep && decision.reasons[0] === 'policy is empty')).toBe(true);
		}
	});

	test('unlimited keeps the newest of every period', () => {
		// 14 months (2025-10 … 2026-11), and the oldest backup: an unlimited rule always has count left.
		const result = kept(plan({monthly: Number.POSITIVE_INFINITY}));
		expect(Object.keys(result)).toHaveLength(15);
		expect(result['2025-10-31 03:00']).toEqual(['monthly 2025-10']);
		expect(result['2025-10-27 03:00']).toEqual(['monthly 2025-10 (oldest, count left)']);
	});
});

describe('ISO weeks and UTC periods', () => {
	test('a createdAt without a zone is UTC, whatever the host\'s zone: the plan and the order do not move with TZ', () => {
		const zoneless = (at: string, id: string) => {
			const entry = backup({at: '2026-01-01 00:00', id});
			return {...entry, fileName: `${id}.zip`, summary: {...entry.summary, createdAt: at}};
		};
		// SQLite's datetime() form (a space, no zone) as well as ISO's.
		const listing = [zoneless('2026-11-30 03:00:00', 'a'), zoneless('2026-11-29T12:00:00.250', 'b'), {...zoneless('2026-11-30T05:00:00+05:00', 'c')}];
		const saved = process.env['TZ'];
		try {
			for (const zone of ['UTC', 'Asia/Tokyo', 'America/Los_Angeles']) {
				process.env['TZ'] = zone;
				const plan = planRetention(listing, {daily: 1});
				// c is 2026-11-30T00:00Z, before a (03:00Z); b is on the 29th.
				expect(plan.decisions.map(decision => [decision.fileName, decision.reasons])).toEqual([
					['a.zip', ['daily 2026-11-30']],
					['c.zip', []],
					['b.zip', []],
				]);
			}
		} finally {
			if (saved === undefined) delete process.env['TZ'];
			else process.env['TZ'] = saved;
		}
	});

	test('a zone-less createdAt names the same instant in every host zone, its daylight-saving gaps and overlaps included', () => {
		// Wall-clock times a zone skips (2026-03-08 02:30 in New York) or repeats were moved or
		// chosen by the host's zone when it read them: generated instants, every form, several zones.
		const pad = (value: number, width = 2) => String(value).padStart(width, '0');
		const forms = (at: Date): string[] => {
			const [y, mo, d, h, mi, s, ms] = [at.getUTCFullYear(), pad(at.getUTCMonth() + 1), pad(at.getUTCDate()), pad(at.getUTCHours()), pad(at.getUTCMinutes()), pad(at.getUTCSeconds()), pad(at.getUTCMilliseconds(), 3)];
			return [`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}`, `${y}-${mo}-${d} ${h}:${mi}:${s}.${ms}`, `${y}/${mo}/${d} ${h}:${mi}:${s}.${ms}`];
		};
		// Around the 2026 transitions of these zones, and anywhere in 2000-2099.
		const transitions = ['2026-03-08T02:00:00Z', '2026-11-01T01:00:00Z', '2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-04-05T02:00:00Z', '2026-10-04T02:00:00Z'].map(at => Date.parse(at));
		const instant = fc.oneof(
			fc.tuple(fc.constantFrom(...transitions), fc.integer({min: -2 * 3_600_000, max: 2 * 3_600_000})).map(([at, offset]) => at + offset),
			fc.integer({min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2099-12-31T23:59:59Z')}),
		);
		const saved = process.env['TZ'];
		try {
			for (const zone of ['UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
				process.env['TZ'] = zone;
				fc.assert(
					fc.property(instant, at => {
						for (const form of forms(new Date(at))) expect(instantOf(form), `${form} in ${zone}`).toBe(at);
					}),
					{numRuns: 300},
				);
			}
		} finally {
			if (saved === undefined) delete process.env['TZ'];
			else process.env['TZ'] = saved;
		}
	});

	test('a createdAt that names its zone is read in it under every host zone (words, offsets, RFC 2822 with a comment)', () => {
		const named: Array<[string, string]> = [
			['2026-12-01 10:00:00 EST', '2026-12-01T15:00:00.000Z'],
			['1 December 2026 10:00 PDT', '2026-12-01T17:00:00.000Z'],
			['Tue, 01 Dec 2026 10:00:00 +0100 (CET)', '2026-12-01T09:00:00.000Z'],
			['Tue, 01 Dec 2026 10:00:00 -0500 (EST)', '2026-12-01T15:00:00.000Z'],
			['2026-12-01 10:00:00 -5', '2026-12-01T15:00:00.000Z'],
			['2026-12-01 10:00:00 +0530', '2026-12-01T04:30:00.000Z'],
			['2026-12-01T10:00:00+05:30', '2026-12-01T04:30:00.000Z'],
			['2026-12-01T10:00:00.250z', '2026-12-01T10:00:00.250Z'],
			['2026-12-01 10:00:00 UT', '2026-12-01T10:00:00.000Z'],
			['Tue Dec 01 2026 10:00:00 GMT+0100 (Central European Standard Time)', '2026-12-01T09:00:00.000Z'],
			['2026-12-01 10:00 (a comment, not a zone)', '2026-12-01T10:00:00.000Z'],
			['12-01-2026', '2026-12-01T00:00:00.000Z'],
		];
		const saved = process.env['TZ'];
		try {
			for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham']) {
				process.env['TZ'] = zone;
				for (const [text, instant] of named) expect(new Date(instantOf(text)).toISOString(), `${text} in ${zone}`).toBe(instant);
			}
		} finally {
			if (saved === undefined) delete process.env['TZ'];
			else process.env['TZ'] = saved;
		}
	});

	test('week-numbering years at the turn of the year', () => {
		// Written from a calendar: 2027-01-01 is a Friday (2026 has 53 weeks: it starts on a Thursday);
		// 2024-12-30 is a Monday in 2025-W01; 2021-01-03 is a Sunday in 2020-W53.
		const week = (iso: string) => periodKey('weekly', Date.parse(iso));
		expect(week('2027-01-01T12:00:00Z')).toBe('2026-W53');
		expect(week('2027-01-04T00:00:00Z')).toBe('2027-W01');
		expect(week('2024-12-30T00:00:00Z')).toBe('2025-W01');
		expect(week('2024-12-29T23:59:59Z')).toBe('2024-W52');
		expect(week('2021-01-03T23:59:59Z')).toBe('2020-W53');
		expect(week('2026-11-30T03:00:00Z')).toBe('2026-W49');
		expect(isoWeek(Date.parse('2026-01-01T00:00:00Z'))).toEqual({year: 2026, week: 1});
	});

	test('periods are UTC, whatever the host zone: 23:30 UTC is that day', () => {
		expect(periodKey('daily', Date.parse('2026-10-31T23:30:00Z'))).toBe('2026-10-31');
		expect(periodKey('daily', Date.parse('2026-11-01T00:30:00+02:00'))).toBe('2026-10-31');
		expect(periodKey('hourly', Date.parse('2026-11-01T00:30:00+02:00'))).toBe('2026-10-31T22');
	});

	test('weekly across a new year: ISO weeks, not calendar years', () => {
		// Daily 03:00 from 2020-12-20 (Sunday) to 2021-01-10 (Sunday). 2021-W01 is Jan 4–10,
		// 2020-W53 is Dec 28–Jan 3, W52 Dec 21–27, W51 Dec 14–20.
		const listing = days('2020-12-20', '2021-01-10').map(day => backup({at: `${day} 03:00`}));
		expect(kept(planRetention(listing, {weekly: 4}))).toEqual({
			'2021-01-10 03:00': ['weekly 2021-W01'],
			'2021-01-03 03:00': ['weekly 2020-W53'],
			'2020-12-27 03:00': ['weekly 2020-W52'],
			'2020-12-20 03:00': ['weekly 2020-W51'],
		});
		expect(kept(planRetention(listing, {yearly: 2}))).toEqual({'2021-01-10 03:00': ['yearly 2021'], '2020-12-31 03:00': ['yearly 2020']});
	});
});
