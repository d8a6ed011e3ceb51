import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {DRILL_CHECKS, type DrillCheck, type DrillReport} from '../../source/core/drill/drill-types.js';
import {
	CANCELLED_NOTICE,
	checkRowText,
	drillReducer,
	initialDrillState,
	pathLines,
	resultLines,
	scrollTo,
	verdictLine,
	type DrillAction,
	type DrillScreenState,
} from '../../source/ui/state/drill.js';

const run = (state: DrillScreenState, ...actions: DrillAction[]) => actions.reduce(drillReducer, state);
const plain = {path: '/b/nightly.zip', fileName: 'nightly.zip', encrypted: false};
const sealed = {path: '/b/sealed.zip.enc', fileName: 'sealed.zip.enc', encrypted: true};

function report(over: Partial<DrillReport> = {}): DrillReport {
	return {
		ok: true,
		startedAt: '2026-01-05T09:00:00.000Z',
		finishedAt: '2026-01-05T09:00:02.000Z',
		backup: {id: 'id', name: 'nightly', createdAt: '2026-01-05T06:00:00.000Z', location: '/b/nightly.zip', format: 'zip', encrypted: false, bytes: 2_000_000},
		checks: DRILL_CHECKS.map(check => ({id: check.id, label: check.label, status: 'pass', detail: `${check.id} ok`})),
		rpo: {backupAgeMs: 3 * 3600_000, live: null},
		rto: {restoreMs: 1500, bytes: 2_000_000, bytesPerSecond: 1_333_333},
		checklist: [{kind: 'rotate', text: 'Rotate any API tokens users care about (the backup circulated)', count: 0}],
		...over,
	};
}

describe('drill screen reducer', () => {
	test('destination → pick → a plain backup runs at once; an encrypted one asks for its passphrase first', () => {
		let state = run(initialDrillState('/b'), {type: 'destination', where: '/b'}, {type: 'pick', backup: plain});
		expect(state).toMatchObject({step: 'running', run: 1, backup: plain});
		expect(state.checks.map(check => check.status)).toEqual(DRILL_CHECKS.map(() => 'pending'));
		state = run(initialDrillState('/b'), {type: 'destination', where: '/b'}, {type: 'pick', backup: sealed});
		expect(state.step).toBe('passphrase');
		state = run(state, {type: 'passphrase', passphrase: ''});
		expect(state).toMatchObject({step: 'passphrase', error: expect.stringMatching(/Type the passphrase/)});
		state = run(state, {type: 'passphrase', passphrase: 'secret'});
		expect(state).toMatchObject({step: 'running', passphrase: 'secret', error: undefined});
		// A wrong passphrase is asked again; an unreadable plain backup goes back to the list.
		expect(run(state, {type: 'open-failed', error: 'wrong passphrase'})).toMatchObject({step: 'passphrase', passphrase: undefined, error: 'wrong passphrase'});
		const plainRun = run(initialDrillState('/b'), {type: 'destination', where: '/b'}, {type: 'pick', backup: plain}, {type: 'open-failed', error: 'unreadable'});
		expect(plainRun).toMatchObject({step: 'pick', error: 'unreadable'});
	});

	test('checks change in place as reported; a late check from a run that ended changes nothing', () => {
		let state = run(initialDrillState('/b'), {type: 'destination', where: '/b'}, {type: 'pick', backup: plain});
		state = run(state, {type: 'check', check: {id: 'verify', label: 'x', status: 'running'}}, {type: 'check', check: {id: 'verify', label: 'x', status: 'pass', detail: '12 files'}});
		expect(state.checks[0]).toMatchObject({id: 'verify', status: 'pass', detail: '12 files'});
		expect(state.checks.slice(1).every(check => check.status === 'pending')).toBe(true);
		const done = run(state, {type: 'finished', report: report()});
		expect(done.step).toBe('done');
		expect(run(done, {type: 'check', check: {id: 'files', label: 'x', status: 'fail'}})).toBe(done);
	});

	test('cancelled: back to the list with the notice; Esc from the result starts the next drill afresh', () => {
		const running = run(initialDrillState('/b'), {type: 'destination', where: '/b'}, {type: 'pick', backup: plain}, {type: 'check', check: {id: 'verify', label: 'x', status: 'running'}});
		const cancelled = run(running, {type: 'failed', error: 'Cancelled', cancelled: true});
		expect(cancelled).toMatchObject({step: 'pick', notice: CANCELLED_NOTICE});
		expect(cancelled.checks.every(check => check.status === 'pending')).toBe(true);
		const again = run(running, {type: 'finished', report: report()}, {type: 'back'}, {type: 'pick', backup: plain});
		expect(again).toMatchObject({step: 'running', run: 2, report: undefined});
		expect(run(running, {type: 'back'})).toBe(running);
		expect(run(cancelled, {type: 'back'}).step).toBe('destination');
	});
});

