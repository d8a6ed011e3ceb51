import path from 'node:path';
import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useEffect, useMemo, useReducer, useState, type Dispatch, type ReactNode} from 'react';
import type {ArchiveSource} from '../../core/archive/archive-reader.js';
import type {BackupListing} from '../../core/backup/list-backups.js';
import {formatBytes, formatCount, formatDuration} from '../../core/format.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import {formatDangling, formatSecrets, MODE_SUMMARY, postRestoreChecklist, type CategoryPlan, type DanglingReference, type RestoreMode, type RestorePlan, type RestoreResult} from '../../core/restore/index.js';
import {Busy} from '../components/Busy.js';
import {Checklist} from '../components/Checklist.js';
import {CancelPrompt} from '../components/CancelPrompt.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {KeyValue} from '../components/KeyValue.js';
import {MultiSelectList} from '../components/MultiSelectList.js';
import {SelectList, type ListItem} from '../components/SelectList.js';
import {SideBySide} from '../components/SideBySide.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {TextField} from '../components/TextField.js';
import {TransferProgress} from '../components/TransferProgress.js';
import {useConsole, type Navigation} from '../console-context.js';
import {listWhere, refAt, type BackupRef} from '../destination-access.js';
import {readGatewaySummary, type GatewaySummary} from '../gateway-summary.js';
import {resolveTypedDir} from '../prepare-gateway.js';
import {bareDataDir} from '../../core/store/new-data-dir.js';
import {useAsync, type AsyncState} from '../hooks/use-async.js';
import {useHoldsConsole} from '../hooks/use-console-input.js';
import {useConfirmCancel, type CancelPhase} from '../hooks/use-confirm-cancel.js';
import {useApplyRestore, useConflictDetail, useOpenBackup, useRestorePlan, type RestoreProgressView} from '../hooks/use-restore.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useCommands, type CommandName} from '../keys.js';
import {shortAge} from '../state/browse.js';
import {
	categoryLabel,
	confirmationWord,
	describeTarget,
	describeTargetLine,
	initialRestoreState,
	needsConfirmation,
	planNeedsConfirmation,
	restoreOptions,
	restoreWizardReducer,
	type RestoreAction,
	type RestoreStep,
	type RestoreTarget,
	type RestoreWizardState,
} from '../state/restore-wizard.js';
import {fit, fitPath, lineWithPath, shortDate, wrapWords} from '../text-fit.js';
import {useTheme, type Theme} from '../theme.js';

const TITLES: Record<RestoreStep, string> = {
	pick: 'Pick a backup',
	passphrase: 'Passphrase',
	opening: 'Opening the backup',
	categories: 'Categories',
	'new-data-dir': 'New data directory',
	target: 'Target tenant',
	'new-tenant': 'New tenant',
	mode: 'Mode',
	planning: 'Dry run',
	plan: 'Dry run',
	conflicts: 'Conflicts',
	conflict: 'Conflict',
	confirm: 'Confirm replace',
	applying: 'Restoring',
	summary: 'Restored',
};

const TEXT_STEPS: ReadonlySet<RestoreStep> = new Set(['passphrase', 'new-tenant', 'new-data-dir', 'confirm']);

type RestoreEngines = {
	opener: ReturnType<typeof useOpenBackup>;
	planner: ReturnType<typeof useRestorePlan>;
	applier: ReturnType<typeof useApplyRestore>;
	detail: ReturnType<typeof useConflictDetail>;
};

/** Restore: pick → passphrase → categories → tenant → mode → dry-run diff → confirm → apply → summary. */
export function RestoreWizard({backupPath, encrypted, from}: {backupPath?: string | undefined; encrypted?: boolean | undefined; from?: {destDir: string} | undefined}) {
	const {gateway, nav, env} = useConsole();
	const {columns} = useTerminalSize();
	const theme = useTheme();
	// An absent or empty data dir (a bare host): the restore builds the gateway in it.
	const [state, dispatch] = useReducer(restoreWizardReducer, undefined, () => initialRestoreState(backupPath, encrypted ?? false, bareDataDir(gateway.dataDir) ? gateway.dataDir : undefined));
	const [picked, setPicked] = useState<Set<string>>(new Set());
	// A conflict's field shown in full takes Esc (back to the fields) from the wizard.
	const [fieldExpanded, setFieldExpanded] = useState(false);
	const opener = useOpenBackup();
	const planner = useRestorePlan();
	const applier = useApplyRestore();
	const detail = useConflictDetail();
	const engines: RestoreEngines = {opener, planner, applier, detail};
	// The pick list reads the folder the operator was browsing (else the default one); f changes it.
	const [pickDir, setPickDir] = useState(from?.destDir ?? gateway.backupDir);
	const [pickingFolder, setPickingFolder] = useState(false);
	const backups = useAsync(() => listWhere(pickDir, env), [pickDir]);
	const gatewaySummary = useAsync(() => readGatewaySummary(gateway.dataDir), [gateway.dataDir]);
	const source = opener.state.status === 'done' ? opener.state.result.source : undefined;
	const options = useMemo(() => restoreOptions(state, gateway.dataDir), [state, gateway.dataDir]);
	// A backup at a remote destination is opened through it (by the file name it is listed under).
	const ref = (backup: string): BackupRef => refAt(pickDir, {path: backup, fileName: listedName(backup)}, env);
	useRestoreWork(state, dispatch, engines, options, source, setPicked, ref);
	// The destination an opened backup reads through is released when it is replaced or the wizard closes.
	const opened = opener.state.status === 'done' ? opener.state.result : undefined;
	useEffect(() => () => void opened?.close(), [opened]);
	// Back to Browse on the folder it was showing, the cursor on the backup restore was started on.
	const leave = () => (from ? nav.browse(from.destDir, backupPath) : nav.home());
	const {stop, textEntry} = useRestoreKeys({state, dispatch, engines, pickingFolder, setPickingFolder, fieldExpanded, leave, picked});
	const {commands, body} = stepView({state, dispatch, engines, columns, theme, picked, setPicked, fieldExpanded, setFieldExpanded, pickDir, setPickDir, pickingFolder, setPickingFolder, backups, gatewaySummary, stop, dataDir: gateway.dataDir, nav});
	return (
		<Frame title={`Restore · ${restoreTitle(state, pickDir, columns)}`} commands={commands} status={restoreStatus(state)} textEntry={textEntry} meanings={planMeanings(state)}>
			<Box key={state.step} flexDirection="column">
				{body}
			</Box>
		</Frame>
	);
}

