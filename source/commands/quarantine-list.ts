import {recoverInterruptedRestores} from '../core/store/staging.js';
import {formatCount} from '../core/format.js';
import {listQuarantine, quarantineEntries, type QuarantineEntry} from '../core/quarantine/quarantine.js';
import {resolveGatewayDir, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat quarantine list [RESTORE_ID] [--data-dir DIR] [--json]

Lists the restores that put conflicting entries in quarantine (quarantine/<restore-id>/ in the
data dir), or, given a restore id, its entries with the columns that differ from the live store.
`;

/**
 * Writes a restore's quarantine entries as they are read, never all in memory: as JSON, the same
 * text as writeJson({ok, restoreId, entries}), else one line per entry. Returns how many.
 */
export function streamEntries(context: CommandContext, dataDir: string, restoreId: string, line: (entry: QuarantineEntry) => string): number {
	let count = 0;
	const entries = quarantineEntries(dataDir, restoreId);
	if (!context.flags.json) {
		for (const entry of entries) {
			writeLine(context, line(entry));
			count++;
		}
		return count;
	}
	const head = JSON.stringify({ok: true, restoreId}, null, 2).slice(0, -2);
	for (const entry of entries) {
		const text = JSON.stringify(entry, null, 2).replaceAll('\n', '\n    ');
		context.stdout.write(count === 0 ? `${head},\n  "entries": [\n    ${text}` : `,\n    ${text}`);
		count++;
	}
	context.stdout.write(count === 0 ? `${head},\n  "entries": []\n}\n` : '\n  ]\n}\n');
	return count;
}

export async function run(context: CommandContext): Promise<number> {
	const dataDir = resolveGatewayDir(context);
	// A restore killed after its commit is finished before its quarantine is looked at.
	recoverInterruptedRestores(dataDir);
	const restoreId = context.args[0];
	if (restoreId) {
		const count = streamEntries(context, dataDir, restoreId, entry => `${entry.entryId}  ${entry.category}  ${entry.liveExists ? `differs: ${entry.changed.join(', ') || 'nothing (now identical)'}` : 'live entry gone'}`);
		if (!context.flags.json) writeLine(context, `${formatCount(count)} entr${count === 1 ? 'y' : 'ies'} (show one: lifeboat quarantine show ${restoreId} ENTRY)`);
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
