import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup, type BackupProgress} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {formatTableProgress} from '../source/core/format.js';
import {listTenants, openGateway} from '../source/core/store/gateway-store.js';
import {CATEGORIES} from '../source/core/store/schema.js';
import {tempDir} from './helpers/temp-dir.js';

type Snapshot = Extract<BackupProgress, {phase: 'snapshot'}>;

/** The snapshot events of one backup, and its result. */
async function snapshotEvents(dataDir: string, options: {tenant?: string; categories?: string[]} = {}) {
	const events: Snapshot[] = [];
	const result = await createBackup({dataDir, destDir: tempDir(), format: 'dir', ...options, onProgress: progress => progress.phase === 'snapshot' && events.push(progress)});
	return {events, result};
}

/** Every table's events: from 0 up to its own total, in order, table i of n, never summed across tables. */
function expectPerTableProgress(events: Snapshot[], tablesInOrder: string[], rowCounts: Record<string, number>) {
	const tableCount = tablesInOrder.length;
	expect(events.every(event => event.tableCount === tableCount)).toBe(true);
	expect([...new Set(events.map(event => event.table))]).toEqual(tablesInOrder);
	tablesInOrder.forEach((table, index) => {
		const own = events.filter(event => event.table === table);
		expect(own.every(event => event.tableIndex === index + 1)).toBe(true);
		expect(own[0]!.rows).toBe(0);
		expect(own.at(-1)!.rows).toBe(rowCounts[table]);
		expect(own.every(event => event.rowsTotal === rowCounts[table] && event.rows <= event.rowsTotal)).toBe(true);
		expect(own.map(event => event.rows)).toEqual([...own.map(event => event.rows)].sort((a, b) => a - b));
	});
	// Table indexes only go up: the operator sees "table 3 of 9" move forward.
	const indexes = events.map(event => event.tableIndex);
	expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
}

describe('backup progress: the snapshot reports each table on its own', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		// 9 tenants × 600 memory entries: one table passes the 5,000-row reporting step.
		await generateDemo({dir: dataDir, tenants: 9, scale: 'small', seed: 5});
	}, 120_000);

	it('whole gateway: table i of n, rows of that table out of its total', async () => {
		const {events, result} = await snapshotEvents(dataDir);
		const tables = CATEGORIES.flatMap(category => category.tables);
		const rowCounts = Object.fromEntries(Object.values(result.metadata.counts).flatMap(count => Object.entries(count.tables)));
		expectPerTableProgress(events, tables, rowCounts);
		const memory = events.filter(event => event.table === 'memory_entries');
		expect(memory.at(-1)!.rowsTotal).toBeGreaterThan(5000);
		// A step in the middle of the table, not only its start and end.
		expect(memory.some(event => event.rows > 0 && event.rows < event.rowsTotal)).toBe(true);
	});

	it('one tenant, picked categories: totals are that tenant\'s rows, n is the picked tables', async () => {
		const {events, result} = await snapshotEvents(dataDir, {tenant: result0Tenant(dataDir), categories: ['memory', 'chats']});
		const tables = CATEGORIES.filter(category => ['memory', 'chats'].includes(category.id)).flatMap(category => category.tables);
		const rowCounts = Object.fromEntries(Object.values(result.metadata.counts).flatMap(count => Object.entries(count.tables)));
		expectPerTableProgress(events, tables, rowCounts);
		expect(events.find(event => event.table === 'memory_entries')!.rowsTotal).toBe(600);
	});

	it('formats as "table rows/total rows (table i of n)"', () => {
		expect(formatTableProgress({table: 'memory_entries', rows: 1200, rowsTotal: 5000, tableIndex: 3, tableCount: 9})).toBe('memory_entries 1,200/5,000 rows (table 3 of 9)');
	});
});

/** A real tenant of the gateway (its slug). */
function result0Tenant(dataDir: string): string {
	const store = openGateway(dataDir);
	try {
		return listTenants(store)[0]!.slug;
	} finally {
		store.close();
	}
}
