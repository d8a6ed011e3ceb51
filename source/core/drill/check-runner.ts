import {LifeboatError} from '../errors.js';
import {ScratchError} from '../pid-scratch.js';
import {terminalSafe} from '../terminal-safe.js';
import {DRILL_CHECKS, type DrillCheck, type DrillCheckId, type DrillOptions} from './drill-types.js';

/** What a check found: pass or fail, with one line saying what was checked or what failed. */
export type CheckOutcome = {ok: boolean; detail: string};

/**
 * The drill's checks as they run: each goes pending → running → pass/fail/skip, every change
 * reported through onCheck (a copy, so a listener can keep it). A check that throws a
 * LifeboatError fails with its message; anything else (a bug, the drill being cancelled, the
 * live gateway locked, no room or no scratch folder to work in) propagates.
 */
export class CheckRunner {
	readonly checks: DrillCheck[] = DRILL_CHECKS.map(check => ({id: check.id, label: check.label, status: 'pending'}));
	failed: DrillCheckId | undefined;

	constructor(private readonly options: DrillOptions) {}

	/** Runs one check; true when it passed. */
	async run(id: DrillCheckId, check: () => Promise<CheckOutcome> | CheckOutcome): Promise<boolean> {
		this.throwIfAborted();
		const started = Date.now();
		this.update(id, {status: 'running', detail: undefined, durationMs: undefined});
		let outcome: CheckOutcome;
		try {
			outcome = await check();
		} catch (error) {
			if (!(error instanceof LifeboatError) || this.options.signal?.aborted || error.code === 'interrupted') throw error;
			// The live gateway locked by another writer says nothing of the backup: the drill stops
			// (exit 9, run it again) as it does when the lock is there when it starts.
			if (error.code === 'gateway-locked') throw error;
			// Nor does a full disk, the file size limit or an unusable scratch folder where the drill
			// restores and merges: the drill stops (exit 4) rather than blame the backup.
			if (error.code === 'disk-full' || error instanceof ScratchError) throw error;
			outcome = {ok: false, detail: error.message};
		}
		this.update(id, {status: outcome.ok ? 'pass' : 'fail', detail: oneLine(outcome.detail), durationMs: Date.now() - started});
		if (!outcome.ok) this.failed ??= id;
		return outcome.ok;
	}

	skip(id: DrillCheckId, reason: string): void {
		this.update(id, {status: 'skip', detail: oneLine(reason), durationMs: 0});
	}

	get(id: DrillCheckId): DrillCheck {
		return this.checks.find(check => check.id === id)!;
	}

	throwIfAborted(): void {
		const {signal} = this.options;
		if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new LifeboatError('interrupted', 'Drill cancelled');
	}

	private update(id: DrillCheckId, change: Partial<DrillCheck>): void {
		const check = this.get(id);
		Object.assign(check, change);
		if (check.detail === undefined) delete check.detail;
		if (check.durationMs === undefined) delete check.durationMs;
		this.options.onCheck?.({...check});
	}
}

/** Details are one line (names from an archive may hold newlines), at most 500 characters. */
function oneLine(text: string): string {
	// eslint-disable-next-line no-control-regex
	// Then C1 controls, bidi overrides and separators (an archive's paths are quoted in details) escaped as the CLI's errors are.
	const flat = terminalSafe(text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim());
	return flat.length > 500 ? `${flat.slice(0, 499)}…` : flat;
}
