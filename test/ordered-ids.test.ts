import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {LifeboatError} from '../source/core/errors.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {compareBinaryText} from '../source/core/rows/binary-order.js';
import {IdsOutOfOrder, ReferenceCheck} from '../source/core/rows/reference-check.js';
import {codecFor} from '../source/core/rows/table-codec.js';
import {TABLES, tableSpec} from '../source/core/store/schema.js';
import {copyGateway, editedBackup, memoryGateway, outcome, readJsonl, writeJsonl, type Row} from './restore-support.js';

/**
 * The ids of a table nothing references (memory_entries, messages…) are not remembered while they
 * come in increasing order: they could only catch a repeat, and ids in increasing order cannot
 * repeat. A table out of order is read again with every id remembered. Whatever the order, a
 * repeat is refused exactly as before, and verify, the dry run and the restore agree.
 */
type Codec = ReturnType<typeof codecFor>;
const agents = codecFor(tableSpec('agents'));
const memory = codecFor(tableSpec('memory_entries'));

/** A row of `codec`: its id, its tenant, the given fields, NULL elsewhere. */
const row = (codec: Codec, id: string, tenant: string, fields: Record<string, string> = {}) => codec.names.map((name, index) => (index === 0 ? id : index === 1 ? tenant : (fields[name] ?? null)));

type Step = {table: 'agents' | 'memory'; id: string; tenant: string; agent?: string};

/** What a check makes of `steps`: `ok`, or the first step refused and why. */
function checkOnce(steps: readonly Step[], encoding: string, skipOrderedIds: boolean, written?: {memory: number}): string {
	const db = new Database('');
	db.pragma(`encoding = "${encoding}"`);
	try {
		const check = new ReferenceCheck(db, {live: false, restored: new Set(TABLES.map(table => table.name)), suffix: '', skipOrderedIds});
		try {
			steps.forEach((step, index) => {
				const codec = step.table === 'agents' ? agents : memory;
				if (step.table === 'memory' && index > 0 && steps[index - 1]!.table === 'agents') check.tableDone('agents');
				try {
					check.row(codec, row(codec, step.id, step.tenant, step.agent === undefined ? {} : {agent_id: step.agent}), `line ${index + 1}`);
				} catch (error) {
					if (error instanceof LifeboatError) throw new Error(`refused: ${error.message}`);
					throw error;
				}
			});
			check.finish();
			check.flush();
			if (written) written.memory = (db.prepare(`SELECT COUNT(*) AS n FROM temp.lifeboat_ref_ids WHERE tbl = 'memory_entries'`).get() as {n: number}).n;
			return 'ok';
		} catch (error) {
			if (error instanceof Error && error.message.startsWith('refused: ')) return error.message;
			throw error;
		} finally {
			check.close();
		}
	} finally {
		db.close();
	}
}

/** As verify and the dry run do: skipping first, everything again when a table is out of order. */
function checkSkippingFirst(steps: readonly Step[], encoding: string): {outcome: string; restarted: boolean} {
	try {
		return {outcome: checkOnce(steps, encoding, true), restarted: false};
	} catch (error) {
		if (!(error instanceof IdsOutOfOrder)) throw error;
		return {outcome: checkOnce(steps, encoding, false), restarted: true};
	}
}

// Ids that sort differently by UTF-16 code units and by UTF-8 bytes (a surrogate pair against U+E000
// and U+FFFF), lone surrogates, U+FFFD (a UTF-16 database stores a lone surrogate as it), and the empty id.
const idPart = fc.constantFrom('a', 'b', 'é', '\uE000', '\uFFFD', '\uFFFF', '\u{1F600}', '\uD800', '\uDC00', '');
const id = fc.array(idPart, {minLength: 1, maxLength: 3}).map(parts => parts.join(''));
const tenant = fc.constantFrom('t1', 't2');

const steps = fc
	.tuple(fc.array(fc.record({id, tenant}), {maxLength: 6}), fc.array(fc.record({id, tenant, agent: fc.option(id, {nil: undefined})}), {maxLength: 12}), fc.boolean())
	.map(([agentRows, memoryRows, sorted]): Step[] => [
		...agentRows.map(entry => ({table: 'agents' as const, ...entry})),
		...(sorted ? [...memoryRows].sort((a, b) => compareBinaryText(a.id, b.id)) : memoryRows).map(entry => ({table: 'memory' as const, ...entry})),
	]);

