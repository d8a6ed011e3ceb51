import {PASSPHRASE_ENV} from '../core/backup/backup-source.js';
import {LifeboatError} from '../core/errors.js';
import {describePolicy, parseCount, parseDuration} from '../core/retention/index.js';
import {checkCron, checkTimeZone, nextRun} from '../core/schedule/cron.js';
import {isHeld, readHolder} from '../core/schedule/pid-lock.js';
import {findSchedule, isScheduleName, readSchedules, readStateForListing, retentionPolicy, stateOf, schedulesFile, writeSchedules, type RunRecord, type Schedule, type StoredRetention} from '../core/schedule/schedule-store.js';
import {checkWebhookUrl, webhookLabel} from '../core/schedule/webhook.js';
import {runDaemon} from './schedule-daemon.js';
import {installText} from './schedule-install.js';
import {lockFile, runSchedule} from './schedule-runner.js';
import {canonicalCommand, takeFullEvery} from './stored-command.js';
import {warn, writeJson, writeLine, type CommandContext, type Flags} from './command-context.js';

export const addHelp = `
Usage
  $ lifeboat schedule add NAME --cron "0 3 * * *" [--tz Europe/Berlin]
      [--keep-last N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--keep-yearly N]
      [--keep-hourly N] [--keep-within 30d] [--webhook URL] [--json]
      -- backup create --data-dir DIR --dest DIR|URL|NAME [--encrypt --passphrase-file F]
         [--incremental [--full-every N]] [other backup create flags]

Saves a schedule in schedules.json beside destinations.json (mode 0600; no secret). The command
after -- is checked now with backup create's own flags (a typo fails here, exit 2) and stored
with absolute paths. It may not hold --passphrase, --out, --name or --base: an encrypted
schedule reads its passphrase from --passphrase-file or ${PASSPHRASE_ENV} in the daemon's
environment. --cron takes 5 fields, or 6 with seconds first; --tz an IANA zone (default: the
daemon's local time). --keep-* is the retention applied after each successful backup (restic
forget rules, see lifeboat backup prune --help); without any, nothing is pruned. With
--incremental the first run is full, then incrementals; --full-every N makes every Nth run full.
--webhook: failures, and slots skipped because a run still goes on, are POSTed there as JSON
(https, or http to 127.0.0.1/::1/localhost only).
`;

export const listHelp = `
Usage
  $ lifeboat schedule list [--json]

Lists the schedules: cron and zone, next run, last run and its result, running now.
`;

export const removeHelp = `
Usage
  $ lifeboat schedule remove NAME [--json]

Forgets a schedule (its backups are not touched; a run in progress finishes).
`;

export const runNowHelp = `
Usage
  $ lifeboat schedule run-now NAME [--json]

Runs a schedule once now, in the foreground, exactly as the daemon would (backup, then its
retention). Exit 0 when it succeeded, the backup's own exit code when it failed, 7 when the
schedule is running already (in the daemon or another run-now): nothing is started then.
`;

export const installHelp = `
Usage
  $ lifeboat schedule install --systemd | --cron

Prints (does not install) a systemd user unit, or a crontab line, that runs
lifeboat schedule daemon with this node and this Lifeboat, and the environment it needs
(never a secret: those go in an EnvironmentFile you write yourself, chmod 600).
`;

export const daemonHelp = `
Usage
  $ lifeboat schedule daemon

Runs the schedules in the foreground (for systemd or a container): each backup runs when due,
as a child process "lifeboat backup create … --json", then the schedule's retention. One JSON
line per run on stdout: {schedule, startedAt, finishedAt, ok, kind, trigger, backup, pruned,
error}. A slot that falls due while the schedule still runs is skipped ({schedule, at, skipped:
true, reason}). A failed run, and the first slot a run makes the schedule skip, are POSTed to the
schedule's webhook, and the daemon goes on. After downtime, at most one missed run per
schedule is caught up. schedules.json is re-read when it changes (or on SIGHUP). SIGTERM/SIGINT
abort a running backup (it removes its partial output; one still running 60 s later,
LIFEBOAT_SCHEDULE_STOP_GRACE, is killed: a later backup removes what it left) and exit 0.
One daemon per config folder (a second exits 7).
`;

const KEEP_RULES = [
	['keepLast', 'last'],
	['keepHourly', 'hourly'],
	['keepDaily', 'daily'],
	['keepWeekly', 'weekly'],
	['keepMonthly', 'monthly'],
	['keepYearly', 'yearly'],
] as const;

