#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=524288 node --max-semi-space-size=4 --expose-gc --heap-growing-percent=20
// V8's young generation is capped at 4 MiB per semi-space (Node's default is 16): a backup
// streams its bytes through short-lived buffers, and the default let them pile up to ~50 MB
// before a scavenge. glibc's malloc gets two arenas at most (it makes one per thread that
// allocates: threadpool deflates and V8's compiler threads each kept their own ~10 MB), and
// allocations of 512 KiB and more are mmapped and unmapped when freed (its default raises that
// threshold on the first free, up to 32 MiB, and larger buffers then came from a heap that
// fragments and is not given back). 512 KiB, not less: the 256 KiB buffers every stream reads and
// inflates through stay in the heap and are reused; at 128 KiB each was mapped and unmapped
// (1M-row replace restore 24.7 → 19.0 s CPU, dry run and verify ~1.5 s less, peak RSS alike). --expose-gc lets core/gc-pacer.ts collect the young
// generation every few MiB of streamed buffers (V8 itself let ~30 MB of dead ones pile up).
// --heap-growing-percent=20: the old generation is collected once it grows 20 % past what the last
// collection kept (V8 first allows 4x, so a table dump's or a restore plan's garbage reached
// ~30 MB before a first full GC); no CPU cost measured on create or a 200,000-row restore.
// `npm run bench` runs the CLI with the environment and flags of this line.
import meow from 'meow';
import {describeStoreError, LifeboatError} from './core/errors.js';
import {isArchiveOnStdout} from './commands/archive-on-stdout.js';
import type {CommandContext, Flags} from './commands/command-context.js';
import {COMMANDS, findCommand, groupCommands, groupHelp, topLevelHelp} from './commands/command-table.js';
import {TOOL_VERSION} from './core/version.js';
import {terminalSafe, terminalSafeJson} from './core/terminal-safe.js';
import {checkUsage} from './commands/check-usage.js';
import {FLAGS} from './commands/cli-flags.js';


// Unknown flags are reported by main() like every other usage error (so --json still gets JSON).
/**
 * meow reads a lone `-` after a flag as a positional argument (and the flag as empty): `--out -`
 * is written `--out=-` before parsing, so stdout can be named the way every Unix tool names it.
 */
const argv = process.argv.slice(2).flatMap((token, index, all) => (token === '-' && /^--[a-z][a-z-]*$/.test(all[index - 1] ?? '') ? [] : /^--[a-z][a-z-]*$/.test(token) && all[index + 1] === '-' ? [`${token}=-`] : [token]));

const cli = meow(topLevelHelp(), {importMeta: import.meta, argv, autoHelp: false, autoVersion: false, allowUnknownFlags: true, flags: FLAGS});

// `lifeboat … | head` closes stdout early: that is the reader's choice, not an error.
// Unless stdout carries the archive itself (`--out -`): then a reader that stops early got an
// incomplete backup, which must never look like success.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code === 'EPIPE' && isArchiveOnStdout()) {
		process.stderr.write('lifeboat: the reader closed stdout before the archive was complete; no usable backup was written\n');
		process.exit(4);
	}
	if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
	throw error;
});

