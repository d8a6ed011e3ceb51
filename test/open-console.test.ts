import fc from 'fast-check';
import meow from 'meow';
import {describe, expect, test} from 'vitest';
import {FLAGS} from '../source/commands/cli-flags.js';
import {consoleArguments} from '../source/open-console.js';

/** What meow (the parser of every other command line) makes of `argv`: its words and the console's two flags. */
function meowReads(argv: string[]): {input: string[]; dataDir: unknown; dest: unknown; others: string[]} {
	const cli = meow('', {importMeta: import.meta, argv, autoHelp: false, autoVersion: false, allowUnknownFlags: true, flags: FLAGS});
	const others = Object.entries(cli.flags)
		.filter(([name, value]) => name !== 'dataDir' && name !== 'dest' && value !== undefined && value !== false)
		.map(([name]) => name);
	return {input: cli.input, dataDir: cli.flags['dataDir'], dest: cli.flags['dest'], others};
}

describe('the console command line, read without meow', () => {
	test('no arguments, and --data-dir / --dest with values in either form, open the console', () => {
		expect(consoleArguments([])).toEqual({});
		expect(consoleArguments(['--data-dir', 'gw', '--dest', 'backups'])).toEqual({dataDir: 'gw', dest: 'backups'});
		expect(consoleArguments(['--dest=b c', '--data-dir=/x=y'])).toEqual({dataDir: '/x=y', dest: 'b c'});
		expect(consoleArguments(['--dest=-'])).toEqual({dest: '-'});
	});

	test('anything else is left to meow: a command, another flag, a flag twice, a missing or empty value', () => {
		for (const argv of [['--data-dir="gw"'], ["--dest='b c'"], ['backup'], ['--help'], ['--version'], ['--json'], ['-h'], ['--data-dir'], ['--data-dir', '--dest', 'x'], ['--data-dir='], ['--data-dir', ''], ['--dest', 'a', '--dest', 'b'], ['--dataDir', 'x'], ['--data-dir', 'x', 'extra'], ['--data-dirx', 'y']]) {
			expect(consoleArguments(argv), argv.join(' ')).toBeUndefined();
		}
	});

	test('reads a quoted --flag="value" as meow does, or leaves it to meow (which strips the matching quotes; from a review)', () => {
		for (const argv of [['--data-dir="gw"'], ["--dest='backups'"], ['--data-dir=""'], ['--data-dir="/srv/my gateway"', '--dest=b']]) {
			const fast = consoleArguments(argv);
			if (fast === undefined) continue;
			const parsed = meowReads(argv);
			expect(parsed.input).toEqual([]);
			expect(fast, argv.join(' ')).toEqual({...(parsed.dataDir === undefined ? {} : {dataDir: parsed.dataDir}), ...(parsed.dest === undefined ? {} : {dest: parsed.dest})});
		}
	});

	test('whenever it reads a command line, meow reads the same one: no command, no other flag, the same two values', () => {
		// Values made of the characters a parser treats specially (quotes, dashes, `=`, spaces), and any.
		const value = fc.oneof(fc.string({maxLength: 6}), fc.string({unit: fc.constantFrom('a', '"', "'", '-', '=', ' '), maxLength: 5}));
		const token = fc.oneof(
			fc.constantFrom('--data-dir', '--dest', '--json', '--help', '-h', '--version', 'backup', 'list', '-', '--', '--data-dir=', '--dest='),
			value,
			value.map(text => `--data-dir=${text}`),
			value.map(text => `--dest=${text}`),
		);
		fc.assert(
			fc.property(fc.array(token, {maxLength: 6}), argv => {
				const fast = consoleArguments(argv);
				if (fast === undefined) return;
				const parsed = meowReads(argv);
				expect(parsed.input).toEqual([]);
				expect(parsed.others).toEqual([]);
				expect(parsed.dataDir).toBe(fast.dataDir);
				expect(parsed.dest).toBe(fast.dest);
			}),
			{numRuns: 2000},
		);
	});
});
