import type {RedactionNote} from '../archive/archive-format.js';
import {countOf, formatCount} from '../format.js';
import {TABLES} from '../store/schema.js';
import type {RestorePlan} from './restore-types.js';

/**
 * What the operator must do after a restore, in the order of the source documents' migration
 * pattern: re-enter the secrets the backup left out (re-authenticate connections), re-pair nodes,
 * have users re-enrol 2FA when the sealed block could not be opened, rotate API tokens. Shared by
 * `backup restore`, the console's restore summary and `lifeboat drill`'s report.
 */
export type ChecklistItem = {
	kind: 'reenter' | 're-pair' | 're-enrol-2fa' | 'rotate';
	/** One line an operator can act on ("Re-enter webhooks.secret for 9 webhooks"). */
	text: string;
	/** How many entries the step concerns (0 when not countable). */
	count: number;
	/** The redacted field it comes from (`webhooks.secret`), when it comes from one (the first, when several). */
	field?: string;
	/** Every redacted field of the step, when it groups several columns of one table (`channels.bot_token`, `channels.signing_secret`). */
	fields?: string[];
};

export type ChecklistInput = {
	/** What the restore (or its plan) left as redaction markers or without a 2FA secret: RestoreResult/RestorePlan.secretsToReenter. */
	secretsToReenter: readonly RedactionNote[];
	twoFactor: RestorePlan['twoFactor'];
};

/** `webhooks.secret` → the table's unit and whether the column is redacted whole or scrubbed. */
function columnOf(field: string): {unit: string; category: string; scrubbed: boolean} | undefined {
	const [table, column] = field.split('.');
	const spec = TABLES.find(candidate => candidate.name === table);
	const columnSpec = spec?.columns.find(candidate => candidate.name === column);
	if (!spec || !columnSpec) return undefined;
	return {unit: spec.unit, category: spec.category, scrubbed: columnSpec.secret !== 'redact'};
}

/** One line for a secret to re-enter: a column of N rows, keys of a JSON file, lines of an agent file. */
function reenterText(note: RedactionNote): string {
	const colon = note.field.indexOf(':');
	if (colon >= 0) {
		const file = note.field.slice(0, colon);
		const where = note.field.slice(colon + 1);
		if (where.startsWith('line ')) {
			const lines = where.slice('line '.length).split(',');
			return `Re-enter ${countOf(note.count, 'credential')} scrubbed from ${file} (line${lines.length > 1 ? 's' : ''} ${lines.join(', ')})`;
		}
		return `Re-enter ${countOf(note.count, 'secret setting')} in ${file}: ${where.split(',').join(', ')}`;
	}
	const column = columnOf(note.field);
	if (!column) return `Re-enter ${note.field} (${formatCount(note.count)})`;
	return `Re-enter the credentials scrubbed from ${note.field} in ${formatCount(note.count)} ${column.unit}`;
}

/**
 * The secret columns of one table redacted whole (webhooks.secret; connections.auth_token and
 * refresh_token) as one step: the rows they concern, each column with its count when they differ.
 */
function redactedColumnsItem(notes: readonly RedactionNote[]): ChecklistItem {
	const column = columnOf(notes[0]!.field)!;
	const count = Math.max(...notes.map(note => note.count));
	const rows = `${formatCount(count)} ${column.unit}`;
	const sameCount = notes.every(note => note.count === count);
	const fields = notes.map(note => (sameCount ? note.field : `${note.field} ×${formatCount(note.count)}`)).join(', ');
	const text = column.category === 'connections' ? `Re-authenticate ${rows} (${fields} not backed up)` : `Re-enter ${fields} for ${rows}`;
	return {kind: 'reenter', text, count, field: notes[0]!.field, ...(notes.length > 1 ? {fields: notes.map(note => note.field)} : {})};
}

/** Secrets to re-enter: whole-column redactions grouped by table (where the table first comes), anything else one step per note. */
function reenterItems(notes: readonly RedactionNote[]): ChecklistItem[] {
	const groups = new Map<string, RedactionNote[]>();
	const steps: Array<ChecklistItem | RedactionNote[]> = [];
	for (const note of notes) {
		const column = note.field.includes(':') ? undefined : columnOf(note.field);
		if (!column || column.scrubbed) {
			steps.push({kind: 'reenter', text: reenterText(note), count: note.count, field: note.field});
			continue;
		}
		const table = note.field.split('.')[0]!;
		let group = groups.get(table);
		if (!group) {
			group = [];
			groups.set(table, group);
			steps.push(group);
		}
		group.push(note);
	}
	return steps.map(step => (Array.isArray(step) ? redactedColumnsItem(step) : step));
}

function twoFactorText(count: number, twoFactor: RestorePlan['twoFactor']): string {
	const who = `${countOf(count, 'user')} must re-enrol 2FA`;
	if (twoFactor?.restorable) return `${who}: the 2FA block holds no secret for ${count === 1 ? 'this user' : 'them'}`;
	return `${who}: the sealed 2FA block could not be opened (the backup's passphrase, or --key-file with the old gateway's keys/backup.key, brings the secrets back)`;
}

/** The post-restore checklist of a restore (or of its plan), in the migration pattern's order. */
export function postRestoreChecklist(input: ChecklistInput): ChecklistItem[] {
	const notes = input.secretsToReenter.filter(note => note.count > 0);
	const items: ChecklistItem[] = reenterItems(notes.filter(note => note.action !== 're-enroll 2FA' && note.action !== 're-pair the node'));
	for (const note of notes) {
		if (note.action === 're-pair the node') {
			items.push({kind: 're-pair', text: `Re-pair ${countOf(note.count, 'node')}: pairing secrets (${note.field}) are never in backups`, count: note.count, field: note.field});
		}
	}
	for (const note of notes) {
		if (note.action === 're-enroll 2FA') items.push({kind: 're-enrol-2fa', text: twoFactorText(note.count, input.twoFactor), count: note.count, field: note.field});
	}
	items.push({kind: 'rotate', text: 'Rotate any API tokens users care about (the backup circulated)', count: 0});
	return items;
}

/** The checklist as numbered lines under a heading, for the CLI and reports. */
export function formatChecklist(items: readonly ChecklistItem[]): string[] {
	return ['After the restore:', ...items.map((item, index) => `  ${index + 1}. ${item.text}`)];
}