describe('ids of tables nothing references, skipped while in order', () => {
	for (const encoding of ['UTF-8', 'UTF-16le']) {
		it(`refuse a repeat, a cross-tenant reference or nothing, exactly as remembering every id does (${encoding} database)`, () => {
			fc.assert(
				fc.property(steps, generated => {
					expect(checkSkippingFirst(generated, encoding).outcome).toBe(checkOnce(generated, encoding, false));
				}),
				{numRuns: 3000},
			);
		});
	}

	it('write none of them in a UTF-8 database while they come in increasing order, and never read again then', () => {
		fc.assert(
			fc.property(fc.uniqueArray(id, {maxLength: 40}), ids => {
				const sorted = [...ids].sort(compareBinaryText).map(value => ({table: 'memory' as const, id: value, tenant: 't1'}));
				const written = {memory: -1};
				expect(checkOnce(sorted, 'UTF-8', true, written)).toBe('ok');
				expect(written.memory).toBe(0);
				expect(checkSkippingFirst(sorted, 'UTF-8')).toEqual({outcome: 'ok', restarted: false});
			}),
			{numRuns: 500},
		);
	});

	it('throw IdsOutOfOrder at the first id not past the one before (an equal one included)', () => {
		expect(() => checkOnce([{table: 'memory', id: 'b', tenant: 't1'}, {table: 'memory', id: 'a', tenant: 't1'}], 'UTF-8', true)).toThrow(IdsOutOfOrder);
		expect(() => checkOnce([{table: 'memory', id: 'a', tenant: 't1'}, {table: 'memory', id: 'a', tenant: 't1'}], 'UTF-8', true)).toThrow(IdsOutOfOrder);
		// In a UTF-16 database nothing is skipped (two strings in order can be one id there): a repeat is named at once.
		expect(checkOnce([{table: 'memory', id: 'a\uD800', tenant: 't1'}, {table: 'memory', id: 'a\uFFFD', tenant: 't1'}], 'UTF-16le', true)).toMatch(/appears twice in the backup/);
	});
});

/** A backup of `dataDir` whose memory/entries.jsonl rows are `reorder`ed (editedBackup reseals it: metadata's counts stay true). */
async function reorderedBackup(dataDir: string, reorder: (rows: Row[]) => Row[]) {
	return editedBackup(dataDir, {}, dir => {
		const file = path.join(dir, 'memory', 'entries.jsonl');
		writeJsonl(file, reorder(readJsonl(file)));
	});
}

describe('an archive whose memory entries are not in id order', () => {
	it('verifies, and its dry run counts what the restore then does', async () => {
		const dataDir = memoryGateway(30);
		const source = await reorderedBackup(dataDir, rows => [...rows].reverse().map((entry, index) => (index % 3 === 0 ? {...entry, content: 'changed'} : entry)));
		expect((await verifyBackup(source)).problems).toEqual([]);
		const live = copyGateway(dataDir);
		const plan = await planRestore({source, dataDir: live, mode: 'replace'});
		const memoryPlan = plan.categories.find(category => category.category === 'memory')!;
		expect({conflicts: memoryPlan.conflicts, identical: memoryPlan.identical, toDelete: memoryPlan.toDelete}).toEqual({conflicts: 10, identical: 20, toDelete: 0});
		const result = await applyRestore({source, dataDir: live, mode: 'replace'});
		expect(result.plan.categories.find(category => category.category === 'memory')!.conflicts).toBe(10);
	});

	it('with a repeated id is refused by verify and by the dry run, as one in order would be', async () => {
		const dataDir = memoryGateway(30);
		// The repeat comes after ids in order that were not remembered.
		const source = await reorderedBackup(dataDir, rows => [...rows, {...rows[4]!, content: 'second copy'}]);
		const verified = await verifyBackup(source);
		expect(verified.problems.join('\n')).toMatch(/memory\/entries\.jsonl line 31: memory_entries mem_004 appears twice in the backup/);
		expect(await outcome(() => planRestore({source, dataDir: copyGateway(dataDir)}))).toMatch(/^corrupt-archive: memory\/entries\.jsonl line 31: memory_entries mem_004 appears twice in the backup; nothing was restored$/);
		expect(await outcome(() => planRestore({source, dataDir: copyGateway(dataDir), skipVerify: true}))).toMatch(/^corrupt-archive: .*mem_004 appears twice in the backup/);
	});
});
