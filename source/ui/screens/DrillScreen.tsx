import {Box} from 'ink';
import {Text} from '../components/Text.js';
import Spinner from 'ink-spinner';
import {useEffect, useMemo, useReducer, useState, type Dispatch, type ReactNode} from 'react';
import type {BackupListing} from '../../core/backup/list-backups.js';
import type {DrillCheck} from '../../core/drill/drill-types.js';
import {formatCount} from '../../core/format.js';
import {Busy} from '../components/Busy.js';
import {CancelPrompt} from '../components/CancelPrompt.js';
import {DestinationList} from '../components/DestinationList.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {SelectList, type ListItem} from '../components/SelectList.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {TextField} from '../components/TextField.js';
import {useConsole} from '../console-context.js';
import {describeError} from '../describe-error.js';
import {listWhere, readNamedOrNone, refAt} from '../destination-access.js';
import {useAsync, type AsyncState} from '../hooks/use-async.js';
import {useHoldsConsole} from '../hooks/use-console-input.js';
import {useConfirmCancel} from '../hooks/use-confirm-cancel.js';
import {useDrill, type DrillProgress} from '../hooks/use-drill.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useCommands, type CommandName} from '../keys.js';
import {gatewayProblem} from '../prepare-gateway.js';
import {shortAge} from '../state/browse.js';
import {destinationChoices, fitWhere, typedDestination, type DestinationChoice} from '../state/destinations.js';
import {
	CHECK_MARKS,
	checkRowText,
	checkTitle,
	drillReducer,
	fitLine,
	initialDrillState,
	resultLines,
	scrollTo,
	verdictLine,
	type DrillAction,
	type DrillScreenState,
	type ResultLine,
	type Tone,
} from '../state/drill.js';
import {fit, fitPath, shortDate} from '../text-fit.js';
import {useTheme, type Theme} from '../theme.js';

/**
 * DR drill: pick a destination and a backup (the latest highlighted), give its passphrase when it
 * is encrypted, and the engine restores it into a scratch folder and checks it, each check shown
 * as it runs; then RPO, RTO, the report files and the post-restore checklist. The live data dir is
 * only handed to the engine to compare with; nothing here writes to it.
 */
export function DrillScreen() {
	const {gateway, nav, env} = useConsole();
	const {columns} = useTerminalSize();
	const [state, dispatch] = useReducer(drillReducer, gateway.backupDir, initialDrillState);
	// Read again each time the destinations are shown (one added meanwhile shows up).
	const named = useMemo(() => readNamedOrNone(env), [env, state.step === 'destination']);
	const choices = useMemo(() => destinationChoices(gateway.backupDir, named.named), [gateway.backupDir, named]);
	const backups = useAsync(() => (state.step === 'pick' ? listWhere(state.where, env) : Promise.resolve([])), [state.where, state.step === 'pick']);
	const drill = useDrill();
	useDrillRun(state, dispatch, drill, gateway.dataDir);
	const stop = useConfirmCancel(state.step === 'running', drill.cancel);
	useHoldsConsole(state.step === 'running');
	const handlers: Partial<Record<CommandName, () => void>> = state.step === 'running' ? {...stop.handlers} : {back: () => (state.step === 'destination' ? nav.home() : dispatch({type: 'back'}))};
	const textEntry = state.step === 'other' || state.step === 'passphrase';
	useCommands(handlers, {textEntry});
	const view = stepView({state, dispatch, columns, choices, namedProblem: named.problem, backups, drill, stop, named: named.named});
	return (
		<Frame title={`DR drill · ${drillTitle(state, named.named, columns)}`} commands={view.commands} status={drillStatus(state, named.problem)} textEntry={textEntry} meanings={view.meanings}>
			<Box key={state.step} flexDirection="column">
				{view.body}
			</Box>
		</Frame>
	);
}

type Drill = ReturnType<typeof useDrill>;