describe('drill result lines', () => {
	const arbitraryCheck = fc.record({
		id: fc.constantFrom(...DRILL_CHECKS.map(check => check.id)),
		label: fc.string(),
		status: fc.constantFrom('pending', 'running', 'pass', 'fail', 'skip' as const),
		detail: fc.option(fc.string({unit: fc.constantFrom('a', ' ', 'é', '/', '·', 'x')}), {nil: undefined}),
	}) as fc.Arbitrary<DrillCheck>;

	test('a check row never takes more than its width (the mark and a space take 2)', () => {
		fc.assert(
			fc.property(arbitraryCheck, fc.integer({min: 10, max: 200}), (check, width) => {
				const text = checkRowText(check, width);
				expect([...text].length).toBeLessThanOrEqual(width - 2);
				expect(text).not.toContain('\n');
			}),
		);
	});

	test('a path is shown whole, in rows of the width, whatever its length', () => {
		fc.assert(
			fc.property(fc.array(fc.stringMatching(/^[a-z0-9._-]{1,30}$/), {minLength: 1, maxLength: 12}), fc.integer({min: 20, max: 160}), (segments, width) => {
				const file = `/${segments.join('/')}.md`;
				const rows = pathLines('report', 'Report', file, width);
				for (const row of rows) expect([...row.text].length).toBeLessThanOrEqual(width);
				expect(rows[0]!.text.startsWith('Report  ')).toBe(true);
				expect(rows.map(row => row.text.slice(8)).join('')).toBe(file);
			}),
		);
	});

	test('verdict, RPO, RTO, the live table (differing categories only) and the checklist', () => {
		const live = [
			{category: 'tools' as const, liveOnly: 2, changed: 1, backupOnly: 0},
			{category: 'users' as const, liveOnly: 0, changed: 0, backupOnly: 0},
		];
		const lines = resultLines(report({rpo: {backupAgeMs: 3 * 3600_000 + 5 * 60_000, live}}), {json: '/c/drill-reports/d.json', markdown: '/c/drill-reports/d.md'}, undefined, 80).map(line => line.text);
		expect(lines).toContain('RPO     backup age 3 h 5 min · live differs: 2 new, 1 changed (table below)');
		expect(lines).toContain('RTO     restore 1.5 s · 1.9 MB at 1.3 MB/s');
		expect(lines).toContain('Report  /c/drill-reports/d.md');
		expect(lines).toContain('JSON    d.json');
		expect(lines.some(line => /^Tools +2 +1 +0$/.test(line))).toBe(true);
		expect(lines).toContain('= 1 other category: the same entries in both');
		expect(lines).toContain('  • Rotate any API tokens users care about (the backup circulated)');
		expect(verdictLine(report()).text).toBe('✓ Drill passed: nightly restores');
		const failed = report({ok: false, failed: 'files', checks: [{id: 'files', label: 'x', status: 'fail', detail: 'agents/a1/SOUL.md: SHA-256 differs'}]});
		expect(verdictLine(failed)).toEqual({key: 'verdict', text: '✗ Drill failed at File SHA-256s match: agents/a1/SOUL.md: SHA-256 differs', tone: 'error'});
		const unwritten = resultLines(report(), undefined, 'Drill report /x.json: permission denied', 80).map(line => line.text);
		expect(unwritten).toContain('Report  not written: Drill report /x.json: permission denied');
		expect(unwritten).toContain('RPO     backup age 3 h 0 min · no live data dir to compare with');
	});

	test('scrolling stays within the rows', () => {
		fc.assert(
			fc.property(fc.integer({min: 0, max: 100}), fc.integer({min: -200, max: 200}), fc.integer({min: 0, max: 100}), fc.integer({min: 1, max: 50}), (offset, delta, count, height) => {
				const top = scrollTo(offset, delta, count, height);
				expect(top).toBeGreaterThanOrEqual(0);
				expect(top).toBeLessThanOrEqual(Math.max(0, count - height));
			}),
		);
	});
});
