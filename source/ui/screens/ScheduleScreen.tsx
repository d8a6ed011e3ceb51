import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useState} from 'react';
import {Busy} from '../components/Busy.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {SelectList, type ListItem} from '../components/SelectList.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {TextField} from '../components/TextField.js';
import {useConsole} from '../console-context.js';
import {useAsync} from '../hooks/use-async.js';
import {useCommands, type CommandHandlers, type CommandName} from '../keys.js';
import {listScheduleRows, retentionFlags, runScheduleCli, type ScheduleRow} from '../schedule-actions.js';

type FieldKey = 'name' | 'cron' | 'tz' | 'dest' | 'passphraseFile' | 'fullEvery' | 'retention';

/** The add form, one field at a time: the create wizard's destination and encryption, plus when and what to keep. */
const FIELDS: ReadonlyArray<{key: FieldKey; label: string; hint: string}> = [
	{key: 'name', label: 'Schedule name', hint: 'letters, digits, - and _'},
	{key: 'cron', label: 'When (cron: minute hour day month weekday)', hint: '"0 3 * * *" is 03:00 daily; 6 fields: seconds first'},
	{key: 'tz', label: 'Time zone', hint: 'an IANA name (Europe/Berlin, UTC); empty: the daemon’s local time'},
	{key: 'dest', label: 'Destination', hint: 'a folder, an s3:// azblob:// sftp:// URL, or a named destination'},
	{key: 'passphraseFile', label: 'Encrypt with the passphrase in this file', hint: 'empty: not encrypted (or LIFEBOAT_BACKUP_PASSPHRASE in the daemon’s environment)'},
	{key: 'fullEvery', label: 'Incremental: a full backup every N runs', hint: 'empty: every run is a full backup'},
	{key: 'retention', label: 'Keep (applied after each backup)', hint: 'e.g. 7 daily, 4 weekly, 12 monthly, last 3, within 30d; empty: never prune'},
];

type Form = {step: number; values: Record<FieldKey, string>};

type Mode = {view: 'list'} | {view: 'add'; form: Form} | {view: 'confirm-remove'; name: string} | {view: 'busy'; what: string};

/** The schedules: next run and last result; add, remove, run now. The daemon runs them (lifeboat schedule daemon). */
export function ScheduleScreen() {
	const {gateway, nav, env} = useConsole();
	const [revision, setRevision] = useState(0);
	const [mode, setMode] = useState<Mode>({view: 'list'});
	const [status, setStatus] = useState<Status | undefined>();
	const [highlighted, setHighlighted] = useState<string | undefined>();
	const rows = useAsync(async () => listScheduleRows(env), [env, revision]);
	const names = rows.status === 'done' ? rows.value.rows.map(row => row.schedule.name) : [];
	const current = highlighted !== undefined && names.includes(highlighted) ? highlighted : names[0];

	const run = (what: string, args: string[], done: (json: Record<string, unknown> | undefined) => string) => {
		setMode({view: 'busy', what});
		setStatus(undefined);
		void runScheduleCli(args, env).then(outcome => {
			setStatus(outcome.ok ? {kind: 'ok', text: done(outcome.json)} : errorStatus(outcome.message));
			setRevision(value => value + 1);
			setMode(outcome.ok || mode.view !== 'add' ? {view: 'list'} : mode);
		});
	};
	const handlers: CommandHandlers = {};
	if (mode.view === 'list') {
		handlers.add = () => {
			setStatus(undefined);
			setMode({view: 'add', form: {step: 0, values: {name: '', cron: '0 3 * * *', tz: '', dest: gateway.backupDir, passphraseFile: '', fullEvery: '', retention: '7 daily, 4 weekly, 12 monthly'}}});
		};
		if (current) {
			handlers.runNow = () => run(`Running ${current} now…`, ['schedule', 'run-now', current, '--json'], json => runText(current, json));
			handlers.delete = () => setMode({view: 'confirm-remove', name: current});
		}
		handlers.back = nav.home;
	} else if (mode.view === 'confirm-remove') {
		handlers.yes = () => run(`Removing ${mode.name}…`, ['schedule', 'remove', mode.name, '--json'], () => `Removed schedule ${mode.name} (its backups are kept)`);
		handlers.no = () => setMode({view: 'list'});
	} else if (mode.view === 'add') {
		handlers.back = () => setMode(mode.form.step === 0 ? {view: 'list'} : {view: 'add', form: {...mode.form, step: mode.form.step - 1}});
	}
	useCommands(handlers, {textEntry: mode.view === 'add'});

	const submitField = (form: Form, value: string) => {
		const field = FIELDS[form.step]!;
		const values = {...form.values, [field.key]: value.trim()};
		setStatus(undefined);
		if (form.step < FIELDS.length - 1) {
			setMode({view: 'add', form: {step: form.step + 1, values}});
			return;
		}
		const args = addArgs(values, gateway.dataDir);
		if (typeof args === 'string') {
			setStatus(errorStatus(args, 'fix the field, or Esc to go back'));
			setMode({view: 'add', form: {...form, values}});
			return;
		}
		setMode({view: 'add', form: {...form, values}});
		run(`Saving ${values.name}…`, args, json => `Saved schedule ${values.name}; next run ${String(json?.['nextRun'] ?? 'never')}`);
	};

	const commands: CommandName[] = mode.view === 'add' ? ['select', 'back'] : mode.view === 'confirm-remove' ? ['yes', 'no'] : mode.view === 'busy' ? [] : ['up', 'down', 'add', 'runNow', 'delete', 'back'];
	const damaged = rows.status === 'done' ? rows.value.stateDamaged : undefined;
	const shownStatus = mode.view === 'confirm-remove' ? {kind: 'warn' as const, text: `Remove schedule ${mode.name}? Its backups are kept. y yes · n no`} : (status ?? (damaged ? {kind: 'warn' as const, text: damaged} : undefined));
	return (
		<Frame title={mode.view === 'add' ? `Schedules · Add (${mode.form.step + 1}/${FIELDS.length})` : 'Schedules'} commands={commands} status={shownStatus} textEntry={mode.view === 'add'} meanings={{delete: 'remove the highlighted schedule (asks first; its backups are kept)'}}>
			{mode.view === 'add' ? (
				<AddField form={mode.form} onSubmit={value => submitField(mode.form, value)} />
			) : mode.view === 'busy' ? (
				<Busy label={mode.what} />
			) : rows.status === 'loading' ? (
				<Busy label="Reading schedules…" />
			) : rows.status === 'error' ? (
				<Text>{rows.error}</Text>
			) : (
				<ScheduleList rows={rows.value.rows} onHighlight={setHighlighted} initial={current} />
			)}
		</Frame>
	);
}

