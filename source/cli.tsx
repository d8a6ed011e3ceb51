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
import {describeStoreError, LifeboatError} from './core/errors.js';
import {isArchiveOnStdout} from './commands/archive-on-stdout.js';
import {terminalSafe, terminalSafeJson} from './core/terminal-safe.js';
import {consoleArguments, openConsole} from './open-console.js';

/**
 * meow reads a lone `-` after a flag as a positional argument (and the flag as empty): `--out -`
 * is written `--out=-` before parsing, so stdout can be named the way every Unix tool names it.
 */
const argv = process.argv.slice(2).flatMap((token, index, all) => (token === '-' && /^--[a-z][a-z-]*$/.test(all[index - 1] ?? '') ? [] : /^--[a-z][a-z-]*$/.test(token) && all[index + 1] === '-' ? [`${token}=-`] : [token]));

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

/** Whether the command line asked for --json: its errors are then written as JSON on stdout too. */
let json = false;

async function main(): Promise<number> {
	// The console's own command line (no command; --data-dir, --dest) needs neither meow nor the
	// command table: ~20-25 ms of its first frame. Anything else is parsed by meow (command-line.ts).
	const consoleOnly = consoleArguments(argv);
	if (consoleOnly) return openConsole(consoleOnly);
	const {runCommandLine} = await import('./command-line.js');
	return runCommandLine(argv, asked => {
		json = asked;
	});
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

/**
 * A command that failed while stdout carried the archive (`--out -`): the archive is incomplete
 * whatever is still queued for stdout, and a reader that stopped reading (the pipe full) would
 * keep this process waiting on that queue forever. It leaves once its stderr line is out.
 */
function failedWithArchiveOnStdout(code: number): void {
	process.exitCode = code;
	if (!isArchiveOnStdout()) return;
	process.stderr.write('', () => process.exit(code));
	// stderr itself may be a pipe nobody reads: do not wait on it either.
	setTimeout(() => process.exit(code), 2000).unref();
}

main().then(
	code => {
		settled = true;
		if (code === 0) process.exitCode = code;
		else failedWithArchiveOnStdout(code);
	},
	(thrown: unknown) => {
		settled = true;
		// With --out - stdout is the archive: a JSON answer goes to stderr, as the command's report
		// does, also for a usage error found before the archive claimed stdout.
		const jsonOut = isArchiveOnStdout() || argv.includes('--out=-') ? process.stderr : process.stdout;
		// A damaged, locked or full gateway database is the operator's to fix, wherever it surfaced.
		const error = describeStoreError(thrown) ?? thrown;
		if (error instanceof LifeboatError) {
			// Messages can quote names from an archive: never send their control characters raw.
			if (json) jsonOut.write(terminalSafeJson({ok: false, error: {code: error.code, message: error.message}, ...error.done}) + '\n');
			process.stderr.write(`lifeboat: ${terminalSafe(error.message)}\n`);
			failedWithArchiveOnStdout(error.exitCode);
			return;
		}
		// Not an operator error: a bug. Say so in one line; the stack only with LIFEBOAT_DEBUG.
		const message = error instanceof Error ? error.message : String(error);
		if (json) jsonOut.write(terminalSafeJson({ok: false, error: {code: 'internal', message}}) + '\n');
		process.stderr.write(`lifeboat: internal error: ${terminalSafe(message)} (set LIFEBOAT_DEBUG=1 for details)\n`);
		if (process.env['LIFEBOAT_DEBUG']) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
		failedWithArchiveOnStdout(1);
	},
);