function retentionFromFlags(flags: Flags): StoredRetention | undefined {
	const stored: StoredRetention = {};
	for (const [flag, rule] of KEEP_RULES) {
		if (flags[flag] === undefined) continue;
		const count = parseCount(String(flags[flag]), `--keep-${rule}`);
		stored[rule] = Number.isFinite(count) ? count : 'unlimited';
	}
	if (flags.keepWithin !== undefined) {
		parseDuration(String(flags.keepWithin));
		stored.within = String(flags.keepWithin).trim();
	}
	return Object.keys(stored).length > 0 ? stored : undefined;
}

function parseFullEvery(text: string | undefined, incremental: boolean): number | undefined {
	if (text === undefined) return undefined;
	if (!/^\d{1,6}$/.test(text.trim()) || Number(text) < 1) throw new LifeboatError('usage', `--full-every ${JSON.stringify(text.slice(0, 20))} is not a whole number ≥ 1 (every Nth run is a full backup)`);
	if (!incremental) throw new LifeboatError('usage', '--full-every needs --incremental in the backup command (every Nth run full, the others incremental)');
	return Number(text);
}

export async function add(context: CommandContext): Promise<number> {
	const {flags, env} = context;
	const [name, ...after] = context.args;
	if (!name || after.length === 0) throw new LifeboatError('usage', 'Usage: lifeboat schedule add NAME --cron "0 3 * * *" [options] -- backup create --dest … (see lifeboat schedule add --help)');
	if (!isScheduleName(name)) throw new LifeboatError('usage', `Invalid schedule name ${JSON.stringify(name.slice(0, 80))}: use letters, digits, - and _ (up to 64)`);
	if (flags.cron === undefined || flags.cron === '') throw new LifeboatError('usage', 'A schedule needs --cron "MIN HOUR DAY MONTH WEEKDAY" (e.g. "0 3 * * *"; 6 fields: seconds first)');
	const timezone = flags.tz === undefined ? undefined : checkTimeZone(flags.tz);
	checkCron(flags.cron, timezone);
	const webhook = flags.webhook === undefined ? undefined : checkWebhookUrl(flags.webhook);
	const taken = takeFullEvery(after);
	const {command, flags: backupFlags} = await canonicalCommand(taken.tokens, env);
	const fullEvery = parseFullEvery(taken.fullEvery ?? flags.fullEvery, Boolean(backupFlags.incremental));
	const retention = retentionFromFlags(flags);
	const schedules = readSchedules(env);
	if (schedules.some(schedule => schedule.name === name)) throw new LifeboatError('exists', `A schedule named ${name} exists already; remove it first (lifeboat schedule remove ${name})`);
	const schedule: Schedule = {name, cron: flags.cron, ...(timezone && {timezone}), command, ...(fullEvery && {fullEvery}), ...(retention && {retention}), ...(webhook && {webhook}), createdAt: new Date().toISOString()};
	writeSchedules([...schedules, schedule], env);
	const next = nextRun(schedule.cron, schedule.timezone);
	if (flags.json) {
		writeJson(context, {ok: true, file: schedulesFile(env), schedule: shown(schedule), nextRun: next?.toISOString() ?? null});
		return 0;
	}
	writeLine(context, `Saved schedule ${name}: ${schedule.cron}${timezone ? ` (${timezone})` : ''}, next run ${next?.toISOString() ?? 'never'}`);
	writeLine(context, `  runs: lifeboat ${command.join(' ')}`);
	if (fullEvery) writeLine(context, `  every ${fullEvery}${ordinal(fullEvery)} run is a full backup, the others incremental`);
	writeLine(context, `  retention: ${retention ? describePolicy(retentionPolicy(retention)) : 'none (nothing is pruned)'}`);
	if (backupFlags.encrypt && !backupFlags.passphraseFile) writeLine(context, `  encrypted: the daemon needs ${PASSPHRASE_ENV} in its environment (see lifeboat schedule install)`);
	writeLine(context, `Start the daemon to run it: lifeboat schedule install --systemd`);
	return 0;
}

function ordinal(count: number): string {
	const last = count % 10;
	const teen = count % 100 >= 11 && count % 100 <= 13;
	return teen ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th';
}

/** A schedule as lists show it: the webhook without its path (it may hold a token). */
function shown(schedule: Schedule) {
	return {...schedule, ...(schedule.webhook && {webhook: webhookLabel(schedule.webhook)})};
}

function resultText(run: RunRecord | undefined, known: boolean): string {
	if (!known) return 'not known (the state file is damaged)';
	if (!run) return 'never ran';
	if (run.ok) return `ok ${run.finishedAt} (${run.backup?.kind ?? 'backup'}${run.pruned ? `, pruned ${run.pruned.deleted.length}` : ''})${run.pruned?.blocked ? `; PRUNING BLOCKED: ${run.pruned.blocked}` : ''}`;
	return `FAILED ${run.finishedAt}: ${run.error?.message ?? 'unknown error'}`;
}

