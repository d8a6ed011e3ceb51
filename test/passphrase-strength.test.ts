import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {beforeAll, describe, expect, test} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {describeStrength, MIN_LENGTH, passphraseStrength} from '../source/core/crypto/passphrase-strength.js';

describe('passphrase strength', () => {
	test.each([
		['abc', 'weak', 'only 3 characters; use 12 or more'],
		['', 'weak', 'only 0 characters; use 12 or more'],
		['x', 'weak', 'only 1 character; use 12 or more'],
		['Tr0ub4dor&3', 'weak', 'only 11 characters; use 12 or more'],
		['aaaaaaaaaaaaaaaaaaaaaaaa', 'weak', 'only 1 different character'],
		['abababababababababab1212', 'weak', 'only 4 different characters'],
		['correcthorse', 'weak', 'one kind of character; mix in capitals, digits or symbols, or use 16+ characters'],
		['123456789012345', 'weak', 'one kind of character; mix in capitals, digits or symbols, or use 16+ characters'],
	])('%j is weak', (passphrase, level, reason) => {
		const strength = passphraseStrength(passphrase);
		expect(strength.level).toBe(level);
		expect(strength.reason).toBe(reason);
		expect(describeStrength(strength)).toBe(`weak (${reason})`);
	});

	test.each([
		['correct horse', 'fair'],
		['correcthorsebattery', 'fair'],
		['Correct-Horse1', 'strong'],
		['correct horse battery', 'strong'],
		['tmux prompt passphrase', 'strong'],
		['pässwörter-straße-éé', 'strong'],
		['密码密码密码密码密码密码密码密码', 'weak'],
	])('%j is %s', (passphrase, level) => {
		expect(passphraseStrength(passphrase).level).toBe(level);
		if (level !== 'weak') expect(passphraseStrength(passphrase).reason).toBeUndefined();
	});

	test('characters are code points: 12 emoji are 12 characters, not 24', () => {
		const emoji = '😀😁😂🤣😃😄😅😆😉😊😋😎';
		expect(passphraseStrength(emoji)).toMatchObject({length: 12, kinds: 1});
	});

	test('any passphrase shorter than 12 characters is weak; adding characters never makes it weaker', () => {
		const order = {weak: 0, fair: 1, strong: 2} as const;
		fc.assert(
			fc.property(fc.string({unit: 'binary', maxLength: MIN_LENGTH - 1}), short => {
				expect(passphraseStrength(short).level).toBe('weak');
			}),
		);
		fc.assert(
			fc.property(fc.string({unit: 'binary', maxLength: 40}), fc.string({unit: 'binary', minLength: 1, maxLength: 10}), (base, more) => {
				const before = passphraseStrength(base);
				const after = passphraseStrength(base + more);
				// Longer with the same or more variety is never rated lower.
				if (new Set([...base + more]).size >= new Set([...base]).size && after.kinds >= before.kinds) {
					expect(order[after.level]).toBeGreaterThanOrEqual(order[before.level]);
				}
			}),
		);
	});

	test('a huge passphrase is rated in linear time', () => {
		const huge = 'aB3$x'.repeat(200_000);
		const started = performance.now();
		expect(passphraseStrength(huge).level).toBe('strong');
		expect(performance.now() - started).toBeLessThan(5_000);
	});
});

describe('a weak passphrase given to the CLI without a terminal', () => {
	let gateway: string;
	beforeAll(async () => {
		gateway = path.join(tempDir(), 'gateway');
		await generateDemo({dir: gateway, tenants: 1, scale: 'small', seed: 12});
	}, 120_000);

	test('from a file or the environment: the backup is made, with one warning line on stderr', () => {
		const dest = tempDir();
		const weakFile = path.join(dest, 'weak.txt');
		fs.writeFileSync(weakFile, 'abc\n');
		const weak = runCli(['backup', 'create', '--data-dir', gateway, '--dest', dest, '--passphrase-file', weakFile, '--name', 'weak', '--categories', 'tools']);
		expect(weak.code).toBe(0);
		expect(weak.stderr).toBe('lifeboat: warning: the passphrase is weak (only 3 characters; use 12 or more); whoever holds the backup can try to guess it\n');
		expect(fs.existsSync(path.join(dest, 'weak.zip.enc'))).toBe(true);

		const strong = runCli(['backup', 'create', '--data-dir', gateway, '--dest', dest, '--encrypt', '--name', 'strong', '--categories', 'tools'], {
			env: {LIFEBOAT_BACKUP_PASSPHRASE: 'correct horse battery'},
		});
		expect(strong.code).toBe(0);
		expect(strong.stderr).toBe('');

		// Reading a backup never rates its passphrase.
		const verify = runCli(['backup', 'verify', path.join(dest, 'weak.zip.enc'), '--passphrase-file', weakFile]);
		expect(verify.code).toBe(0);
		expect(verify.stderr).toBe('');
	}, 120_000);
});
