import {recoverInterruptedRestores} from '../core/store/staging.js';
import {LifeboatError} from '../core/errors.js';
import {acceptQuarantine, listQuarantine} from '../core/quarantine/quarantine.js';
import {resolveGatewayDir, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat quarantine accept RESTORE_ID [ENTRY...] [--yes] [--data-dir DIR] [--json]

Applies the quarantined (backup) version over the live one: every entry of the restore, or
only the given entries (table:id, a bare id, or files:PATH). Live secret columns are kept. The
accepted entries leave the quarantine; an audit entry is written. Applying more than one entry
needs --yes (like a replace restore): review first with lifeboat quarantine list RESTORE_ID.
`;

export async function run(context: CommandContext): Promise<number> {
	const dataDir = resolveGatewayDir(context);
	// A restore killed after its commit is finished before its quarantine is looked at.
	recoverInterruptedRestores(dataDir);
	const [restoreId, ...entries] = context.args;
	if (!restoreId) throw new LifeboatError('usage', 'Which restore? Usage: lifeboat quarantine accept RESTORE_ID [ENTRY...] (ids: lifeboat quarantine list)');
	// More than one live entry overwritten at once is confirmed, as a replace restore is (--yes).
	const applying = entries.length > 0 ? new Set(entries).size : (listQuarantine(dataDir).find(restore => restore.restoreId === restoreId)?.entries ?? 0);
	if (applying > 1 && !context.flags.yes) {
		throw new LifeboatError('usage', `Accepting ${applying} entries of restore ${restoreId} writes the backup's versions over the live ones: pass --yes to confirm (review: lifeboat quarantine list ${restoreId})`);
	}
	const result = acceptQuarantine(dataDir, restoreId, entries.length > 0 ? entries : undefined);
	if (context.flags.json) writeJson(context, {ok: true, restoreId, ...result});
	else writeLine(context, `Accepted ${result.accepted} entr${result.accepted === 1 ? 'y' : 'ies'} of restore ${restoreId}; ${result.remaining} left in quarantine`);
	return 0;
}
