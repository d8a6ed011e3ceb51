/** The post-restore checklist (issue 11 §1): every redaction note becomes a step, in the migration pattern's order. */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import type {RedactionNote} from '../source/core/archive/archive-format.js';
import {formatChecklist, postRestoreChecklist, type ChecklistItem} from '../source/core/restore/checklist.js';
import {TABLES} from '../source/core/store/schema.js';

const ORDER: Array<ChecklistItem['kind']> = ['reenter', 're-pair', 're-enrol-2fa', 'rotate'];

const SECRET_FIELDS = TABLES.flatMap(table => table.columns.filter(column => column.secret === 'redact' || column.scrub).map(column => `${table.name}.${column.name}`));

/** Notes as backups and restores write them: table columns, JSON file keys, agent file lines, node pairings, 2FA. */
const note: fc.Arbitrary<RedactionNote> = fc.oneof(
	fc.record({category: fc.constant('x'), field: fc.constantFrom(...SECRET_FIELDS.filter(field => !field.startsWith('node_pairings.'))), count: fc.integer({min: 0, max: 500}), action: fc.constant('re-enter on restore')}),
	fc.record({category: fc.constant('config'), field: fc.constantFrom('appsettings.json:Jwt.SigningKey,Smtp.Password', 'mcp.json:mcpServers.a.env.TOKEN'), count: fc.integer({min: 1, max: 9}), action: fc.constant('re-enter on restore')}),
	fc.record({category: fc.constant('agents'), field: fc.constantFrom('agents/agt_1/SOUL.md:line 5,9', 'agents/agt_2/TOOLS.md:line 1'), count: fc.integer({min: 1, max: 9}), action: fc.constant('re-enter after restore')}),
	fc.record({category: fc.constant('nodes'), field: fc.constant('node_pairings.pairing_secret'), count: fc.integer({min: 0, max: 50}), action: fc.constant('re-pair the node')}),
	fc.record({category: fc.constant('users'), field: fc.constant('users.totp_secret'), count: fc.integer({min: 0, max: 50}), action: fc.constant('re-enroll 2FA')}),
);

describe('postRestoreChecklist', () => {
	it('every note with a count is in exactly one step, steps in the migration order, rotate last', () => {
		fc.assert(
			fc.property(fc.uniqueArray(note, {selector: item => item.field, maxLength: 12}), fc.boolean(), (notes, restorable) => {
				const items = postRestoreChecklist({secretsToReenter: notes, twoFactor: {users: 20, restorable, restored: 0}});
				expect(items.at(-1)!.kind).toBe('rotate');
				const ranks = items.map(item => ORDER.indexOf(item.kind));
				expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
				const covered = items.flatMap(item => item.fields ?? (item.field ? [item.field] : []));
				expect(covered.sort()).toEqual(notes.filter(entry => entry.count > 0).map(entry => entry.field).sort());
				for (const item of items) {
					expect(item.text).not.toMatch(/\n/);
					if (item.kind !== 'rotate') expect(item.count).toBeGreaterThan(0);
				}
			}),
			{numRuns: 300},
		);
	});

	it('reads as steps: grouped columns, file keys, agent lines, nodes, 2FA users counted', () => {
		const notes: RedactionNote[] = [
			{category: 'connections', field: 'connections.auth_token', count: 9, action: 're-enter on restore'},
			{category: 'connections', field: 'connections.refresh_token', count: 4, action: 're-enter on restore'},
			{category: 'users', field: 'users.totp_secret', count: 7, action: 're-enroll 2FA'},
			{category: 'nodes', field: 'node_pairings.pairing_secret', count: 1, action: 're-pair the node'},
			{category: 'agents', field: 'agents/agt_1/SOUL.md:line 5,9', count: 2, action: 're-enter after restore'},
			{category: 'config', field: 'appsettings.json:Jwt.SigningKey,Smtp.Password', count: 2, action: 're-enter on restore'},
			{category: 'workflows', field: 'workflows.definition', count: 3, action: 're-enter after restore'},
		];
		expect(formatChecklist(postRestoreChecklist({secretsToReenter: notes, twoFactor: {users: 7, restorable: false, restored: 0}}))).toEqual([
			'After the restore:',
			'  1. Re-authenticate 9 connections (connections.auth_token ×9, connections.refresh_token ×4 not backed up)',
			'  2. Re-enter 2 credentials scrubbed from agents/agt_1/SOUL.md (lines 5, 9)',
			'  3. Re-enter 2 secret settings in appsettings.json: Jwt.SigningKey, Smtp.Password',
			'  4. Re-enter the credentials scrubbed from workflows.definition in 3 workflows',
			'  5. Re-pair 1 node: pairing secrets (node_pairings.pairing_secret) are never in backups',
			"  6. 7 users must re-enrol 2FA: the sealed 2FA block could not be opened (the backup's passphrase, or --key-file with the old gateway's keys/backup.key, brings the secrets back)",
			'  7. Rotate any API tokens users care about (the backup circulated)',
		]);
		// The block opened but held no secret for some users: said so, not "could not be opened".
		const opened = postRestoreChecklist({secretsToReenter: [notes[2]!], twoFactor: {users: 9, restorable: true, restored: 2}});
		expect(opened[0]!.text).toBe('7 users must re-enrol 2FA: the 2FA block holds no secret for them');
		// Nothing redacted: only the rotation step.
		expect(postRestoreChecklist({secretsToReenter: [], twoFactor: null}).map(item => item.kind)).toEqual(['rotate']);
	});
});