/** Work steps start their engine call on entry and report back through the reducer. */
function useRestoreWork(
	state: RestoreWizardState,
	dispatch: Dispatch<RestoreAction>,
	{opener, planner, applier, detail}: RestoreEngines,
	options: ReturnType<typeof restoreOptions>,
	source: ArchiveSource | undefined,
	setPicked: (picked: Set<string>) => void,
	ref: (backupPath: string) => BackupRef,
): void {
	useEffect(() => {
		if (state.step === 'opening' && state.backupPath) {
			opener.start(ref(state.backupPath), state.passphrase, {
				onDone: ({metadata}) => {
					setPicked(new Set(metadata.categories));
					dispatch({type: 'opened', metadata});
				},
				onError: error => dispatch({type: 'open-failed', error}),
			});
		}
		if (state.step === 'planning' && source) {
			planner.start(options, source, {
				onDone: plan => dispatch({type: 'planned', plan}),
				onError: (error, cancelled) => dispatch({type: 'plan-failed', error: cancelled ? 'Dry run cancelled' : error}),
			});
		}
		if (state.step === 'applying' && source) {
			applier.start(options, source, {
				onDone: () => dispatch({type: 'applied'}),
				onError: (error, cancelled) => dispatch({type: 'apply-failed', error: cancelled ? 'Restore cancelled; nothing was changed' : error}),
			});
		}
		if (state.step === 'conflict' && source && state.conflict && state.expanded) detail.start(options, source, {category: state.expanded, ...state.conflict});
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [state.step]);
}

/** The wizard's keys: Esc steps back (or cancels the work running), r restores, f picks a folder. */
function useRestoreKeys({
	state,
	dispatch,
	engines: {planner, applier},
	pickingFolder,
	setPickingFolder,
	fieldExpanded,
	leave,
	picked,
}: {
	state: RestoreWizardState;
	dispatch: Dispatch<RestoreAction>;
	engines: RestoreEngines;
	pickingFolder: boolean;
	setPickingFolder: (picking: boolean) => void;
	fieldExpanded: boolean;
	leave: () => void;
	picked: Set<string>;
}): {stop: ReturnType<typeof useConfirmCancel>; textEntry: boolean} {
	const back = () => {
		if (pickingFolder) setPickingFolder(false);
		else if (state.history.length === 0 || state.step === 'summary') leave();
		else dispatch({type: 'back'});
	};
	// Esc while the restore runs asks before throwing the work away (a dry run just stops).
	// Past the commit there is nothing left to cancel.
	const committing = applier.state.status === 'running' && applier.state.progress?.phase === 'commit';
	const stop = useConfirmCancel(state.step === 'applying' && !committing, applier.cancel);
	// Quitting on the too-small line would stop it (the commit included): q waits until it ends.
	useHoldsConsole(state.step === 'applying');
	const handlers: Partial<Record<CommandName, () => void>> = {};
	if (state.step === 'planning') handlers.cancel = planner.cancel;
	else if (state.step === 'applying') Object.assign(handlers, stop.handlers);
	else if (state.step !== 'opening' && !(state.step === 'conflict' && fieldExpanded)) handlers.back = back;
	if (state.step === 'plan') handlers.restore = () => dispatch({type: 'proceed'});
	if (state.step === 'pick' && !pickingFolder) handlers.folder = () => setPickingFolder(true);
	if (state.step === 'categories' && state.metadata && !state.bareHost) {
		const categories = state.metadata.categories.filter(id => picked.has(id));
		handlers.newDataDir = () => dispatch({type: 'into-new-data-dir', categories});
	}
	const textEntry = TEXT_STEPS.has(state.step) || (state.step === 'pick' && pickingFolder);
	useCommands(handlers, {textEntry});
	return {stop, textEntry};
}

/** The file name a backup is listed under: a URL's last segment is percent-encoded. */
function listedName(backupPath: string): string {
	const base = path.basename(backupPath);
	if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(backupPath)) return base;
	try {
		return decodeURIComponent(base);
	} catch {
		return base;
	}
}

