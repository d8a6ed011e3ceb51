import {LifeboatError} from '../core/errors.js';
import {deleteBackup} from '../core/backup/delete-backup.js';
import {requireObject} from '../core/backup/stored-backup.js';
import {promptYes} from './passphrase.js';
import {openTarget, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup delete URL|PATH [--yes] [--force] [--json]

Deletes one backup (a local file or folder backup, or an object on an s3://, azblob:// or
sftp:// destination). Only a Lifeboat backup is deleted: anything else at that name is left
alone. A backup that incrementals at the same destination are built on is refused: they could
not be restored without it (delete them first, newest first, or pass --force). Asks on a
terminal; without one, --yes is required. Remote flags: see lifeboat backup create --help.

Exit codes: 0 deleted, 2 usage (not confirmed, or the base of an incremental without --force),
4 destination problem, 5 not a backup.
`;

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const what = context.args[0] ?? flags.in;
	if (!what) throw new LifeboatError('usage', 'Which backup? Usage: lifeboat backup delete URL|PATH [--yes]');
	const target = await openTarget(context, what, 'object');
	try {
		const object = requireObject(target);
		const where = target.destination.locate(object);
		if (!flags.yes) {
			if (!process.stdin.isTTY || !process.stderr.isTTY) throw new LifeboatError('usage', `Deleting ${where} cannot be undone: pass --yes to confirm`);
			if (!(await promptYes(`Delete ${where}? This cannot be undone. [y/N] `))) throw new LifeboatError('usage', 'Not deleted');
		}
		const deleted = await deleteBackup(target.destination, object, {signal: context.signal, breakChains: flags.force === true});
		if (flags.json) writeJson(context, {ok: true, deleted: where, size: deleted.size});
		else writeLine(context, `Deleted ${where}`);
		return 0;
	} finally {
		await target.destination.close();
	}
}
