import type {RedactionNote} from '../archive/archive-format.js';
import type {RestorePlan} from './restore-types.js';

/**
 * What the operator must do after a restore, in the order of the source documents' migration
 * pattern: re-enter the secrets the backup left out, re-pair nodes, have users re-enrol 2FA when
 * the sealed block could not be opened, rotate API tokens. Shared by `backup restore`, the
 * console's restore summary and `lifeboat drill`'s report.
 */
export type ChecklistItem = {
	kind: 'reenter' | 're-pair' | 're-enrol-2fa' | 'rotate';
	/** One line an operator can act on ("Re-enter webhooks.secret for 9 webhooks"). */
	text: string;
	/** How many entries the step concerns (0 when not countable). */
	count: number;
	/** The redacted field it comes from (`webhooks.secret`), when it comes from one. */
	field?: string;
};

export type ChecklistInput = {
	secretsToReenter: readonly RedactionNote[];
	twoFactor: RestorePlan['twoFactor'];
};

/** The post-restore checklist of a restore (or of its plan). */
export function postRestoreChecklist(input: ChecklistInput): ChecklistItem[] {
	const items: ChecklistItem[] = [];
	for (const note of input.secretsToReenter) {
		if (note.action === 're-enroll 2FA') continue;
		const kind: ChecklistItem['kind'] = note.action === 're-pair the node' ? 're-pair' : 'reenter';
		items.push({kind, text: `${kind === 're-pair' ? 'Re-pair' : 'Re-enter'} ${note.field} (${note.count}): ${note.action}`, count: note.count, field: note.field});
	}
	const {twoFactor} = input;
	if (twoFactor && (!twoFactor.restorable || twoFactor.restored < twoFactor.users)) {
		const count = twoFactor.restorable ? twoFactor.users - twoFactor.restored : twoFactor.users;
		if (count > 0) items.push({kind: 're-enrol-2fa', text: `${count} user(s) must re-enrol 2FA (the sealed 2FA block could not be opened)`, count});
	}
	items.push({kind: 'rotate', text: 'Rotate any API tokens users care about (the backup circulated)', count: 0});
	return items;
}