function restoreStatus(state: RestoreWizardState): Status | undefined {
	if (!state.error) return undefined;
	const next = state.step === 'passphrase' ? 'type it again, or Esc' : state.step === 'plan' ? 'r to try again, Esc to change the settings' : state.step === 'confirm' ? undefined : 'Esc to go back';
	return errorStatus(state.error, next);
}

function restoreTitle(state: RestoreWizardState, pickDir: string, columns: number): string {
	// The file the operator picked, not the name stored inside it (they can differ: a renamed copy).
	const name = state.backupPath ? path.basename(state.backupPath) : undefined;
	const title = state.step === 'confirm' ? `Confirm ${state.mode}` : TITLES[state.step];
	return state.step === 'pick' ? `${TITLES.pick} · ${fitPath(pickDir, Math.max(10, columns - 30))}` : `${title}${name ? ` · ${name}` : ''}`;
}

function planMeanings(state: RestoreWizardState): Partial<Record<CommandName, string>> | undefined {
	if (state.step !== 'plan') return undefined;
	return {restore: needsConfirmation(state) ? `${state.mode} now (asks you to type a word first)` : 'restore now', back: 'back to the settings'};
}

/** Everything a step's view reads: the wizard's state, its engines and the pick-folder field. */
type StepContext = {
	state: RestoreWizardState;
	dispatch: Dispatch<RestoreAction>;
	engines: RestoreEngines;
	columns: number;
	theme: Theme;
	picked: Set<string>;
	setPicked: (picked: Set<string>) => void;
	fieldExpanded: boolean;
	setFieldExpanded: (expanded: boolean) => void;
	pickDir: string;
	setPickDir: (dir: string) => void;
	pickingFolder: boolean;
	setPickingFolder: (picking: boolean) => void;
	backups: AsyncState<BackupListing[]>;
	gatewaySummary: AsyncState<GatewaySummary>;
	stop: ReturnType<typeof useConfirmCancel>;
	dataDir: string;
	nav: Navigation;
};

type StepView = {commands: CommandName[]; body: ReactNode};

/** The current step's body and the commands its help line shows. */
function stepView(ctx: StepContext): StepView {
	const {state, dispatch, engines, columns} = ctx;
	switch (state.step) {
		case 'pick':
			return pickView(ctx);
		case 'passphrase':
			return {
				commands: ['select', 'back'],
				body: (
					<TextField
						label={`Passphrase for ${path.basename(state.backupPath ?? '')}`}
						mask="*"
						hint="The backup is encrypted; the passphrase is kept in memory only for this restore."
						onSubmit={passphrase => dispatch({type: 'passphrase', passphrase})}
					/>
				),
			};
		case 'opening':
			return {commands: [], body: <Busy label={state.encrypted ? 'Unlocking and reading the backup…' : 'Reading the backup…'} />};
		case 'categories':
			return categoriesView(ctx);
		case 'new-data-dir':
			return newDataDirView(ctx);
		case 'target':
			return targetView(ctx);
		case 'new-tenant':
			return {commands: ['select', 'back'], body: <TextField label="Name of the new tenant" onSubmit={name => dispatch({type: 'new-tenant', name})} />};
		case 'mode':
			return modeView(ctx);
		case 'planning': {
			const {planner} = engines;
			return {commands: ['cancel'], body: <WorkProgress progress={planner.state.status === 'running' ? planner.state.progress : undefined} width={columns} what="Dry run" />};
		}
		case 'plan':
			return {
				commands: ['up', 'down', 'expand', 'restore', 'back'],
				body: <BodyRows>{height => <PlanView plan={state.plan!} state={state} height={height} width={columns} onExpand={category => dispatch({type: 'expand', category})} />}</BodyRows>,
			};
		case 'conflicts':
			return conflictsView(ctx);
		case 'conflict':
			return conflictView(ctx);
		case 'confirm':
			return confirmView(ctx);
		case 'applying': {
			const {applier} = engines;
			const {stop} = ctx;
			return {commands: stop.commands, body: <WorkProgress progress={applier.state.status === 'running' ? applier.state.progress : undefined} width={columns} what="Restore" cancel={stop.phase} />};
		}
		case 'summary': {
			const {applier} = engines;
			const {nav} = ctx;
			return {
				commands: ['up', 'down', 'select', 'back'],
				body:
					applier.state.status !== 'done' ? undefined : applier.state.result.createdDataDir ? (
						<NewGatewaySummary result={applier.state.result} dir={applier.state.result.createdDataDir} width={columns} onOpen={nav.changeDataDir} onHome={nav.home} />
					) : (
						<SummaryView result={applier.state.result} dataDir={ctx.dataDir} width={columns} onQuarantine={nav.quarantine} onHome={nav.home} />
					),
			};
		}
	}
}

function pickView({state, dispatch, columns, pickDir, setPickDir, pickingFolder, setPickingFolder, backups}: StepContext): StepView {
	const list = (
		<PickStep
			backups={backups}
			folder={pickDir}
			selectedPath={state.backupPath}
			reserve={pickingFolder ? 3 : 0}
			width={columns}
			isActive={!pickingFolder}
			onPick={backup => dispatch({type: 'pick', backupPath: backup.path, encrypted: backup.encrypted})}
		/>
	);
	if (!pickingFolder) return {commands: ['up', 'down', 'select', 'folder', 'back'], body: list};
	return {
		commands: ['select', 'back'],
		body: (
			<Box flexDirection="column">
				{list}
				<Box marginTop={1}>
					<TextField
						label="Backups folder"
						initialValue={pickDir}
						onSubmit={dir => {
							if (dir.trim() === '') return;
							setPickDir(dir.trim());
							setPickingFolder(false);
						}}
					/>
				</Box>
			</Box>
		),
	};
}

