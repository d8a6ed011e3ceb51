/**
 * The incremental figure of `npm run bench` (issue 12: for 1 % of rows and files changed, an
 * incremental is under 5 % of a full backup's size and under 20 % of its time). A copy of the
 * reference gateway gets a full zip backup, then 1 % of the rows of every table and 1 % of the
 * document files change (rows: a column rewritten; files: bytes appended), then an incremental
 * zip against it (`--incremental --since-last`), each timed as the CLI runs it.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {formatBytes} from '../core/format.js';
import {TABLES} from '../core/store/schema.js';
import {lifeboat, row, timeCommand, type Run} from './bench-tools.js';

/** Rewrites 1 % of the rows of every table (a text column that is not the id or tenant) and appends to 1 % of the document files. */
export function changeOnePercent(dataDir: string): {rows: number; files: number} {
	const db = new Database(path.join(dataDir, 'data', 'gateway.db'));
	let rows = 0;
	try {
		for (const table of TABLES) {
			const column = table.columns.find(spec => spec.type === 'TEXT' && !spec.ref && !spec.refList && !spec.secret && !['id', 'tenant_id', 'slug', 'day', 'ext'].includes(spec.name));
			if (!column) continue;
			rows += db.prepare(`UPDATE ${table.name} SET ${column.name} = ${column.name} || ' (changed)' WHERE _rowid_ % 100 = 0`).run().changes;
		}
		db.pragma('wal_checkpoint(TRUNCATE)');
	} finally {
		db.close();
	}
	const folder = path.join(dataDir, 'documents', 'files');
	const names = fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
	let files = 0;
	for (const [index, name] of names.entries()) {
		if (index % 100 !== 0) continue;
		fs.appendFileSync(path.join(folder, name), 'changed\n');
		files++;
	}
	return {rows, files};
}

export async function incrementalLines(work: string, gateway: string): Promise<{runs: Run[]; lines: string[]}> {
	const copy = path.join(work, 'incremental-gateway');
	const out = path.join(work, 'incremental-out');
	fs.rmSync(copy, {recursive: true, force: true});
	fs.rmSync(out, {recursive: true, force: true});
	fs.mkdirSync(out);
	process.stderr.write('Timing a full backup and an incremental one after 1 % changes…\n');
	fs.cpSync(gateway, copy, {recursive: true});
	try {
		const create = (label: string, name: string, extra: string[]) => {
			const [command, args] = lifeboat(['backup', 'create', '--data-dir', copy, '--dest', out, '--name', name, '--format', 'zip', ...extra]);
			return timeCommand(label, command, args, path.join(out, `${name}.zip`));
		};
		const full = await create('lifeboat zip, full (chain start)', 'chain-full', []);
		const changed = changeOnePercent(copy);
		const incremental = await create('lifeboat zip, incremental (1 %)', 'chain-incr', ['--incremental', '--since-last']);
		const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
		return {
			runs: [full, incremental],
			lines: [
				row([full.label, full.seconds.toFixed(1), '', '', formatBytes(full.outputBytes), formatBytes(full.peakRssKb * 1024)], [34, 9, 9, 10, 10, 12]),
				row([incremental.label, incremental.seconds.toFixed(1), '', '', formatBytes(incremental.outputBytes), formatBytes(incremental.peakRssKb * 1024)], [34, 9, 9, 10, 10, 12]),
				`Incremental after 1 % changes (${changed.rows.toLocaleString('en-US')} rows, ${changed.files} files): ${pct(incremental.outputBytes / full.outputBytes)} of the full's size (target < 5 %), ${pct(incremental.seconds / full.seconds)} of its time (target < 20 %)`,
			],
		};
	} finally {
		fs.rmSync(copy, {recursive: true, force: true});
		fs.rmSync(out, {recursive: true, force: true});
	}
}
