/**
 * What the Schedules screen asks of the CLI. Adding, removing and running a schedule go through
 * `lifeboat schedule add|remove|run-now --json` as child processes, so the console checks and
 * does exactly what the command line does (one set of refusals, the same lock as the daemon);
 * the list is read from the schedules file directly.
 */
import {spawn} from 'node:child_process';
import {lifeboatCliPath} from '../core/schedule/cli-path.js';
import {nextRun} from '../core/schedule/cron.js';
import {readSchedules, readStateForListing, stateOf, type RunRecord, type Schedule} from '../core/schedule/schedule-store.js';

/** `lastKnown`: false while the state file or the schedule's entry is damaged (the last run is then not known, not none). */
export type ScheduleRow = {schedule: Schedule; nextRun: Date | null; lastRun: RunRecord | undefined; lastKnown: boolean};

/** The schedules, and why some last runs are not known when the state file (or an entry of it) is damaged. */
export function listScheduleRows(env: NodeJS.ProcessEnv): {rows: ScheduleRow[]; stateDamaged?: string} {
	const schedules = readSchedules(env);
	const {state, known, damaged} = readStateForListing(env, schedules.map(schedule => schedule.name));
	const rows = schedules.map(schedule => ({schedule, nextRun: nextRun(schedule.cron, schedule.timezone), lastRun: stateOf(state, schedule).lastRun, lastKnown: known(schedule.name)}));
	return damaged ? {rows, stateDamaged: damaged} : {rows};
}

export type CliOutcome = {ok: boolean; message: string; json: Record<string, unknown> | undefined};

/** Runs `lifeboat ARGS --json`; the outcome's message is the CLI's own error line on failure. */
export function runScheduleCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliOutcome> {
	return new Promise(resolve => {
		const child = spawn(process.execPath, [lifeboatCliPath(), ...args], {env: {...env, FORCE_COLOR: '0'}, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
		child.on('error', error => resolve({ok: false, message: error.message, json: undefined}));
		child.on('close', code => {
			let json: Record<string, unknown> | undefined;
			try {
				json = JSON.parse(stdout) as Record<string, unknown>;
			} catch {
				json = undefined;
			}
			const line = stderr.trim().split('\n').filter(Boolean).pop()?.replace(/^lifeboat: /, '');
			resolve({ok: code === 0, message: code === 0 ? '' : (line ?? `exit ${code}`), json});
		});
	});
}

/** The retention typed in the form ("7 daily, 4 weekly, last 3, within 30d") as --keep flags. */
export function retentionFlags(text: string): string[] | string {
	const flags: string[] = [];
	for (const part of text.split(/[,;]/).map(piece => piece.trim()).filter(Boolean)) {
		const match = /^(?:(\S+)\s+(hourly|daily|weekly|monthly|yearly)|last\s+(\S+)|within\s+(\S+))$/i.exec(part);
		if (!match) return `"${part}" is not a rule: write e.g. 7 daily, 4 weekly, 12 monthly, last 3, within 30d`;
		if (match[2]) flags.push(`--keep-${match[2].toLowerCase()}=${match[1]}`);
		else if (match[3]) flags.push(`--keep-last=${match[3]}`);
		else flags.push(`--keep-within=${match[4]}`);
	}
	return flags;
}
