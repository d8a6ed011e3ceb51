import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {applyRestore} from '../source/core/restore/index.js';
import {runCli} from './helpers/run-cli.js';
import {backupOf, copyGateway, demoGateway, exec, query, tableRows} from './restore-support.js';

/** Rows appended to the quarantine: ~120 MB of JSONL, about twice the heap the CLI is given. */
const BULK = 30_000;
/** V8 heap limit for the CLI runs (MB): enough for Lifeboat, not for a whole quarantine file. */
const HEAP_MB = 64;

describe('quarantine commands stream large quarantines', () => {
	let dataDir: string;
	let restoreId: string;
	let conflicts: string[];
	let file: string;
	beforeAll(async () => {
		const original = await demoGateway({tenants: 1, seed: 101});
		const backup = await backupOf(original, {format: 'zip', categories: ['users', 'agents', 'memory']});
		dataDir = copyGateway(original);
		conflicts = query<{id: string}>(dataDir, 'SELECT id FROM memory_entries ORDER BY id LIMIT 3').map(row => row.id);
		exec(dataDir, `UPDATE memory_entries SET content = 'edited after the backup' WHERE id IN (?, ?, ?)`, ...conflicts);
		const result = await applyRestore({source: backup.source, dataDir});
		restoreId = result.restoreId;
		expect(result.applied.quarantined).toBe(3);
		// Grow the quarantine as a restore with many conflicts would: one row per line, then the summary.
		file = path.join(dataDir, 'quarantine', restoreId, 'memory', 'memory_entries.jsonl');
		const template = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, unknown>;
		const fd = fs.openSync(file, 'a');
		const content = 'x'.repeat(4000);
		for (let start = 0; start < BULK; start += 1000) {
			const lines: string[] = [];
			for (let index = start; index < start + 1000; index++) lines.push(JSON.stringify({...template, id: `mem_bulk${index}`, content: `${content}${index}`}));
			fs.writeSync(fd, lines.join('\n') + '\n');
		}
		fs.closeSync(fd);
		expect(fs.statSync(file).size).toBeGreaterThan(100 * 1024 * 1024);
		const summaryFile = path.join(dataDir, 'quarantine', restoreId, 'summary.json');
		const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as {tables: Record<string, number>};
		summary.tables['memory/memory_entries'] = BULK + 3;
		fs.writeFileSync(summaryFile, JSON.stringify(summary, null, 2) + '\n');
	});

	const cli = (...args: string[]) => {
		const result = runCli(['quarantine', ...args, '--data-dir', dataDir], {env: {NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`}});
		expect(result.stderr, args.join(' ')).toBe('');
		expect(result.code, args.join(' ')).toBe(0);
		return result.stdout;
	};

	it(`list, show, accept and discard work on a ${BULK}-row quarantine with a ${HEAP_MB} MB heap`, () => {
		expect(JSON.parse(cli('list', '--json'))).toMatchObject({restores: [{restoreId, entries: BULK + 3, categories: {memory: BULK + 3}}]});
		const listed = JSON.parse(cli('list', restoreId, '--json')) as {entries: Array<{entryId: string; liveExists: boolean; changed: string[]}>};
		expect(listed.entries).toHaveLength(BULK + 3);
		expect(listed.entries.filter(entry => entry.liveExists).map(entry => entry.entryId).sort()).toEqual(conflicts.map(id => `memory_entries:${id}`).sort());
		expect(cli('list', restoreId)).toContain(`${(BULK + 3).toLocaleString('en-US')} entries`);

		const last = JSON.parse(cli('show', restoreId, `mem_bulk${BULK - 1}`, '--json')) as {backup: {content: string}; liveExists: boolean};
		expect(last.backup.content.endsWith(String(BULK - 1))).toBe(true);
		expect(last.liveExists).toBe(false);
		expect(JSON.parse(cli('show', restoreId, `memory_entries:${conflicts[0]}`, '--json'))).toMatchObject({liveExists: true, changed: ['content']});

		expect(JSON.parse(cli('discard', restoreId, 'mem_bulk5', '--json'))).toMatchObject({discarded: 1, remaining: BULK + 2});
		expect(JSON.parse(cli('accept', restoreId, `memory_entries:${conflicts[0]}`, '--json'))).toMatchObject({accepted: 1, remaining: BULK + 1});
		expect(tableRows(dataDir, 'memory_entries', {where: 'id = ?', params: [conflicts[0]]})[0]!['content']).not.toBe('edited after the backup');
		const ids = fs
			.readFileSync(file, 'utf8')
			.trim()
			.split('\n')
			.map(line => (JSON.parse(line) as {id: string}).id);
		expect(ids).toHaveLength(BULK + 1);
		expect(ids).not.toContain('mem_bulk5');
		expect(ids).not.toContain(conflicts[0]);
		expect(ids.at(-1)).toBe(`mem_bulk${BULK - 1}`);

		expect(JSON.parse(cli('discard', restoreId, '--yes', '--json'))).toMatchObject({discarded: BULK + 1, remaining: 0});
		expect(fs.existsSync(path.join(dataDir, 'quarantine'))).toBe(false);
	});
});