function categoriesView({state, dispatch, picked, setPicked, columns}: StepContext): StepView {
	const metadata = state.metadata!;
	return {
		commands: state.bareHost ? ['up', 'down', 'toggle', 'toggleAll', 'select', 'back'] : ['up', 'down', 'toggle', 'toggleAll', 'select', 'newDataDir', 'back'],
		body: (
			<Box flexDirection="column">
				<Text dimColor wrap="truncate">
					{terminalSafe(metadata.name)} · {shortDate(metadata.createdAt)} · {metadata.tenant ? `tenant ${terminalSafe(metadata.tenant.slug)}` : `${metadata.tenants.length} tenants`}
				</Text>
				{state.bareHost ? (
					<Text wrap="truncate">{lineWithPath('Into a new gateway in ', state.bareHost, '', columns)}</Text>
				) : undefined}
				<BodyRows reserve={state.bareHost ? 2 : 1}>
					{listHeight => (
						<MultiSelectList
							items={metadata.categories.map(id => ({value: id, label: categoryLabel(id), hint: `${formatCount(metadata.counts[id]?.count ?? 0)}`}))}
							selected={picked}
							height={listHeight}
							onChange={setPicked}
							onSubmit={() => dispatch({type: 'categories', categories: metadata.categories.filter(id => picked.has(id))})}
						/>
					)}
				</BodyRows>
			</Box>
		),
	};
}

/**
 * Restore onto a bare host: the folder of the new gateway, absent or empty (checked here, so a
 * folder holding anything is said at once). The engine builds the gateway beside it and moves it
 * in only when the whole restore succeeded.
 */
function newDataDirView({dispatch}: StepContext): StepView {
	const submit = (typed: string) => {
		if (typed.trim() === '') return dispatch({type: 'new-data-dir', dir: ''});
		const dir = resolveTypedDir(typed);
		if (bareDataDir(dir)) return dispatch({type: 'new-data-dir', dir});
		dispatch({type: 'error', error: `${dir} is not empty: a new gateway is only made in an absent or empty folder`});
	};
	return {
		commands: ['select', 'back'],
		body: (
			<TextField
				label="Folder for the new gateway (absent or empty)"
				hint="It gets a new gateway holding the chosen categories; nothing is there until the whole restore succeeded."
				onSubmit={submit}
			/>
		),
	};
}

/** Where the backup goes: its own tenant, another live one (none in a new data directory), or a new one. */
function targetItems(state: RestoreWizardState, gatewaySummary: AsyncState<GatewaySummary>): Array<ListItem<RestoreTarget>> {
	const sourceTenant = state.metadata!.tenants[0]!;
	const live = gatewaySummary.status === 'done' && !state.newDataDir ? gatewaySummary.value.tenants : [];
	return [
		{key: 'same', label: `Same tenant: ${sourceTenant.slug}`, value: {kind: 'same'}, hint: 'ids kept'},
		...live.filter(tenant => tenant.id !== sourceTenant.id).map(tenant => ({key: tenant.id, label: `Another tenant: ${tenant.slug}`, value: {kind: 'tenant', id: tenant.id, slug: tenant.slug} as RestoreTarget, hint: 'ids remapped'})),
		{key: 'new', label: 'New tenant…', value: {kind: 'new', name: ''}, hint: 'additive or overwrite'},
	];
}

function targetView({state, dispatch, gatewaySummary}: StepContext): StepView {
	const items = targetItems(state, gatewaySummary);
	return {
		commands: ['up', 'down', 'select', 'back'],
		body:
			gatewaySummary.status === 'loading' ? (
				<Busy label="Reading tenants…" />
			) : (
				<BodyRows>{listHeight => <SelectList items={items} height={listHeight} onSelect={item => dispatch({type: 'target', target: item.value})} />}</BodyRows>
			),
	};
}

/** The modes as the mode step lists them (replace stays second: the order operators learned). */
const MODE_ORDER: readonly RestoreMode[] = ['additive', 'replace', 'overwrite'];

/** What becomes of a conflicting entry, in the conflicts list. */
const CONFLICT_FATE: Record<RestoreMode, string> = {
	additive: 'each goes to quarantine, the live one stays',
	overwrite: 'the backup version overwrites the live one',
	replace: 'the backup version replaces the live one',
};

const MODE_TITLE: Record<RestoreMode, string> = {additive: 'Additive', overwrite: 'Overwrite', replace: 'Replace'};

