import {Box} from 'ink';
import {render} from 'ink-testing-library';
import stringWidth from 'string-width';
import {afterEach, describe, expect, test} from 'vitest';
import {listBackups} from '../../source/core/backup/list-backups.js';
import type {RestorePlan} from '../../source/core/restore/index.js';
import {CATEGORIES} from '../../source/core/store/schema.js';
import {BackupDetails} from '../../source/ui/screens/BrowseScreen.js';
import {CategoryCounts} from '../../source/ui/screens/HomeScreen.js';
import {PlanView} from '../../source/ui/screens/RestoreWizard.js';
import {initialRestoreState} from '../../source/ui/state/restore-wizard.js';
import {demoGateway, makeBackup, settled} from './harness.js';

/**
 * Counts of a million and more (up to 999,999,999: 11 columns) are shown whole on Home, in a
 * backup's details and in the restore plan at 80 columns (they were cut with "…" from 10,000,000,
 * 1,000,000 and 100,000,000 up), and no row is wider than the room it has at 50 columns.
 */
let unmount: (() => void) | undefined;

afterEach(() => {
	unmount?.();
	unmount = undefined;
});

const HUGE = 999_999_999;

async function draw(element: React.JSX.Element): Promise<string> {
	const instance = render(element);
	unmount = instance.unmount;
	await settled();
	const frame = instance.lastFrame() ?? '';
	instance.unmount();
	unmount = undefined;
	return frame;
}

function widest(frame: string): number {
	return Math.max(...frame.split('\n').map(line => stringWidth(line)));
}

describe('counts up to 999,999,999 are never cut', () => {
	test('Home: every category count beside the menu, at 80 and at 50 columns', async () => {
		const counts = CATEGORIES.slice(0, 8).map((category, index) => ({category: category.id, tables: {}, count: index === 0 ? HUGE : 1_234_567 * index}));
		for (const columns of [80, 50]) {
			const frame = await draw(<CategoryCounts summary={{status: 'done', value: {tenants: [], counts, totalBytes: 0}}} columns={columns} />);
			expect(frame, frame).not.toContain('…');
			expect(frame).toContain('999,999,999');
			expect(frame).toContain('8,641,969');
			// The counts have the columns the menu leaves (20).
			expect(widest(frame), frame).toBeLessThanOrEqual(columns - 20);
		}
	});

	test('Browse: a backup’s counts per category in its details, at 80 and at 50 columns', async () => {
		const gateway = await demoGateway(12);
		await makeBackup(gateway, {name: 'big'});
		const [listing] = await listBackups(gateway.backupDir);
		const summary = listing!.summary!;
		const counts = Object.fromEntries(summary.categories.map((id, index) => [id, index === 0 ? HUGE : 1_000_000 + index]));
		const backup = {...listing!, summary: {...summary, counts}};
		for (const columns of [80, 50]) {
			const frame = await draw(
				<Box width={columns}>
					<BackupDetails backup={backup} columns={columns} />
				</Box>,
			);
			expect(frame).toContain('999,999,999');
			expect(frame).toContain('1,000,001');
			expect(frame.split('\n').filter(line => /\d,\d{3},\d{2}…/.test(line)), frame).toEqual([]);
			expect(widest(frame), frame).toBeLessThanOrEqual(columns);
		}
		// At 80 columns no count is cut at all.
		const wide = await draw(
			<Box width={80}>
				<BackupDetails backup={backup} columns={80} />
			</Box>,
		);
		const countsShown = [...wide.matchAll(/\d{1,3}(?:,\d{3})+/g)].map(match => match[0]);
		expect(countsShown).toEqual(expect.arrayContaining(['999,999,999', ...summary.categories.slice(1).map((_, index) => (1_000_001 + index).toLocaleString('en-US'))]));
	});

	test('Restore: the dry run’s table shows New, Identical, Conflicts and To delete whole at 80 columns', async () => {
		const counts = {new: HUGE, identical: 123_456_789, conflicts: 100_000_000, toDelete: 55_555_555};
		const categories = CATEGORIES.slice(0, 3).map(category => ({category: category.id, label: category.label, ...counts, bytes: 1024, total: 0, unit: 'rows', files: 0, tables: {}, conflictIds: [], conflictIdsTruncated: 0, conflictRefs: [], fileCounts: {new: 0, identical: 0, conflicts: 0, toDelete: 0}}));
		const plan = {
			mode: 'replace',
			categories,
			totals: {new: HUGE, identical: 370_370_367, conflicts: 300_000_000, toDelete: 166_666_665, bytes: 3072},
			secretsToReenter: [],
			danglingReferences: [],
			warnings: [],
			backup: {name: 'big'},
		} as unknown as RestorePlan;
		const state = {...initialRestoreState(), mode: 'replace' as const, plan};
		const frame = await draw(
			<Box width={80}>
				<PlanView plan={plan} state={state} height={20} width={80} onExpand={() => {}} />
			</Box>,
		);
		expect(widest(frame), frame).toBeLessThanOrEqual(80);
		expect(frame, frame).not.toContain('Widen the terminal');
		const rows = frame.split('\n').filter(line => /^\s*(›\s*)?(Users|Agents|Chats|Total)\s/.test(line));
		expect(rows, frame).toHaveLength(4);
		for (const row of rows) expect(row, frame).not.toContain('…');
		expect(rows[0]).toMatch(/999,999,999\s+123,456,789\s+100,000,000\s+55,555,555\s/);
		expect(rows[3]).toMatch(/999,999,999\s+370,370,367\s+300,000,000\s+166,666,665\s/);
		// Narrower, the table is cut at its end and says so; no row is wider than the terminal.
		const narrow = await draw(
			<Box width={50}>
				<PlanView plan={plan} state={state} height={20} width={50} onExpand={() => {}} />
			</Box>,
		);
		expect(widest(narrow), narrow).toBeLessThanOrEqual(50);
		expect(narrow).toContain('Widen the terminal');
	});
});
