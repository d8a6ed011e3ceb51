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
describe('ReferenceCheck batches', () => {
	it('find a batched row that a reference with a lone surrogate names (as SQLite compares them)', () => {
		const db = new Database('');
		// A gateway database may be UTF-16: SQLite then stores a lone surrogate as U+FFFD.
		db.pragma('encoding = "UTF-16le"');
		try {
			const check = new ReferenceCheck(db, {live: false, restored: new Set(TABLES.map(table => table.name)), suffix: ''});
			const agents = codecFor(tableSpec('agents'));
			const memory = codecFor(tableSpec('memory_entries'));
			const row = (codec: typeof agents, id: string, tenant: string, fields: Record<string, string> = {}) => codec.names.map((name, index) => (index === 0 ? id : index === 1 ? tenant : (fields[name] ?? null)));
			check.row(agents, row(agents, 'agent_1', 'ten_a'), 'agents.jsonl line 1');
			check.row(agents, row(agents, 'x\uFFFD', 'ten_a'), 'agents.jsonl line 2');
			check.tableDone('agents');
			expect(() => check.row(memory, row(memory, 'mem_1', 'ten_b', {agent_id: 'x\uD800'}), 'memory/entries.jsonl line 1')).toThrow(/cross-tenant reference/);
		} finally {
			db.close();
		}
	});

	it('refuse at once, as a repeat, two ids in increasing order that a UTF-16 database holds as one', () => {
		const db = new Database('');
		db.pragma('encoding = "UTF-16le"');
		try {
			const check = new ReferenceCheck(db, {live: false, restored: new Set(TABLES.map(table => table.name)), suffix: ''});
			const agents = codecFor(tableSpec('agents'));
			const row = (id: string) => agents.names.map((_, index) => (index === 0 ? id : index === 1 ? 'ten_a' : null));
			check.row(agents, row('a\uFFFE'), 'agents.jsonl line 1');
			expect(() => check.row(agents, row('a\uFFFF'), 'agents.jsonl line 2')).toThrow(/^agents\.jsonl line 2: agents "a\uFFFF" appears twice in the backup$/);
		} finally {
			db.close();
		}
	});
});
