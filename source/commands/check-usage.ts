import {LifeboatError} from '../core/errors.js';
import {COMMANDS, type CommandSpec} from './command-table.js';

const dashed = (name: string) => name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);
const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** The long flags given on the command line, as camelCase names (`--no-x` is `x`), in order, without repeats. */
export function givenLongFlags(argv: readonly string[]): string[] {
	const names: string[] = [];
	for (const token of argv) {
		if (token === '--') break;
		const match = /^--(?:no-)?([^=]+)/.exec(token);
		if (match && !names.includes(camel(match[1]!))) names.push(camel(match[1]!));
	}
	return names;
}

/** Levenshtein distance, bounded by the (short) flag names it is used on. */
export function editDistance(a: string, b: string): number {
	let previous = Array.from({length: b.length + 1}, (_, index) => index);
	for (let i = 1; i <= a.length; i++) {
		const current = [i];
		for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
		previous = current;
	}
	return previous[b.length]!;
}

function nearest(name: string, candidates: readonly string[]): string | undefined {
	let best: {name: string; distance: number} | undefined;
	for (const candidate of candidates) {
		const distance = editDistance(dashed(name), dashed(candidate));
		if (distance <= 2 && (!best || distance < best.distance)) best = {name: candidate, distance};
	}
	return best && dashed(best.name);
}

/**
 * Refuses (usage, exit 2) a flag this command does not take, whether another command takes it or
 * no command does, and more positional arguments than the command takes. Near misses (edit
 * distance ≤ 2) are suggested.
 */
export function checkUsage(command: CommandSpec, argv: readonly string[], args: readonly string[], valueFlags: readonly string[] = []): void {
	const own = [...command.flags, 'help', 'version'];
	const name = command.words.join(' ');
	checkValuesGiven(argv, valueFlags.filter(flag => own.includes(flag) && !(command.switches as readonly string[] | undefined)?.includes(flag)), name);
	for (const flag of givenLongFlags(argv)) {
		if (own.includes(flag)) continue;
		const suggestion = nearest(flag, own);
		const hint = suggestion ? `did you mean --${suggestion}? ` : '';
		const elsewhere = COMMANDS.some(other => (other.flags as readonly string[]).includes(flag));
		const what = elsewhere ? `${name} does not take --${dashed(flag)}` : `Unknown flag --${dashed(flag)}`;
		throw new LifeboatError('usage', `${what} (${hint}see lifeboat ${name} --help)`);
	}
	if (args.length > command.maxArgs) {
		const limit = command.maxArgs === 0 ? 'no arguments' : `at most ${command.maxArgs} argument${command.maxArgs === 1 ? '' : 's'}`;
		throw new LifeboatError('usage', `${name} takes ${limit} (got ${args.length}: ${args.join(' ')}; see lifeboat ${name} --help)`);
	}
}

/**
 * A flag that takes a value, given last or followed by another flag (`--dest --json`), has no
 * value: meow would read it as an empty string and the command would fail later with a vaguer
 * line (or, for --name, take the next flag as the value). A value that starts with `-` is given
 * as `--dest=-odd`; a lone `-` is a value (`--out -`: stdout).
 */
function checkValuesGiven(argv: readonly string[], valueFlags: readonly string[], name: string): void {
	for (let index = 0; index < argv.length; index++) {
		const token = argv[index]!;
		if (token === '--') return;
		const match = /^--([^=]+)$/.exec(token);
		if (!match || !valueFlags.includes(camel(match[1]!))) continue;
		const next = argv[index + 1];
		if (next === undefined || (next.startsWith('-') && next !== '-')) {
			const flag = `--${match[1]}`;
			throw new LifeboatError('usage', `${flag} needs a value (${flag} VALUE, or ${flag}=VALUE for one starting with -; see lifeboat ${name} --help)`);
		}
		index++;
	}
}
