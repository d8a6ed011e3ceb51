import {recoverInterruptedRestores} from '../core/store/staging.js';
import {LifeboatError} from '../core/errors.js';
import {acceptQuarantine} from '../core/restore/index.js';
import {resolveGatewayDir, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat quarantine accept RESTORE_ID [ENTRY...] [--data-dir DIR] [--json]

Applies the quarantined (backup) version over the live one: every entry of the restore, or
only the given entries (table:id, a bare id, or files:PATH). Live secret columns are kept. The
accepted entries leave the quarantine; an audit entry is written.
`;

export async function run(context: CommandContext): Promise<number> {
	const dataDir = resolveGatewayDir(context);
	// A restore killed after its commit is finished before its quarantine is looked at.
	recoverInterruptedRestores(dataDir);
	const [restoreId, ...entries] = context.args;
	if (!restoreId) throw new LifeboatError('usage', 'Which restore? Usage: lifeboat quarantine accept RESTORE_ID [ENTRY...] (ids: lifeboat quarantine list)');
	const result = acceptQuarantine(dataDir, restoreId, entries.length > 0 ? entries : undefined);
	if (context.flags.json) writeJson(context, {ok: true, restoreId, ...result});
	else writeLine(context, `Accepted ${result.accepted} entr${result.accepted === 1 ? 'y' : 'ies'} of restore ${restoreId}; ${result.remaining} left in quarantine`);
	return 0;
}