function modeView({state, dispatch, columns}: StepContext): StepView {
	return {
		commands: ['up', 'down', 'select', 'back'],
		body: (
			<Box flexDirection="column">
				<Text dimColor wrap="truncate">
					{describeTargetLine(state, `${state.categories.length} categor${state.categories.length === 1 ? 'y' : 'ies'} into `, '', columns)}
				</Text>
				<SelectList
					items={[
						{key: 'additive', label: 'Additive', value: 'additive' as const, hint: 'add new, skip identical, conflicts to quarantine; never overwrites'},
						{key: 'replace', label: 'Replace', value: 'replace' as const, hint: "make the tenant's data equal to the backup's; deletes the rest"},
						{key: 'overwrite', label: 'Overwrite', value: 'overwrite' as const, hint: "add new, skip identical, backup's version over conflicts; never deletes"},
					]}
					height={3}
					initialIndex={MODE_ORDER.indexOf(state.mode)}
					onSelect={item => dispatch({type: 'mode', mode: item.value})}
				/>
				<Text dimColor>Next: a dry run shows exactly what would change. Nothing is written before you confirm.</Text>
			</Box>
		),
	};
}

function conflictsView({state, dispatch}: StepContext): StepView {
	const category = state.plan!.categories.find(item => item.category === state.expanded)!;
	return {
		commands: ['up', 'down', 'select', 'back'],
		body: (
			<Box flexDirection="column">
				<Text wrap="truncate">
					{formatCount(category.conflicts)} conflict{category.conflicts === 1 ? '' : 's'} in {category.label}
					{category.conflictIdsTruncated > 0 ? ` (first ${formatCount(category.conflictRefs.length)} listed)` : ''}:{' '}
					{CONFLICT_FATE[state.mode]}
				</Text>
				<BodyRows reserve={1}>
					{listHeight => (
						<SelectList
							items={category.conflictRefs.map(ref => ({key: `${ref.table}:${ref.id}`, label: `${fit(ref.table, 18)} ${ref.id}`, value: ref}))}
							height={listHeight}
							onSelect={item => dispatch({type: 'show-conflict', conflict: item.value})}
						/>
					)}
				</BodyRows>
			</Box>
		),
	};
}

function conflictView({engines, columns, theme, setFieldExpanded, fieldExpanded}: StepContext): StepView {
	const shown = engines.detail.state;
	const commands: CommandName[] = shown.status !== 'done' ? ['back'] : fieldExpanded ? ['up', 'down', 'pageUp', 'pageDown', 'back'] : ['up', 'down', 'expand', 'back'];
	if (shown.status === 'error') return {commands, body: <Text color={theme.error}>✗ {shown.error} — Esc to go back</Text>};
	if (shown.status !== 'done') return {commands, body: <Busy label="Reading the entry from the backup…" />};
	return {
		commands,
		body: (
			<Box flexDirection="column">
				<Text wrap="truncate">
					{shown.result.table} {shown.result.id} · {shown.result.changed.length} {shown.result.changed.length === 1 ? 'field differs' : 'fields differ'} (≠)
				</Text>
				<BodyRows reserve={1}>
					{height => (
						<SideBySide
							backup={shown.result.backup}
							live={shown.result.live}
							changed={shown.result.changed}
							width={columns}
							height={height}
							isActive
							onExpandedChange={setFieldExpanded}
						/>
					)}
				</BodyRows>
			</Box>
		),
	};
}

function confirmView({state, dispatch, theme}: StepContext): StepView {
	const plan = state.plan!;
	return {
		commands: ['select', 'back'],
		body: (
			<Box flexDirection="column">
				<Text color={theme.warn} bold wrap="wrap">
					{plan.mode === 'overwrite' ? (
						<>
							Overwrite writes the backup's version over {formatCount(plan.totals.conflicts)} live entr{plan.totals.conflicts === 1 ? 'y' : 'ies'} in {describeTarget(state)} ({plan.categories.length} categories)
							and adds {formatCount(plan.totals.new)} new; nothing is deleted.
						</>
					) : (
						<>
							Replace deletes {formatCount(plan.totals.toDelete)} live entr{plan.totals.toDelete === 1 ? 'y' : 'ies'} and overwrites {formatCount(plan.totals.conflicts)} in{' '}
							{describeTarget(state)} ({plan.categories.length} categories), then loads the backup's {formatCount(plan.totals.new + plan.totals.conflicts)}.
						</>
					)}
				</Text>
				<Box marginTop={1}>
					<TextField label={`Type ${confirmationWord(state)} to confirm`} onSubmit={typed => dispatch({type: 'confirm', typed})} />
				</Box>
			</Box>
		),
	};
}

/**
 * The pick list: every backup of the folder; one that cannot be read is listed greyed with the
 * reason and cannot be picked (a restore of it would fail), so nothing in the folder is hidden.
 */
