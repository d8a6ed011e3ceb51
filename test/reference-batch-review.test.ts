import Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {ReferenceCheck} from '../source/core/rows/reference-check.js';
import {codecFor} from '../source/core/rows/table-codec.js';
import {TABLES, tableSpec} from '../source/core/store/schema.js';

/**
 * Ids that come in increasing order wait in a batch before they reach the table of ids. In a UTF-16
 * database (a gateway may have one) SQLite stores a lone surrogate, U+FFFE and U+FFFF as U+FFFD:
 * different strings in increasing order can be one id there. A repeat is still refused at once with
 * its own message, and a reference is still found as SQLite compares it.
 */
type Codec = ReturnType<typeof codecFor>;

/** A row of `codec`: its id, its tenant, the given fields, NULL elsewhere. */
const row = (codec: Codec, id: string, tenant: string, fields: Record<string, string> = {}) => codec.names.map((name, index) => (index === 0 ? id : index === 1 ? tenant : (fields[name] ?? null)));

/** Runs `test` with a reference check of every table over an empty UTF-16 database (a gateway may have one). */
function withUtf16Check(test: (check: ReferenceCheck) => void): void {
	const db = new Database('');
	// SQLite then stores a lone surrogate, U+FFFE and U+FFFF as U+FFFD.
	db.pragma('encoding = "UTF-16le"');
	try {
		test(new ReferenceCheck(db, {live: false, restored: new Set(TABLES.map(table => table.name)), suffix: ''}));
	} finally {
		db.close();
	}
}

const agents = codecFor(tableSpec('agents'));
const memory = codecFor(tableSpec('memory_entries'));

describe('ReferenceCheck batches', () => {
	it('find a batched row that a reference with a lone surrogate names (as SQLite compares them)', () => {
		withUtf16Check(check => {
			check.row(agents, row(agents, 'agent_1', 'ten_a'), 'agents.jsonl line 1');
			check.row(agents, row(agents, 'x\uFFFD', 'ten_a'), 'agents.jsonl line 2');
			check.tableDone('agents');
			expect(() => check.row(memory, row(memory, 'mem_1', 'ten_b', {agent_id: 'x\uD800'}), 'memory/entries.jsonl line 1')).toThrow(/cross-tenant reference/);
		});
	});

	it('refuse at once, as a repeat, two ids in increasing order that a UTF-16 database holds as one', () => {
		withUtf16Check(check => {
			check.row(agents, row(agents, 'a\uFFFE', 'ten_a'), 'agents.jsonl line 1');
			expect(() => check.row(agents, row(agents, 'a\uFFFF', 'ten_a'), 'agents.jsonl line 2')).toThrow(/^agents\.jsonl line 2: agents "a\uFFFF" appears twice in the backup$/);
		});
	});
});