function AddField({form, onSubmit}: {form: Form; onSubmit: (value: string) => void}) {
	const field = FIELDS[form.step]!;
	return (
		<Box flexDirection="column">
			{FIELDS.slice(0, form.step).map(done => (
				<Text key={done.key} dimColor wrap="truncate">
					{done.label}: {form.values[done.key] || '—'}
				</Text>
			))}
			<Box marginTop={1}>
				<TextField key={field.key} label={field.label} initialValue={form.values[field.key]} hint={field.hint} onSubmit={onSubmit} />
			</Box>
		</Box>
	);
}

function ScheduleList({rows, onHighlight, initial}: {rows: ScheduleRow[]; onHighlight: (name: string) => void; initial: string | undefined}) {
	if (rows.length === 0) return <Text>No schedules yet: press a to add one. The daemon runs them: lifeboat schedule install --systemd</Text>;
	const items: Array<ListItem<string>> = rows.map(row => ({key: row.schedule.name, label: rowLabel(row), value: row.schedule.name}));
	const index = Math.max(0, rows.findIndex(row => row.schedule.name === initial));
	return (
		<BodyRows reserve={1}>
			{height => (
				<Box flexDirection="column">
					<Text dimColor wrap="truncate">
						{'name'.padEnd(16)} {'cron'.padEnd(16)} {'next run (UTC)'.padEnd(17)} last result
					</Text>
					<SelectList items={items} height={Math.max(1, height - 1)} initialIndex={index} onHighlight={item => onHighlight(item.value)} />
				</Box>
			)}
		</BodyRows>
	);
}

function rowLabel({schedule, nextRun, lastRun, lastKnown}: ScheduleRow): string {
	const next = nextRun ? nextRun.toISOString().slice(0, 16).replace('T', ' ') : 'never';
	const last = !lastKnown ? 'not known (state file damaged)' : !lastRun ? 'never ran' : lastRun.ok ? `ok ${lastRun.finishedAt.slice(0, 16).replace('T', ' ')}` : `FAILED: ${lastRun.error?.message ?? ''}`;
	return `${schedule.name.padEnd(16).slice(0, 16)} ${schedule.cron.padEnd(16).slice(0, 16)} ${next.padEnd(17)} ${last}`;
}

function runText(name: string, json: Record<string, unknown> | undefined): string {
	const backup = json?.['backup'] as {path?: string} | null | undefined;
	const pruned = json?.['pruned'] as {deleted: string[]} | null | undefined;
	return `Ran ${name}: ${String(json?.['kind'] ?? 'backup')} backup ${backup?.path ?? ''}${pruned ? `; pruned ${pruned.deleted.length}` : ''}`;
}

/** The CLI line the form stands for (the CLI checks it, as it would typed). */
function addArgs(values: Record<FieldKey, string>, dataDir: string): string[] | string {
	const retention = retentionFlags(values.retention);
	if (typeof retention === 'string') return retention;
	return [
		'schedule',
		'add',
		values.name,
		`--cron=${values.cron}`,
		...(values.tz ? [`--tz=${values.tz}`] : []),
		...retention,
		'--json',
		'--',
		'backup',
		'create',
		`--data-dir=${dataDir}`,
		`--dest=${values.dest}`,
		...(values.passphraseFile ? [`--passphrase-file=${values.passphraseFile}`] : []),
		...(values.fullEvery ? ['--incremental', `--full-every=${values.fullEvery}`] : []),
	];
}
