import {PASSPHRASE_ENV} from '../core/backup/backup-source.js';
import {readPassphraseFile} from '../core/backup/passphrase-file.js';
import {LifeboatError} from '../core/errors.js';
import type {CommandContext} from './command-context.js';

/** Reads a line from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
	const stdin = process.stdin;
	process.stderr.write(question);
	stdin.setRawMode(true);
	stdin.resume();
	let value = '';
	try {
		return await new Promise<string>((resolve, reject) => {
			const onData = (data: Buffer) => {
				for (const char of data.toString('utf8')) {
					if (char === '\r' || char === '\n') {
						stdin.off('data', onData);
						resolve(value);
						return;
					}
					if (char === '\u0003') {
						stdin.off('data', onData);
						reject(new LifeboatError('interrupted', 'Cancelled'));
						return;
					}
					if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
					else value += char;
				}
			};
			stdin.on('data', onData);
		});
	} finally {
		stdin.setRawMode(false);
		stdin.pause();
		process.stderr.write('\n');
	}
}

/**
 * The backup passphrase, from --passphrase-file, then LIFEBOAT_BACKUP_PASSPHRASE, then (only on a
 * terminal) a prompt without echo. It is never logged, stored or written into a backup.
 */
export async function readPassphrase(context: CommandContext, options: {confirm: boolean; why: string}): Promise<string> {
	const file = context.flags.passphraseFile;
	let passphrase: string | undefined;
	if (file) {
		passphrase = await readPassphraseFile(file);
	} else if (context.env[PASSPHRASE_ENV] !== undefined) {
		passphrase = context.env[PASSPHRASE_ENV];
	} else if (process.stdin.isTTY && process.stderr.isTTY) {
		passphrase = await promptHidden(`Passphrase (${options.why}): `);
		if (options.confirm && (await promptHidden('Repeat passphrase: ')) !== passphrase) {
			throw new LifeboatError('usage', 'The passphrases do not match');
		}
	} else {
		throw new LifeboatError(options.confirm ? 'usage' : 'passphrase-required', `A passphrase is needed (${options.why}): pass --passphrase-file FILE or set ${PASSPHRASE_ENV}`);
	}
	if (!passphrase) throw new LifeboatError('usage', 'passphrase must not be empty');
	return passphrase;
}
