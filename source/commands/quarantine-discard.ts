import {recoverInterruptedRestores} from '../core/store/staging.js';
import {LifeboatError} from '../core/errors.js';
import {discardQuarantine, listQuarantine} from '../core/quarantine/quarantine.js';
import {resolveGatewayDir, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat quarantine discard RESTORE_ID [ENTRY...] [--yes] [--data-dir DIR] [--json]

Deletes quarantined entries without applying them: every entry of the restore, or only the
given entries (table:id, a bare id, or files:PATH). The live store is not touched. Discarding
more than one entry needs --yes (as accept does): the backup's versions are gone for good.
`;

export async function run(context: CommandContext): Promise<number> {
	const dataDir = resolveGatewayDir(context);
	// A restore killed after its commit is finished before its quarantine is looked at.
	recoverInterruptedRestores(dataDir);
	const [restoreId, ...entries] = context.args;
	if (!restoreId) throw new LifeboatError('usage', 'Which restore? Usage: lifeboat quarantine discard RESTORE_ID [ENTRY...] (ids: lifeboat quarantine list)');
	// More than one entry deleted at once is confirmed, as quarantine accept is (--yes).
	const discarding = entries.length > 0 ? new Set(entries).size : (listQuarantine(dataDir).find(restore => restore.restoreId === restoreId)?.entries ?? 0);
	if (discarding > 1 && !context.flags.yes) {
		throw new LifeboatError('usage', `Discarding ${discarding} entries of restore ${restoreId} deletes the backup's versions for good: pass --yes to confirm (review: lifeboat quarantine list ${restoreId})`);
	}
	const result = discardQuarantine(dataDir, restoreId, entries.length > 0 ? entries : undefined);
	if (context.flags.json) writeJson(context, {ok: true, restoreId, ...result});
	else writeLine(context, `Discarded ${result.discarded} entr${result.discarded === 1 ? 'y' : 'ies'} of restore ${restoreId}; ${result.remaining} left in quarantine`);
	return 0;
}