function PickStep({
	backups,
	folder,
	selectedPath,
	reserve,
	width,
	isActive,
	onPick,
}: {
	backups: AsyncState<BackupListing[]>;
	folder: string;
	/** The backup picked before (back from a later step): the cursor starts on it. */
	selectedPath: string | undefined;
	/** Body rows kept for what is drawn under the list (the folder field). */
	reserve: number;
	width: number;
	isActive: boolean;
	onPick: (backup: BackupListing) => void;
}) {
	const theme = useTheme();
	if (backups.status === 'loading') return <Busy label={`Reading ${fitPath(folder, Math.max(10, width - 12))}…`} />;
	if (backups.status === 'error') return <Text color={theme.error}>✗ {backups.error} — f to pick another folder, Esc to go back</Text>;
	if (backups.value.length === 0) return <Text>No backups in {folder} yet. Create one first, or press f to look in another folder.</Text>;
	const items: Array<ListItem<BackupListing>> = backups.value.map(backup => ({key: backup.path, label: backup.fileName, value: backup, disabled: !backup.summary}));
	const unreadable = items.filter(item => item.disabled).length;
	return (
		<Box flexDirection="column">
			<BodyRows reserve={reserve + (unreadable > 0 ? 1 : 0)} min={2}>
				{height => (
					<SelectList
						items={items}
						height={height}
						isActive={isActive}
						initialIndex={Math.max(0, items.findIndex(item => item.key === selectedPath))}
						onSelect={item => onPick(item.value)}
						renderRow={(item, selected) => <BackupRow backup={item.value} selected={selected} width={width} />}
					/>
				)}
			</BodyRows>
			{unreadable > 0 ? (
				<Text dimColor wrap="truncate">
					{formatCount(unreadable)} backup{unreadable === 1 ? '' : 's'} cannot be read and cannot be restored (greyed, with the reason)
				</Text>
			) : undefined}
		</Box>
	);
}

/** Why a listed backup cannot be read, without its path (the row already names the file). */
function unreadableReason(backup: BackupListing): string {
	const error = backup.error ?? 'unknown problem';
	return error.startsWith(backup.path) ? error.slice(backup.path.length).replace(/^(:\s*|\s+is\s+)/, '') : error;
}

function BackupRow({backup, selected, width}: {backup: BackupListing; selected: boolean; width: number}) {
	const theme = useTheme();
	const summary = backup.summary;
	if (!summary) {
		return (
			<Text dimColor bold={selected} wrap="truncate">
				{selected ? '› ' : '  '}
				{fit(backup.fileName, Math.max(10, Math.min(40, width - 30)))} unreadable: {unreadableReason(backup)}
			</Text>
		);
	}
	const scope = summary.tenant ? `tenant ${summary.tenant}` : `${summary.tenants} tenants`;
	const fixed = 16 + 1 + 4 + 1 + 16 + 1 + 3 + 2;
	return (
		<Text color={selected ? theme.selected : undefined} bold={selected} inverse={selected && !theme.color} wrap="truncate">
			{selected ? '› ' : '  '}
			{fit(backup.fileName, Math.max(10, width - fixed - 2))} {shortDate(summary.createdAt)} {fit(shortAge(summary.createdAt), 4, 'right')} {fit(scope, 16)} {backup.encrypted ? 'enc' : '   '}
		</Text>
	);
}

/**
 * A dry run's or a restore's progress. `cancel` (the restore): how to cancel under every phase it
 * can be cancelled in, and the y/n question once Esc was pressed.
 */
function WorkProgress({progress, width, what, cancel}: {progress: RestoreProgressView | undefined; width: number; what: string; cancel?: CancelPhase | undefined}) {
	let view: ReactNode;
	let hint: string | undefined;
	if (!progress) view = <Busy label={`${what}: opening…`} />;
	else if (progress.phase === 'verify') {
		hint = 'Esc cancels';
		view = (
			<>
				<Busy label={`${what}: verifying every file of the backup`} />
				{progress.bytesTotal > 0 ? <TransferProgress transfer={{bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal, elapsedMs: progress.elapsedMs}} width={width} /> : undefined}
			</>
		);
	} else if (progress.phase === 'plan') view = <Busy label={`${what}: comparing ${categoryLabel(progress.category)} (${formatCount(progress.rows)} rows)`} />;
	else if (progress.phase === 'commit') return <Busy label="Committing…" />;
	else {
		hint = 'Esc cancels (nothing changes unless the whole restore succeeds)';
		view = (
			<>
				<Busy label={`Restoring ${categoryLabel(progress.category)}: ${formatCount(progress.rows)} rows`} />
				{progress.bytesTotal > 0 ? <TransferProgress transfer={{bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal, elapsedMs: progress.elapsedMs}} width={width} /> : undefined}
			</>
		);
	}
	return (
		<Box flexDirection="column">
			{view}
			{cancel ? (
				<CancelPrompt phase={cancel} what="restore" hint={hint ?? 'Esc cancels (nothing changes unless the whole restore succeeds)'} cancelling="Cancelling; nothing is changed…" />
			) : hint ? (
				<Text dimColor>{hint}</Text>
			) : undefined}
		</Box>
	);
}

/** The plan table's columns at their narrowest (74 columns with the cursor's two): counts up to 9,999,999 fit. */
const PLAN_COLUMNS = {category: 20, new: 8, identical: 10, conflicts: 10, toDelete: 10, size: 9};

type PlanColumns = typeof PLAN_COLUMNS;
type PlanCounts = {new: number; identical: number; conflicts: number; toDelete: number};
const COUNT_COLUMNS = ['new', 'identical', 'conflicts', 'toDelete'] as const;

/**
 * The columns of this plan: a count column widens to its widest count (the totals included), so a
 * count is never cut ("999,999,999" takes 11: the table is then 80 columns with the cursor's two).
 */
function planColumns(plan: RestorePlan): PlanColumns {
	const columns = {...PLAN_COLUMNS};
	for (const key of COUNT_COLUMNS) {
		for (const counts of [plan.totals, ...plan.categories]) columns[key] = Math.max(columns[key], formatCount(counts[key]).length);
	}
	return columns;
}