async function main(): Promise<number> {
	const flags = cli.flags as Flags;
	const [first, second, ...more] = cli.input;
	const command = first ? findCommand(first, second) : undefined;
	// A one-word command (`drill`) takes the second word as its first argument.
	const rest = command?.words.length === 1 && second !== undefined ? [second, ...more] : more;
	// A command's own flags and arguments first (it can say "did you mean"), then any unknown short flag.
	if (command) {
		const valueFlags = Object.entries(FLAGS).filter(([, spec]) => spec.type !== 'boolean').map(([flag]) => flag);
		checkUsage(command, argv, rest, valueFlags);
	}
	const unknown = Object.keys(cli.flags).filter(name => !(name in FLAGS) && name !== 'h');
	if (unknown.length > 0) {
		const dashed = unknown.map(name => `--${name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`)}`);
		throw new LifeboatError('usage', `Unknown flag${dashed.length > 1 ? 's' : ''} ${dashed.join(', ')} (see lifeboat --help)`);
	}
	if (flags.version) {
		process.stdout.write(`${TOOL_VERSION}\n`);
		return 0;
	}
	if (!first) {
		if (flags.help) {
			process.stdout.write(topLevelHelp() + '\n');
			return 0;
		}
		// Decide interactive vs CLI before anything mounts: Ink needs raw mode on a real TTY.
		if (!process.stdin.isTTY || !process.stdout.isTTY) {
			process.stderr.write('lifeboat: the interactive console needs a terminal; use the CLI instead (lifeboat --help), e.g. lifeboat backup create --json\n');
			return 2;
		}
		// Ink draws only the final frame when CI / CONTINUOUS_INTEGRATION is set (it reads them
		// once, when loaded). On a real terminal someone is watching, so the console always draws.
		for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
		const {runTui} = await import('./ui/run-tui.js');
		return runTui({dataDir: flags.dataDir ?? process.env['LIFEBOAT_DATA_DIR'], backupDir: flags.dest});
	}
	const group = groupCommands(first);
	if (!command && group.length > 0 && second === undefined) {
		// A group alone did nothing: --help lists its commands (exit 0), else a usage error (exit 2),
		// so a script that lost its subcommand never looks like a successful backup.
		if (flags.help) {
			process.stdout.write(groupHelp(first) + '\n');
			return 0;
		}
		throw new LifeboatError('usage', `${first} needs a command: ${group.map(entry => entry.words[1]).join(', ')} (see lifeboat ${first} --help)`);
	}
	if (!command) {
		const known = COMMANDS.map(entry => entry.words.join(' ')).join(', ');
		throw new LifeboatError('usage', `unknown command "${[first, second].filter(Boolean).join(' ')}" (commands: ${known}; see lifeboat --help)`);
	}
	const module = await command.load();
	if (flags.help) {
		process.stdout.write(module.help.trim() + '\n');
		return 0;
	}
	const controller = new AbortController();
	let signals = 0;
	const onSignal = (signal: NodeJS.Signals) => {
		signals++;
		// First signal: stop cleanly (partial files are removed). Second: leave now.
		if (signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
		controller.abort(new LifeboatError('interrupted', `Interrupted by ${signal}; nothing partial was left behind`));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	const context: CommandContext = {
		flags,
		args: rest,
		stdout: process.stdout,
		stderr: process.stderr,
		env: process.env,
		signal: controller.signal,
	};
	return module.run(context);
}

let settled = false;
// Safety net: if the event loop empties while a command is still pending (a stream that never
// ended), never let that look like success.
process.on('exit', () => {
	if (!settled && process.exitCode === undefined) {
		process.stderr.write('lifeboat: internal error: stopped before finishing (set LIFEBOAT_DEBUG=1 for details)\n');
		process.exitCode = 1;
	}
});

main().then(
	code => {
		settled = true;
		process.exitCode = code;
	},
	(thrown: unknown) => {
		settled = true;
		const json = (cli.flags as Flags).json;
		// A damaged, locked or full gateway database is the operator's to fix, wherever it surfaced.
		const error = describeStoreError(thrown) ?? thrown;
		if (error instanceof LifeboatError) {
			// Messages can quote names from an archive: never send their control characters raw.
			if (json) process.stdout.write(terminalSafeJson({ok: false, error: {code: error.code, message: error.message}}) + '\n');
			process.stderr.write(`lifeboat: ${terminalSafe(error.message)}\n`);
			process.exitCode = error.exitCode;
			return;
		}
		// Not an operator error: a bug. Say so in one line; the stack only with LIFEBOAT_DEBUG.
		const message = error instanceof Error ? error.message : String(error);
		if (json) process.stdout.write(terminalSafeJson({ok: false, error: {code: 'internal', message}}) + '\n');
		process.stderr.write(`lifeboat: internal error: ${terminalSafe(message)} (set LIFEBOAT_DEBUG=1 for details)\n`);
		if (process.env['LIFEBOAT_DEBUG']) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
		process.exitCode = 1;
	},
);
