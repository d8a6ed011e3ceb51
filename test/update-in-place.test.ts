import Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {codecFor, updateRow, writeRow} from '../source/core/rows/table-codec.js';
import {schemaDdl, tableSpec} from '../source/core/store/schema.js';

/**
 * restore rewrites a conflicting live row with an UPDATE only where that leaves the database as the
 * INSERT OR REPLACE it stands for would. Oracle: the same row written both ways into two copies of
 * one gateway, every table then read back (rowids aside).
 */
describe('updateRow', () => {
	const codec = codecFor(tableSpec('agents'));
	const live = codec.names.map((name, index) => (index === 0 ? 'agent_1' : index === 1 ? 'ten_a' : `live ${name}`));
	const backup = codec.names.map((name, index) => (index === 0 ? 'agent_1' : index === 1 ? 'ten_a' : `backup ${name}`));

	function gateway(extra: string): Database.Database {
		const db = new Database('');
		db.exec(schemaDdl());
		writeRow(db, codec, live);
		db.exec(extra);
		return db;
	}

	function contents(db: Database.Database): Record<string, unknown[]> {
		const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck(true).all() as string[];
		return Object.fromEntries(tables.map(table => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()]));
	}

	it.each([
		['a trigger declared on the table under another case of its name', `CREATE TABLE agent_log (id TEXT); CREATE TRIGGER agents_added AFTER INSERT ON AGENTS BEGIN INSERT INTO agent_log VALUES (new.id); END;`],
		['a live column the backup does not carry (REPLACE gives it its default)', `ALTER TABLE agents ADD COLUMN pinned TEXT DEFAULT 'no'; UPDATE agents SET pinned = 'yes';`],
		['a trigger on it', `CREATE TABLE agent_log (id TEXT); CREATE TRIGGER agents_added AFTER INSERT ON agents BEGIN INSERT INTO agent_log VALUES (new.id); END;`],
		['a row pointing at it with ON DELETE CASCADE', `CREATE TABLE pins (agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE); INSERT INTO pins VALUES ('agent_1');`],
		['a partial UNIQUE index', `CREATE UNIQUE INDEX agents_name ON agents(name) WHERE status <> '';`],
		['a generated column', `ALTER TABLE agents ADD COLUMN shown TEXT GENERATED ALWAYS AS (name || '!') VIRTUAL;`],
		['nothing but the schema', ''],
	])('leaves the gateway as INSERT OR REPLACE does: %s', (_, extra) => {
		const updated = gateway(extra);
		const replaced = gateway(extra);
		try {
			// Either the UPDATE is declined (false: the caller replaces) or it equals the REPLACE.
			if (!updateRow(updated, codec, backup)) writeRow(updated, codec, backup, {replace: true});
			writeRow(replaced, codec, backup, {replace: true});
			expect(contents(updated)).toEqual(contents(replaced));
		} finally {
			updated.close();
			replaced.close();
		}
	});

	it('finds the row by the rowid it is given only where that row still has the id; else by id', () => {
		const db = gateway(`INSERT INTO agents SELECT 'agent_2', tenant_id, created_at, updated_at, 'other', model, description, tool_allowlist, status FROM agents;`);
		try {
			const rowidOf = (id: string) => db.prepare(`SELECT _rowid_ FROM agents WHERE id = ?`).safeIntegers(true).pluck(true).get(id) as bigint;
			const before = db.prepare(`SELECT * FROM agents WHERE id = 'agent_2'`).get();
			// A stale rowid (another row's, or none at all) never writes another row.
			for (const rowid of [rowidOf('agent_2'), 999n, 0, undefined]) {
				const values = backup.map((value, index) => (codec.names[index] === 'name' ? `name via ${String(rowid)}` : value));
				expect(updateRow(db, codec, values, rowid)).toBe(true);
				expect(db.prepare(`SELECT name FROM agents WHERE id = 'agent_1'`).pluck(true).get()).toBe(`name via ${String(rowid)}`);
				expect(db.prepare(`SELECT * FROM agents WHERE id = 'agent_2'`).get()).toEqual(before);
			}
			expect(updateRow(db, codec, backup, rowidOf('agent_1'))).toBe(true);
			expect(db.prepare(`SELECT name FROM agents WHERE id = 'agent_1'`).pluck(true).get()).toBe('backup name');
			expect(db.prepare(`SELECT count(*) FROM agents`).pluck(true).get()).toBe(2);
		} finally {
			db.close();
		}
	});

	it('still rewrites the row in place on a gateway of the plain schema', () => {
		const db = gateway('');
		try {
			expect(updateRow(db, codec, backup)).toBe(true);
			expect(db.prepare(`SELECT name FROM agents WHERE id = 'agent_1'`).pluck(true).get()).toBe('backup name');
		} finally {
			db.close();
		}
	});
});