function planWidth(columns: PlanColumns): number {
	return Object.values(columns).reduce((sum, width) => sum + width, 0) + Object.keys(columns).length - 1;
}

function planCells(columns: PlanColumns, label: string, counts: PlanCounts, bytes: string): string {
	return [
		fit(label, columns.category),
		fit(formatCount(counts.new), columns.new, 'right'),
		fit(formatCount(counts.identical), columns.identical, 'right'),
		fit(formatCount(counts.conflicts), columns.conflicts, 'right'),
		fit(formatCount(counts.toDelete), columns.toDelete, 'right'),
		fit(bytes, columns.size, 'right'),
	].join(' ');
}

function planHeader(columns: PlanColumns): string {
	return [
		fit('Category', columns.category),
		fit('New', columns.new, 'right'),
		fit('Identical', columns.identical, 'right'),
		fit('Conflicts', columns.conflicts, 'right'),
		fit('To delete', columns.toDelete, 'right'),
		fit('Size', columns.size, 'right'),
	].join(' ');
}

/** The dry-run diff: one row per category, totals, secrets to re-enter. */
export function PlanView({plan, state, height, width, onExpand}: {plan: RestorePlan; state: RestoreWizardState; height: number; width: number; onExpand: (category: CategoryPlan['category']) => void}) {
	const theme = useTheme();
	const items = plan.categories.map(category => ({key: category.category, label: category.label, value: category}));
	const secrets = plan.secretsToReenter.length > 0 ? formatSecrets(plan.secretsToReenter) : '';
	// The dangling-references warning has its own line (what to tick first); the others share one.
	const danglingWarning = formatDangling(plan.danglingReferences, plan.categories.map(category => category.category));
	const warnings = plan.warnings.filter(warning => warning !== danglingWarning);
	const chain = plan.backup.chain;
	const columns = planColumns(plan);
	// Narrower than the table (with the cursor's two columns; never less than 76): a line says so.
	const narrow = width < Math.max(76, planWidth(columns) + 2);
	const extraLines = 5 + (chain ? 1 : 0) + (secrets ? 1 : 0) + (warnings.length > 0 ? 1 : 0) + (danglingWarning ? 1 : 0) + (narrow ? 1 : 0);
	return (
		<Box flexDirection="column">
			<Text wrap="truncate">
				<Text bold>{MODE_TITLE[plan.mode]}</Text>
				{describeTargetLine(state, ` of ${plan.backup.name} into `, ' · nothing written yet', width - MODE_TITLE[plan.mode].length)}
			</Text>
			{chain ? (
				<Text wrap="truncate">
					Chain of {chain.length}, applied in order: {chain.map(link => link.name).join(' → ')}
				</Text>
			) : undefined}
			<Text dimColor wrap="truncate">
				{MODE_TITLE[plan.mode]} {MODE_SUMMARY[plan.mode]}
			</Text>
			<Text dimColor wrap="truncate">
				{'  '}
				{planHeader(columns)}
			</Text>
			<SelectList
				items={items}
				height={Math.max(2, height - extraLines)}
				onSelect={item => {
					if (item.value.conflicts > 0) onExpand(item.value.category);
				}}
				renderRow={(item, selected) => (
					<Text color={selected ? theme.selected : item.value.conflicts > 0 ? theme.warn : undefined} bold={selected} inverse={selected && !theme.color} wrap="truncate">
						{selected ? '› ' : '  '}
						{planCells(columns, item.value.label, item.value, formatBytes(item.value.bytes))}
					</Text>
				)}
			/>
			<Text bold wrap="truncate">
				{'  '}
				{planCells(columns, 'Total', plan.totals, formatBytes(plan.totals.bytes))}
			</Text>
			{secrets ? (
				<Text dimColor wrap="truncate">
					Secrets to re-enter after: {secrets}
				</Text>
			) : undefined}
			{danglingWarning ? <DanglingLine references={plan.danglingReferences} /> : undefined}
			{warnings.length > 0 ? (
				<Text color={theme.warn} wrap="truncate">
					! {warnings[0]}
					{warnings.length > 1 ? ` (+${warnings.length - 1} more)` : ''}
				</Text>
			) : undefined}
			<Text bold wrap="truncate">
				{plan.totals.conflicts > 0 ? 'Enter lists a category’s conflicts · ' : ''}r{' '}
				{planNeedsConfirmation(plan) ? `${plan.mode} now (asks to confirm)` : 'restore now'} · Esc change settings
			</Text>
			{narrow ? <Text dimColor>Widen the terminal to see every column.</Text> : undefined}
		</Box>
	);
}

/** "! 60 references would dangle: go back (Esc) to Categories and tick Users, Agents · conversations.user_id → users ×30, …" */
function DanglingLine({references}: {references: readonly DanglingReference[]}) {
	const theme = useTheme();
	const total = references.reduce((sum, reference) => sum + reference.count, 0);
	const labels = [...new Set(references.map(reference => reference.category))].map(categoryLabel);
	const which = references.map(reference => `${reference.table}.${reference.column} → ${reference.target} ×${formatCount(reference.count)}`).join(', ');
	return (
		<Text color={theme.warn} wrap="truncate">
			! {formatCount(total)} reference{total === 1 ? '' : 's'} would dangle: go back (Esc) to Categories and tick {labels.join(', ')} · {which}
		</Text>
	);
}