export async function list(context: CommandContext): Promise<number> {
	const {env} = context;
	const schedules = readSchedules(env);
	const {state, known, damaged} = readStateForListing(env, schedules.map(schedule => schedule.name));
	if (damaged) warn(context, damaged);
	const rows = schedules.map(schedule => {
		const holder = readHolder(lockFile(env, schedule.name));
		return {...shown(schedule), nextRun: nextRun(schedule.cron, schedule.timezone)?.toISOString() ?? null, lastRun: stateOf(state, schedule).lastRun ?? null, lastRunKnown: known(schedule.name), running: isHeld(holder) ? {pid: holder.pid, what: holder.what, since: holder.since} : null};
	});
	if (context.flags.json) {
		writeJson(context, {ok: true, file: schedulesFile(env), schedules: rows, ...(damaged ? {stateDamaged: damaged} : {})});
		return 0;
	}
	if (rows.length === 0) {
		writeLine(context, `No schedules (add one: lifeboat schedule add NAME --cron "0 3 * * *" -- backup create --dest …)`);
		return 0;
	}
	// The files are the operator's, but a run's error quotes the gateway, a server or a hand edit: each line is escaped.
	const line = (text: string) => writeLine(context, text);
	for (const row of rows) {
		line(`${row.name}  ${row.cron}${row.timezone ? ` (${row.timezone})` : ''}  next ${row.nextRun ?? 'never'}${row.running ? `  RUNNING (pid ${row.running.pid}, ${row.running.what})` : ''}`);
		line(`  last: ${resultText(row.lastRun ?? undefined, row.lastRunKnown)}`);
		line(`  runs: lifeboat ${row.command.join(' ')}${row.fullEvery ? ` (every ${row.fullEvery}${ordinal(row.fullEvery)} run full)` : ''}`);
		if (row.retention) line(`  retention: ${describePolicy(retentionPolicy(row.retention))}`);
		if (row.webhook) line(`  webhook: ${row.webhook}`);
	}
	return 0;
}

export async function remove(context: CommandContext): Promise<number> {
	const [name] = context.args;
	if (!name) throw new LifeboatError('usage', 'Usage: lifeboat schedule remove NAME');
	const found = findSchedule(name, context.env);
	writeSchedules(readSchedules(context.env).filter(schedule => schedule.name !== found.name), context.env);
	if (context.flags.json) writeJson(context, {ok: true, removed: shown(found)});
	else writeLine(context, `Removed schedule ${found.name} (its backups are kept)`);
	return 0;
}

export async function runNow(context: CommandContext): Promise<number> {
	const [name] = context.args;
	if (!name) throw new LifeboatError('usage', 'Usage: lifeboat schedule run-now NAME');
	const schedule = findSchedule(name, context.env);
	const outcome = await runSchedule(schedule, {env: context.env, trigger: 'run-now', signal: context.signal});
	if ('busy' in outcome) throw new LifeboatError('conflict', `Schedule ${name} is running already (pid ${outcome.busy.pid}, ${outcome.busy.what}, since ${outcome.busy.since}); nothing was started`);
	const {record} = outcome;
	if (context.flags.json) writeJson(context, {...record, ok: record.ok});
	else if (record.ok) {
		writeLine(context, `Schedule ${name}: ${record.kind} backup written: ${record.backup?.path}${record.pruned ? `; pruned ${record.pruned.deleted.length}, kept ${record.pruned.kept}` : ''}`);
		if (record.pruned?.blocked) warn(context, `pruning blocked: ${record.pruned.blocked}`);
	}
	else warn(context, `schedule ${name} failed: ${record.error?.message}${record.webhookError ? ` (webhook: ${record.webhookError})` : ''}`);
	if (record.ok) return 0;
	if (context.signal.aborted) return 130;
	const code = /^exit-(\d+)$/.exec(record.error?.code ?? '')?.[1];
	return code ? Number(code) : errorExit(record.error?.code);
}

function errorExit(code: string | undefined): number {
	try {
		return new LifeboatError(code as never, '').exitCode ?? 1;
	} catch {
		return 1;
	}
}

export async function install(context: CommandContext): Promise<number> {
	const {flags} = context;
	const crontab = flags.cron !== undefined;
	if (crontab && flags.cron !== '') throw new LifeboatError('usage', `schedule install --cron takes no value (got ${JSON.stringify(flags.cron!.slice(0, 40))}); the schedules' own cron lines are in schedules.json`);
	if (crontab === Boolean(flags.systemd)) throw new LifeboatError('usage', 'Give one of --systemd (a systemd user unit) or --cron (a crontab line)');
	context.stdout.write(installText(crontab ? 'cron' : 'systemd', context.env));
	return 0;
}

export async function daemon(context: CommandContext): Promise<number> {
	return runDaemon(context);
}
