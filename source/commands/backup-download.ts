import {LifeboatError} from '../core/errors.js';
import {countOf, formatBytes, formatRetry} from '../core/format.js';
import {downloadBackup} from '../core/backup/download-backup.js';
import {claimStdoutForArchive, clearProgress, openTarget, progressLine, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup download URL|PATH --out FILE|DIR/|- [--force] [--json]

Copies one backup from a destination (s3://, azblob://, sftp:// URL, or a local path) to a
local file, into a folder (a trailing slash or an existing folder keeps the backup's name), or
to stdout (--out -). The copy is written under a scratch name, checked (size and SHA-256 as
read) and then put in place, owner-only (0600); an existing file is never replaced unless
--force is given and it is a Lifeboat backup. Remote flags: see lifeboat backup create --help.

Exit codes: 0 copied, 2 usage, 4 destination problem (missing backup, credentials, network).
`;

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const from = context.args[0] ?? flags.in;
	if (!from) throw new LifeboatError('usage', 'Which backup? Usage: lifeboat backup download URL --out FILE|DIR/|-');
	if (!flags.out) throw new LifeboatError('usage', 'Where to? Pass --out FILE, --out DIR/ or --out - (stdout)');
	const source = await openTarget(context, from, 'object');
	try {
		if (!source.object) throw new LifeboatError('usage', `${source.destination.label} is a folder or prefix: name one backup (…/NAME.zip); lifeboat backup list --dest ${from} shows them`);
		const stream = flags.out === '-' ? claimStdoutForArchive(context, '--out - writes the backup to stdout, which is a terminal here: pipe it or give a file') : undefined;
		const result = await downloadBackup(source.destination, source.object, stream ? {stream} : {target: flags.out}, {
			force: flags.force,
			signal: context.signal,
			onProgress: (done, total) => progressLine(context, `Downloading ${formatBytes(done)}/${formatBytes(total)}`),
			onRetry: note => progressLine(context, formatRetry(note)),
		});
		clearProgress(context);
		const report = flags.out === '-' ? {...context, stdout: context.stderr} : context;
		if (flags.json) writeJson(report, {ok: true, from: source.destination.locate(source.object), path: result.path, size: result.size, sha256: result.sha256});
		else writeLine(report, `Downloaded ${source.destination.locate(source.object)} → ${result.path} (${formatBytes(result.size)}${result.files ? `, ${countOf(result.files, 'file')}` : ''}; sha256 ${result.sha256})`);
		return 0;
	} finally {
		await source.destination.close();
	}
}

