import fs from 'node:fs/promises';
import {LifeboatError} from '../errors.js';

/**
 * Reads a passphrase file the way the CLI's --passphrase-file does: only the one trailing newline
 * an editor adds is dropped, any other whitespace is part of the passphrase.
 */
export async function readPassphraseFile(file: string): Promise<string> {
	let text: string;
	try {
		text = await fs.readFile(file, 'utf8');
	} catch (error) {
		throw new LifeboatError('usage', `Cannot read passphrase file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
	}
	const passphrase = text.replace(/\r?\n$/, '');
	if (passphrase.length === 0) throw new LifeboatError('usage', `Passphrase file ${file} is empty`);
	return passphrase;
}