function SummaryView({result, dataDir, width, onQuarantine, onHome}: {result: RestoreResult; dataDir: string; width: number; onQuarantine: () => void; onHome: () => void}) {
	const theme = useTheme();
	const {applied} = result;
	const checklist = postRestoreChecklist({secretsToReenter: result.secretsToReenter, twoFactor: result.plan.twoFactor});
	const items: Array<ListItem<'quarantine' | 'home'>> = [
		...(result.quarantineDir ? [{key: 'q', label: 'Open quarantine', value: 'quarantine' as const}] : []),
		{key: 'home', label: 'Home', value: 'home' as const},
	];
	return (
		<Box flexDirection="column">
			<Text color={theme.ok} bold>
				✓ Restored ({result.plan.mode}) in {formatDuration(result.durationMs)}
				{result.plan.backup.chain ? ` from a chain of ${result.plan.backup.chain.length}` : ''}
			</Text>
			<Text dimColor wrap="truncate">
				The dry run's Total, done (rows and files alike):
			</Text>
			<KeyValue label="New">{formatCount(applied.new)} (written)</KeyValue>
			<KeyValue label="Identical">{formatCount(applied.identical)} (left as they were)</KeyValue>
			<KeyValue label="Conflicts">
				{formatCount(applied.conflicts)}
				{applied.conflicts === 0 ? '' : result.plan.mode === 'replace' ? ' (replaced by the backup version)' : result.plan.mode === 'overwrite' ? ' (overwritten by the backup version)' : ' (set aside, see Quarantined)'}
			</KeyValue>
			<KeyValue label="Deleted">{formatCount(applied.deleted)}</KeyValue>
			{/* The whole quarantine path, wrapped: the operator copies it to review the entries. */}
			<Box>
				<Box width={LABEL_WIDTH} flexShrink={0}>
					<Text dimColor>Quarantined</Text>
				</Box>
				<Box flexShrink={1}>
					<Text wrap="wrap">{quarantinedText(result, dataDir)}</Text>
				</Box>
			</Box>
			<KeyValue label="Restore id">{result.restoreId}</KeyValue>
			{/* The same steps `backup restore` prints, as many as the rows left under the figures and above the choices. */}
			<BodyRows reserve={summaryRowsAround(result, dataDir, width, items.length)} min={2}>
				{rows => <Checklist items={checklist} rows={rows} />}
			</BodyRows>
			{result.warnings.length > 0 ? (
				<Text color={theme.warn} wrap="truncate">
					! {result.warnings[0]}
				</Text>
			) : undefined}
			<Box marginTop={1}>
				<SelectList items={items} height={items.length} onSelect={item => (item.value === 'quarantine' ? onQuarantine() : onHome())} />
			</Box>
		</Box>
	);
}

/** Label column of the summary's figures (KeyValue's). */
const LABEL_WIDTH = 14;

/** The quarantine line: how many, and the whole path (wrapped: the operator copies it). */
function quarantinedText(result: RestoreResult, dataDir: string): string {
	return `${formatCount(result.applied.quarantined)}${result.quarantineDir ? ` in ${path.join(dataDir, result.quarantineDir)}` : ''}`;
}

/**
 * Body rows the summary takes besides the checklist's steps: the eight lines of figures (the
 * quarantine path as many rows as it wraps to), the checklist's heading, the warning, and the
 * choices under a blank row. wrapWords may count one row more than the terminal draws (it starts
 * a long path on a new row): a blank row then, never one drawn over another.
 */
function summaryRowsAround(result: RestoreResult, dataDir: string, width: number, choices: number): number {
	const quarantined = wrapWords(quarantinedText(result, dataDir), Math.max(1, width - LABEL_WIDTH)).length;
	return 7 + quarantined + 1 + (result.warnings.length > 0 ? 1 : 0) + 1 + choices;
}

/**
 * After a restore onto a bare host: where the new gateway is, what it got, and the post-restore
 * checklist (the same steps `backup restore` prints), as many as the screen has rows for.
 */
function NewGatewaySummary({result, dir, width, onOpen, onHome}: {result: RestoreResult; dir: string; width: number; onOpen: (dataDir: string) => void; onHome: () => void}) {
	const theme = useTheme();
	const checklist = postRestoreChecklist({secretsToReenter: result.secretsToReenter, twoFactor: result.plan.twoFactor});
	const items: Array<ListItem<'open' | 'home'>> = [
		{key: 'open', label: 'Open the new gateway', value: 'open'},
		{key: 'home', label: 'Home', value: 'home'},
	];
	return (
		<Box flexDirection="column">
			<Text color={theme.ok} bold wrap="truncate">
				✓ New gateway restored in {formatDuration(result.durationMs)}
			</Text>
			{/* One row, as the 7 rows reserved below count it: a long path is cut at its start (its end names the folder). */}
			<Text wrap="truncate">{fitPath(dir, width)}</Text>
			<Text dimColor wrap="truncate">
				{formatCount(result.applied.new)} entries written (rows and files) · restore id {result.restoreId}
			</Text>
			<BodyRows reserve={7} min={1}>
				{rows => <Checklist items={checklist} rows={rows} />}
			</BodyRows>
			<SelectList items={items} height={items.length} onSelect={item => (item.value === 'open' ? onOpen(dir) : onHome())} />
		</Box>
	);
}
