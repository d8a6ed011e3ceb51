import {recoverInterruptedRestores} from '../core/store/staging.js';
import {LifeboatError} from '../core/errors.js';
import {showQuarantineEntry} from '../core/quarantine/quarantine.js';
import {streamEntries} from './quarantine-list.js';
import {resolveGatewayDir, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat quarantine show RESTORE_ID [ENTRY] [--data-dir DIR] [--json]

Without ENTRY: the restore's quarantined entries. With ENTRY (table:id, a bare id, or
files:PATH): the backup's version beside the live one, differing fields marked with *.
Live secrets are never shown.
`;

function printable(value: unknown): string {
	const text = typeof value === 'string' ? value : JSON.stringify(value);
	return (text ?? 'null').replace(/\s+/g, ' ').slice(0, 100);
}

export async function run(context: CommandContext): Promise<number> {
	const dataDir = resolveGatewayDir(context);
	// A restore killed after its commit is finished before its quarantine is looked at.
	recoverInterruptedRestores(dataDir);
	const [restoreId, entryId] = context.args;
	if (!restoreId) throw new LifeboatError('usage', 'Which restore? Usage: lifeboat quarantine show RESTORE_ID [ENTRY] (ids: lifeboat quarantine list)');
	if (!entryId) {
		streamEntries(context, dataDir, restoreId, entry => `${entry.entryId}  ${entry.liveExists ? `differs: ${entry.changed.join(', ') || '(now identical)'}` : 'live entry gone'}`);
		return 0;
	}
	const detail = showQuarantineEntry(dataDir, restoreId, entryId);
	if (context.flags.json) {
		writeJson(context, {ok: true, restoreId, ...detail});
		return 0;
	}
	writeLine(context, `${detail.entryId} (${detail.category}) — backup version | live version`);
	const keys = [...new Set([...Object.keys(detail.backup), ...Object.keys(detail.live)])];
	const changed = new Set(detail.changed);
	for (const key of keys) {
		const mark = changed.has(key) ? '*' : ' ';
		writeLine(context, `${mark} ${key}: ${printable(detail.backup[key])} | ${key in detail.live ? printable(detail.live[key]) : '—'}`);
	}
	if (detail.changed.length > 0 && !keys.some(key => changed.has(key))) writeLine(context, `* differs: ${detail.changed.join(', ')}`);
	return 0;
}
