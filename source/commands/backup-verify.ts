import {isStoredBackupEncrypted} from '../core/backup/stored-backup.js';
import {openBackupChain, type OpenedBackup} from '../core/backup/backup-chain.js';
import {verifyBackup, type VerifyResult} from '../core/backup/verify-backup.js';
import {EXIT_CODES, LifeboatError} from '../core/errors.js';
import {countOf, formatBytes, formatCount} from '../core/format.js';
import {describeAtlasExport, isAtlasCandidate} from '../core/atlas/atlas-import.js';
import {printable} from '../core/destinations/destination.js';
import {readPassphrase} from './passphrase.js';
import {clearProgress, openTarget, progressLine, warn, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup verify PATH|URL [--passphrase-file F] [--json]

Checks every file against the manifest (present, size, SHA-256), that nothing extra is in the
archive, that metadata is well-formed and of a supported schema version, and that no entry is a
link, escapes the archive or expands like a decompression bomb.

An encrypted backup needs its passphrase (--passphrase-file, env LIFEBOAT_BACKUP_PASSPHRASE, or
a prompt on a terminal); every segment is authenticated as it is read.

A local ATLAS export (atlas-backup-….json: personas and conversations) is read and checked
against the shape \`backup restore\` imports; verify says what it holds.

Exit codes: 0 verified, 2 usage (no backup at that path), 4 the backup or a link of its chain
cannot be read (a failing disk; remote: network, credentials, no such backup), 5 corrupt or unsafe
or unsupported (a link missing from the chain too), 6 wrong or missing passphrase.
`;

export async function run(context: CommandContext): Promise<number> {
	const location = context.args[0] ?? context.flags.in;
	if (!location) throw new LifeboatError('usage', 'Which backup? Usage: lifeboat backup verify PATH');
	if (isAtlasCandidate(location)) return verifyAtlas(context, location);
	const target = await openTarget(context, location, 'object');
	let result: VerifyResult;
	let chain: OpenedBackup['chain'];
	try {
		const passphrase = (await isStoredBackupEncrypted(target)) ? await readPassphrase(context, {confirm: false, why: 'the backup is encrypted'}) : undefined;
		// An incremental is verified with its whole chain: a missing or damaged link is one line, exit 5.
		const opened = await openBackupChain(target, {passphrase, signal: context.signal, onLink: link => progressLine(context, `Reading chain link ${link.link} of ${link.links}: ${link.name}`)});
		try {
			result = await verifyBackup(opened.source, {
				onProgress: progress => progressLine(context, `Verifying ${formatBytes(progress.bytesDone)} · ${progress.filesDone} files · ${progress.current}`),
			});
			chain = opened.chain;
		} finally {
			await opened.close();
		}
	} finally {
		await target.destination.close();
	}
	clearProgress(context);
	if (context.flags.json) {
		writeJson(context, {ok: result.ok, path: location, chain: chain ?? null, problems: result.problems, checkedFiles: result.checkedFiles, checkedBytes: result.checkedBytes, metadata: result.metadata});
	} else if (result.ok) {
		writeLine(context, `OK: ${location}: ${countOf(result.checkedFiles, 'file')}, ${formatBytes(result.checkedBytes)} match the manifest${chain ? ` (the chain's merged state: ${chain.map(link => link.name).join(' → ')}; every link matched its own manifest)` : ''}`);
	} else {
		// Problems quote the archive (entry paths, bytes found): never raw on the terminal.
		for (const problem of result.problems) warn(context, problem);
	}
	return result.ok ? 0 : EXIT_CODES[result.code ?? 'corrupt-archive'];
}

/** An ATLAS export: read and checked as an import would read it (a bad one throws its one line, exit 5). */
function verifyAtlas(context: CommandContext, location: string): number {
	let counts: ReturnType<typeof describeAtlasExport>;
	try {
		counts = describeAtlasExport(location, location);
	} catch (error) {
		if (!(error instanceof LifeboatError) || !context.flags.json) throw error;
		writeJson(context, {ok: false, path: location, chain: null, problems: [error.message], checkedFiles: 0, checkedBytes: 0, metadata: null});
		return error.exitCode;
	}
	if (context.flags.json) writeJson(context, {ok: true, path: location, kind: 'atlas-export', atlas: counts, problems: []});
	else writeLine(context, `OK: ${printable(location)}: an ATLAS export (${countOf(counts.personas, 'persona')}, ${countOf(counts.conversations, 'conversation')}, ${countOf(counts.messages, 'message')}), not a Lifeboat backup: import it with lifeboat backup restore --in FILE --into-tenant T --as-user U`);
	return 0;
}