/** A run starts when the step becomes `running` (each pick or passphrase bumps `run`). */
function useDrillRun(state: DrillScreenState, dispatch: Dispatch<DrillAction>, drill: Drill, dataDir: string): void {
	const {env} = useConsole();
	useEffect(() => {
		if (state.step !== 'running' || !state.backup) return;
		const {backup} = state;
		// The live store is compared with only when the console points at a gateway; it is never written.
		const liveDataDir = gatewayProblem(dataDir) ? undefined : dataDir;
		drill.start(
			{ref: refAt(state.where, backup, env), location: backup.path, passphrase: state.passphrase, liveDataDir, onCheck: check => dispatch({type: 'check', check})},
			{
				onDone: outcome => dispatch(outcome.kind === 'open-failed' ? {type: 'open-failed', error: outcome.error} : {type: 'finished', report: outcome.report, files: outcome.files, reportError: outcome.reportError}),
				onError: (error, cancelled) => dispatch({type: 'failed', error, cancelled}),
			},
		);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [state.run]);
}

function drillTitle(state: DrillScreenState, named: ReturnType<typeof readNamedOrNone>['named'], columns: number): string {
	const file = state.backup?.fileName ?? '';
	switch (state.step) {
		case 'destination':
		case 'other':
			return 'Destination';
		case 'pick':
			return `Pick a backup · ${fitWhere(state.where, named, Math.max(10, columns - 40), fitPath)}`;
		case 'passphrase':
			return `Passphrase · ${file}`;
		case 'running':
			return `Running · ${file}`;
		case 'done':
			return `${state.report ? (state.report.ok ? 'Passed' : 'Failed') : 'Stopped'} · ${file}`;
	}
}

function drillStatus(state: DrillScreenState, namedProblem: string | undefined): Status | undefined {
	if (state.error) {
		const next = state.step === 'passphrase' ? 'type it again, or Esc' : state.step === 'other' ? 'type another, or Esc' : 'Esc to go back';
		return errorStatus(state.error, next);
	}
	if (state.notice) return {kind: 'info', text: state.notice};
	if (state.step === 'destination' && namedProblem) return {kind: 'warn', text: namedProblem};
	return undefined;
}

type StepContext = {
	state: DrillScreenState;
	dispatch: Dispatch<DrillAction>;
	columns: number;
	choices: readonly DestinationChoice[];
	named: ReturnType<typeof readNamedOrNone>['named'];
	namedProblem: string | undefined;
	backups: AsyncState<BackupListing[]>;
	drill: Drill;
	stop: ReturnType<typeof useConfirmCancel>;
};

type StepView = {commands: CommandName[]; body: ReactNode; meanings?: Partial<Record<CommandName, string>>};

const INTRO = 'Restores a backup into a scratch folder, checks it, then removes the folder. The live data dir is only read.';

function stepView(ctx: StepContext): StepView {
	const {state, dispatch, columns} = ctx;
	switch (state.step) {
		case 'destination':
			return {commands: ['up', 'down', 'select', 'back'], body: <DestinationStep ctx={ctx} />, meanings: {select: 'list the backups there', back: 'back to Home'}};
		case 'other':
			return {commands: ['select', 'back'], body: <OtherStep ctx={ctx} />};
		case 'pick':
			return {commands: ['up', 'down', 'select', 'back'], body: <PickStep ctx={ctx} />, meanings: {select: 'run the drill on the highlighted backup', back: 'back to the destinations'}};
		case 'passphrase':
			return {
				commands: ['select', 'back'],
				body: (
					<TextField
						label={`Passphrase for ${state.backup?.fileName ?? ''}`}
						mask="*"
						hint="The backup is encrypted; the passphrase is kept in memory only for this drill."
						onSubmit={passphrase => dispatch({type: 'passphrase', passphrase})}
					/>
				),
			};
		case 'running':
			return {commands: ctx.stop.commands, body: <RunningStep ctx={ctx} />};
		case 'done':
			return {commands: ['up', 'down', 'pageUp', 'pageDown', 'back'], body: <DoneStep state={state} width={columns} />, meanings: {up: 'scroll', back: 'back to the backups (run another drill)'}};
	}
}

function DestinationStep({ctx}: {ctx: StepContext}) {
	const {state, dispatch, choices} = ctx;
	const current = choices.find(choice => !choice.other && choice.where === state.where);
	return (
		<Box flexDirection="column">
			<Text dimColor wrap="truncate">
				{INTRO}
			</Text>
			<Text bold wrap="truncate">
				Where are the backups?
			</Text>
			<BodyRows reserve={2}>
				{height => (
					<DestinationList
						choices={choices}
						height={Math.min(choices.length, height)}
						initialKey={current?.key}
						onSelect={choice => dispatch(choice.other ? {type: 'other'} : {type: 'destination', where: choice.where})}
					/>
				)}
			</BodyRows>
		</Box>
	);
}

function OtherStep({ctx}: {ctx: StepContext}) {
	const {state, dispatch, named} = ctx;
	return (
		<TextField
			label="Backups folder, URL (s3://, azblob://, sftp://) or destination name"
			initialValue={state.where}
			onSubmit={text => {
				try {
					dispatch({type: 'destination', where: typedDestination(text, named).where});
				} catch (error) {
					dispatch({type: 'error', error: describeError(error)});
				}
			}}
		/>
	);
}

/** The backups at the destination, newest first, the cursor on the latest one that can be read. */
function PickStep({ctx}: {ctx: StepContext}) {
	const {state, dispatch, backups, columns} = ctx;
	const theme = useTheme();
	if (backups.status === 'loading') return <Busy label={`Reading ${fitPath(state.where, Math.max(10, columns - 12))}…`} />;
	if (backups.status === 'error') return <Text color={theme.error}>✗ {backups.error} — Esc to pick another destination</Text>;
	if (backups.value.length === 0) return <Text wrap="truncate">No backups in {state.where} yet. Esc to pick another destination.</Text>;
	const items: Array<ListItem<BackupListing>> = backups.value.map(backup => ({key: backup.path, label: backup.fileName, value: backup, disabled: !backup.summary}));
	const latest = items.findIndex(item => !item.disabled);
	const previous = items.findIndex(item => item.key === state.backup?.path);
	return (
		<BodyRows min={2}>
			{height => (
				<SelectList
					items={items}
					height={height}
					initialIndex={Math.max(0, previous >= 0 ? previous : latest)}
					onSelect={item => dispatch({type: 'pick', backup: {path: item.value.path, fileName: item.value.fileName, encrypted: item.value.encrypted}})}
					renderRow={(item, selected) => <BackupRow backup={item.value} latest={item.key === items[latest]?.key} selected={selected} width={columns} theme={theme} />}
				/>
			)}
		</BodyRows>
	);
}

function BackupRow({backup, latest, selected, width, theme}: {backup: BackupListing; latest: boolean; selected: boolean; width: number; theme: Theme}) {
	const summary = backup.summary;
	const marker = selected ? '› ' : '  ';
	if (!summary) {
		return (
			<Text dimColor bold={selected} wrap="truncate">
				{marker}
				{fit(backup.fileName, Math.max(10, Math.min(40, width - 30)))} unreadable: {backup.error ?? 'unknown problem'}
			</Text>
		);
	}
	const tail = `${shortDate(summary.createdAt)} ${fit(shortAge(summary.createdAt), 4, 'right')} ${backup.encrypted ? 'enc' : '   '} ${latest ? 'latest' : '      '}`;
	return (
		<Text color={selected ? theme.selected : undefined} bold={selected} inverse={selected && !theme.color} wrap="truncate">
			{marker}
			{fit(backup.fileName, Math.max(8, width - tail.length - 4))} {tail}
		</Text>
	);
}

/** A check's mark: a spinner while it runs, ✓ ✗ – once it ended, · before it started. */
function CheckMark({check, theme}: {check: DrillCheck; theme: Theme}) {
	if (check.status === 'running') {
		return (
			<Text color={theme.accent}>
				<Spinner type="dots" />
			</Text>
		);
	}
	const color = {pending: theme.muted, pass: theme.ok, fail: theme.error, skip: theme.muted}[check.status];
	return <Text color={color}>{CHECK_MARKS[check.status]}</Text>;
}

/** One row per check, each cut to the width (a long detail never wraps over the next row). */
function CheckRows({checks, width}: {checks: readonly DrillCheck[]; width: number}) {
	const theme = useTheme();
	return (
		<Box flexDirection="column" flexShrink={0}>
			{checks.map(check => (
				<Box key={check.id} height={1}>
					<Text wrap="truncate" dimColor={check.status === 'pending' || check.status === 'skip'} color={check.status === 'fail' ? theme.error : undefined}>
						<CheckMark check={check} theme={theme} /> {checkRowText(check, width)}
					</Text>
				</Box>
			))}
		</Box>
	);
}

function RunningStep({ctx}: {ctx: StepContext}) {
	const {state, columns, drill, stop} = ctx;
	const running = state.checks.find(check => check.status === 'running');
	const progress: DrillProgress | undefined = drill.state.status === 'running' ? drill.state.progress : undefined;
	const text = running ? (progress && progress.check === running.id ? progress.text : `${checkTitle(running)}…`) : 'Opening the backup…';
	return (
		<Box flexDirection="column">
			<CheckRows checks={state.checks} width={columns} />
			<Box marginTop={1} flexDirection="column">
				<Busy label={fitLine(text, columns - 2)} />
				<CancelPrompt phase={stop.phase} what="drill" hint="Esc cancels (the scratch folder is removed; nothing else is touched)" cancelling="Cancelling; removing the scratch folder…" />
			</Box>
		</Box>
	);
}

/** The verdict, the checks, then RPO, RTO, the reports, the live table and the checklist, scrolled. */
function DoneStep({state, width}: {state: DrillScreenState; width: number}) {
	const theme = useTheme();
	const report = state.report;
	const rows = useMemo((): Row[] => {
		if (!report) return [];
		return [verdictLine(report), ...report.checks.map(check => ({key: `check:${check.id}`, text: '', check})), {key: 'gap', text: ''}, ...resultLines(report, state.reportFiles, state.reportError, width)];
	}, [report, state.reportFiles, state.reportError, width]);
	if (!report) {
		return (
			<Box flexDirection="column">
				<CheckRows checks={state.checks} width={width} />
				<Text color={theme.error} wrap="truncate">
					✗ The drill stopped before it could report (see below) — Esc to go back
				</Text>
			</Box>
		);
	}
	return <BodyRows min={3}>{height => <ScrolledLines rows={rows} height={height} width={width} />}</BodyRows>;
}

type Row = ResultLine & {check?: DrillCheck};

/** `rows` in `height` rows, moved with ↑↓ PgUp PgDn g G; the last row says where it is when they do not all fit. */
function ScrolledLines({rows, height, width}: {rows: readonly Row[]; height: number; width: number}) {
	const theme = useTheme();
	const [offset, setOffset] = useState(0);
	const fits = rows.length <= height;
	const view = fits ? height : Math.max(1, height - 1);
	const top = scrollTo(offset, 0, rows.length, view);
	const page = Math.max(1, view - 1);
	const by = (delta: number) => () => setOffset(current => scrollTo(current, delta, rows.length, view));
	useCommands(fits ? {} : {up: by(-1), down: by(1), pageUp: by(-page), pageDown: by(page), first: by(-rows.length), last: by(rows.length)});
	const shown = rows.slice(top, top + view);
	return (
		<Box flexDirection="column">
			{shown.map(row =>
				row.check ? (
					<CheckRows key={row.key} checks={[row.check]} width={width} />
				) : (
					<Box key={row.key} height={1}>
						<Text wrap="truncate" {...toneProps(row.tone, theme)}>
							{row.text}
						</Text>
					</Box>
				),
			)}
			{fits ? undefined : (
				<Text dimColor wrap="truncate">
					{fitLine(`rows ${formatCount(top + 1)}–${formatCount(top + shown.length)} of ${formatCount(rows.length)} · ↑↓ PgUp PgDn scroll`, width)}
				</Text>
			)}
		</Box>
	);
}

function toneProps(tone: Tone, theme: Theme): {color?: string | undefined; dimColor?: boolean; bold?: boolean} {
	if (tone === 'ok') return {color: theme.ok, bold: true};
	if (tone === 'error') return {color: theme.error, bold: true};
	if (tone === 'warn') return {color: theme.warn};
	if (tone === 'dim') return {dimColor: true};
	if (tone === 'bold') return {bold: true};
	return {};
}
