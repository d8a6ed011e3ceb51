import {PASSPHRASE_ENV} from '../core/backup/backup-source.js';
import {readPassphraseFile} from '../core/backup/passphrase-file.js';
import {describeStrength, passphraseStrength} from '../core/crypto/passphrase-strength.js';
import {LifeboatError} from '../core/errors.js';
import {warn, type CommandContext} from './command-context.js';

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

/** One key on the terminal: y (or Y) is yes, anything else no. The answer is echoed. */
export async function promptYes(question: string): Promise<boolean> {
	const stdin = process.stdin;
	process.stderr.write(question);
	stdin.setRawMode(true);
	stdin.resume();
	try {
		const char = await new Promise<string>(resolve => stdin.once('data', (data: Buffer) => resolve([...data.toString('utf8')][0] ?? '')));
		if (char === '\u0003') throw new LifeboatError('interrupted', 'Cancelled');
		process.stderr.write(char === 'y' || char === 'Y' ? 'y' : 'n');
		return char === 'y' || char === 'Y';
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
export async function readPassphrase(context: CommandContext, options: {confirm: boolean; why: string; onWeak?: (warning: string) => void}): Promise<string> {
	const file = context.flags.passphraseFile;
	let passphrase: string | undefined;
	let prompted = false;
	if (file) {
		passphrase = await readPassphraseFile(file);
	} else if (context.env[PASSPHRASE_ENV] !== undefined) {
		passphrase = context.env[PASSPHRASE_ENV];
	} else if (process.stdin.isTTY && process.stderr.isTTY) {
		passphrase = options.confirm ? await promptNewPassphrase(options.why) : await promptHidden(`Passphrase (${options.why}): `);
		if (options.confirm && (await promptHidden('Repeat passphrase: ')) !== passphrase) {
			throw new LifeboatError('usage', 'The passphrases do not match');
		}
		prompted = true;
	} else {
		throw new LifeboatError(options.confirm ? 'usage' : 'passphrase-required', `A passphrase is needed (${options.why}): pass --passphrase-file FILE or set ${PASSPHRASE_ENV}`);
	}
	if (!passphrase) throw new LifeboatError('usage', 'passphrase must not be empty');
	// Not asked for on a terminal: a weak new passphrase is warned about, not refused (scripts).
	const strength = passphraseStrength(passphrase);
	if (options.confirm && !prompted && strength.level === 'weak') {
		const warning = `warning: the passphrase is ${describeStrength(strength)}; whoever holds the backup can try to guess it`;
		if (options.onWeak) options.onWeak(warning);
		else warn(context, warning);
	}
	return passphrase;
}

/**
 * A new passphrase typed on the terminal: its strength is shown, and a weak one is used only
 * after an explicit y (n asks for another).
 */
async function promptNewPassphrase(why: string): Promise<string> {
	for (;;) {
		const passphrase = await promptHidden(`Passphrase (${why}): `);
		if (!passphrase) throw new LifeboatError('usage', 'passphrase must not be empty');
		const strength = passphraseStrength(passphrase);
		process.stderr.write(`Strength: ${describeStrength(strength)}\n`);
		if (strength.level !== 'weak') return passphrase;
		if (await promptYes('Weak passphrase — press y to use it anyway, n to change it: ')) return passphrase;
	}
}
