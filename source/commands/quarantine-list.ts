import {formatCount} from '../core/format.js';
import {listQuarantine, listQuarantineEntries} from '../core/restore/index.js';
import {resolveDataDir, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat quarantine list [RESTORE_ID] [--data-dir DIR] [--json]

Lists the restores that put conflicting entries in quarantine (quarantine/<restore-id>/ in the
data dir), or, given a restore id, its entries with the columns that differ from the live store.
`;

export async function run(context: CommandContext): Promise<number> {
	const dataDir = resolveDataDir(context);
	const restoreId = context.args[0];
	if (restoreId) {
		const entries = listQuarantineEntries(dataDir, restoreId);
		if (context.flags.json) writeJson(context, {ok: true, restoreId, entries});
		else {
			for (const entry of entries) {
				writeLine(context, `${entry.entryId}  ${entry.category}  ${entry.liveExists ? `differs: ${entry.changed.join(', ') || 'nothing (now identical)'}` : 'live entry gone'}`);
			}
			writeLine(context, `${formatCount(entries.length)} entr${entries.length === 1 ? 'y' : 'ies'} (show one: lifeboat quarantine show ${restoreId} ENTRY)`);
		}
		return 0;
	}
	const restores = listQuarantine(dataDir);
	if (context.flags.json) {
		writeJson(context, {ok: true, restores});
		return 0;
	}
	if (restores.length === 0) {
		writeLine(context, 'Quarantine is empty.');
		return 0;
	}
	for (const restore of restores) {
		const categories = Object.entries(restore.categories).map(([category, count]) => `${category} ${formatCount(count)}`).join(', ');
		writeLine(context, `${restore.restoreId}  ${restore.createdAt.slice(0, 19).replace('T', ' ')}  ${formatCount(restore.entries)} entries (${categories})  from ${restore.backup.name}${restore.intoTenant ? ` into ${restore.intoTenant}` : ''}`);
	}
	return 0;
}
