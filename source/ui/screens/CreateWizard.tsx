import fs from 'node:fs';
import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useMemo, useReducer, useState, type Dispatch, type ReactNode} from 'react';
import type {BackupResult} from '../../core/backup/create-backup.js';
import {ARCHIVE_FORMATS, defaultBackupName, type ArchiveFormat} from '../../core/archive/archive-format.js';
import {zstdInstalled} from '../../core/archive/zstd-process.js';
import {formatBytes, formatCount, formatDuration, formatRetry, formatTableProgress} from '../../core/format.js';
import {CATEGORIES, categorySpec, type CategoryId} from '../../core/store/schema.js';
import {Busy} from '../components/Busy.js';
import {CancelPrompt} from '../components/CancelPrompt.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {KeyValue} from '../components/KeyValue.js';
import {MultiSelectList} from '../components/MultiSelectList.js';
import {SelectList, type ListItem} from '../components/SelectList.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {TextField} from '../components/TextField.js';
import {TransferProgress} from '../components/TransferProgress.js';
import {DestinationList} from '../components/DestinationList.js';
import {useConsole, type Navigation} from '../console-context.js';
import {readNamedOrNone, refAt, testWhere} from '../destination-access.js';
import {describeError} from '../describe-error.js';
import {destinationChoices, typedDestination, type DestinationChoice} from '../state/destinations.js';
import type {TestStep} from '../../core/destinations/test-destination.js';
import {useTask} from '../hooks/use-task.js';
import {readGatewaySummary, type GatewaySummary} from '../gateway-summary.js';
import {useAsync, type AsyncState} from '../hooks/use-async.js';
import {useHoldsConsole} from '../hooks/use-console-input.js';
import {useConfirmCancel, type CancelPhase} from '../hooks/use-confirm-cancel.js';
import {useCreateBackup, type CreateProgress} from '../hooks/use-create-backup.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useVerify} from '../hooks/use-verify.js';
import {useCommands, type CommandName} from '../keys.js';
import {readPassphraseFile} from '../../core/backup/passphrase-file.js';
import {describeStrength, passphraseStrength} from '../../core/crypto/passphrase-strength.js';
import {backupOptions, createWizardReducer, initialCreateState, outputName, outputPath, reviewLines, type CreateAction, type CreateStep, type CreateWizardState, type Encryption, type WizardTenant} from '../state/create-wizard.js';
import {fitPath} from '../text-fit.js';
import {useTheme, type Theme} from '../theme.js';
import {VerifyPanel} from './VerifyPanel.js';

const STEP_TITLES: Record<CreateStep, string> = {
	scope: 'What to back up',
	categories: 'Pick categories',
	tenant: 'Which tenants',
	format: 'Format',
	encryption: 'Encryption',
	passphrase: 'Passphrase',
	'passphrase-confirm': 'Passphrase again',
	'passphrase-file': 'Passphrase file',
	destination: 'Destination',
	'destination-other': 'Destination',
	name: 'Name',
	review: 'Review',
	running: 'Backing up',
	result: 'Done',
};

const TEXT_STEPS: ReadonlySet<CreateStep> = new Set(['passphrase', 'passphrase-confirm', 'passphrase-file', 'destination-other', 'name']);

const FORMAT_LABELS: Record<ArchiveFormat, string> = {zip: 'zip (default)', 'tar.gz': 'tar.gz', 'tar.zst': 'tar.zst', json: 'json (one JSON file, uncompressed; no document files)', dir: 'directory (plain folder, cannot be encrypted)'};

/** The steps counted in "Step n of 7"; the categories and passphrase steps count as the one they belong to. */
const NUMBERED_STEPS = ['scope', 'tenant', 'format', 'encryption', 'destination', 'name', 'review'];

/** Create backup: scope → tenants → format → encryption → destination → name → review → run → result. */
export function CreateWizard() {
	const {gateway, nav, env} = useConsole();
	const {columns} = useTerminalSize();
	const theme = useTheme();
	const [state, dispatch] = useReducer(createWizardReducer, {destDir: gateway.backupDir, name: defaultBackupName(new Date())}, initialCreateState);
	const destinations = useDestinationStep(state.step, gateway.backupDir, env);
	const [picked, setPicked] = useState<Set<string>>(new Set());
	const summary = useAsync(() => readGatewaySummary(gateway.dataDir), [gateway.dataDir]);
	const backup = useCreateBackup();
	const verify = useVerify();
	// Esc while the backup runs asks before throwing the work away.
	const stop = useConfirmCancel(state.step === 'running', backup.cancel);
	useHoldsConsole(state.step === 'running');
	const {askWeak, textEntry} = useCreateKeys({state, dispatch, stop, onHome: nav.home, onStart: () => startBackup(state, dispatch, backup, gateway.dataDir), onTest: destinations.runTest});
	const {commands, body} = stepView({state, dispatch, columns, theme, picked, setPicked, summary, askWeak, backup, verify, stop, nav, destinations, env});
	const position = stepPosition(state.step);
	return (
		<Frame title={`Create backup · ${STEP_TITLES[state.step]}`} commands={commands} status={createStatus(state)} textEntry={textEntry} meanings={createMeanings(state.step)}>
			{position >= 0 ? (
				<Text dimColor>
					Step {position + 1} of {NUMBERED_STEPS.length}
				</Text>
			) : undefined}
			{/* Keyed by step: each step's list starts fresh instead of inheriting the last one's cursor. */}
			<Box key={state.step} flexDirection="column" marginTop={position >= 0 ? 1 : 0}>
				{body}
			</Box>
		</Frame>
	);
}

type CreateBackupTask = ReturnType<typeof useCreateBackup>;

/** The destination step's list, the row under the cursor, and `destination test` on it (t). */
function useDestinationStep(step: CreateStep, backupDir: string, env: NodeJS.ProcessEnv) {
	const onStep = step === 'destination';
	// Read again each time the step is shown (a destination added meanwhile shows up).
	const named = useMemo(() => readNamedOrNone(env), [env, onStep]);
	const choices = useMemo(() => destinationChoices(backupDir, named.named), [backupDir, named]);
	const [highlighted, setHighlighted] = useState<DestinationChoice | undefined>(undefined);
	const test = useTask<{ok: boolean; steps: TestStep[]}, TestStep[]>();
	// The row the shown results belong to: moving the cursor leaves them with their row.
	const [tested, setTested] = useState<string | undefined>(undefined);
	const runTest = () => {
		const choice = highlighted ?? choices[0];
		if (!choice || choice.other || choice.problem) return;
		setTested(choice.key);
		test.start(async (_signal, onProgress) => {
			const steps: TestStep[] = [];
			return testWhere(choice.where, env, done => {
				steps.push(done);
				onProgress([...steps]);
			});
		});
	};
	return {named, choices, highlighted, setHighlighted, test, tested, runTest};
}

type DestinationStep = ReturnType<typeof useDestinationStep>;

/** Runs the backup the review shows; the wizard moves to its result (or back with the error). */
function startBackup(state: CreateWizardState, dispatch: Dispatch<CreateAction>, backup: CreateBackupTask, dataDir: string): void {
	dispatch({type: 'start'});
	const passphrase = state.encryption === 'passphrase' ? state.passphrase : undefined;
	const handlers = {
		onDone: () => dispatch({type: 'finished'}),
		onError: (error: string, cancelled: boolean) => dispatch({type: 'failed', error: cancelled ? 'Backup cancelled; nothing partial was left behind' : error}),
	};
	// A remote destination is opened when the backup starts and the archive streamed into it.
	backup.start(backupOptions(state, dataDir, passphrase), state.encryption === 'file' ? state.passphraseFile : undefined, handlers, state.destRemote ? state.destDir : undefined);
}

/** Verifies the backup just written, with the passphrase it was written with. */
async function runVerify(state: CreateWizardState, backup: CreateBackupTask, verify: ReturnType<typeof useVerify>, env: NodeJS.ProcessEnv): Promise<void> {
	if (backup.state.status !== 'done') return;
	let passphrase: string | undefined;
	if (state.encryption === 'passphrase') passphrase = state.passphrase;
	if (state.encryption === 'file') passphrase = await readPassphraseFile(state.passphraseFile).catch(() => undefined);
	verify.start(state.destRemote ? refAt(state.destDir, {path: backup.state.result.path, fileName: outputName(state)}, env) : backup.state.result.path, passphrase);
}

/** The wizard's keys: Esc steps back (or cancels the running backup), y/n answer the weak-passphrase question, Enter on the review starts. */
function useCreateKeys({
	state,
	dispatch,
	stop,
	onHome,
	onStart,
	onTest,
}: {
	state: CreateWizardState;
	dispatch: Dispatch<CreateAction>;
	stop: ReturnType<typeof useConfirmCancel>;
	onHome: () => void;
	onStart: () => void;
	onTest: () => void;
}): {askWeak: boolean; textEntry: boolean} {
	// Asking about a weak passphrase: y and n are answers, not typed text.
	const askWeak = state.step === 'passphrase' && state.weakPassphrase === 'ask';
	const textEntry = TEXT_STEPS.has(state.step) && !askWeak;
	const back = () => {
		if (state.step === 'scope' || state.step === 'result') onHome();
		else dispatch({type: 'back'});
	};
	const handlers: Partial<Record<CommandName, () => void>> = {};
	if (state.step === 'running') Object.assign(handlers, stop.handlers);
	else if (askWeak) {
		handlers.yes = () => dispatch({type: 'weak', use: true});
		handlers.no = () => dispatch({type: 'weak', use: false});
	} else handlers.back = back;
	if (state.step === 'review') handlers.select = onStart;
	if (state.step === 'destination') handlers.test = onTest;
	useCommands(handlers, {textEntry});
	return {askWeak, textEntry};
}

function createStatus(state: CreateWizardState): Status | undefined {
	if (!state.error) return undefined;
	const next = state.step === 'review' ? 'Esc to change the settings, Enter to try again' : undefined;
	return errorStatus(state.error, next);
}

function createMeanings(step: CreateStep): Partial<Record<CommandName, string>> | undefined {
	if (step === 'destination') return {select: 'write the backup there (Another path or URL: type one)'};
	return step === 'review' ? {select: 'start the backup'} : step === 'categories' ? {select: 'go on with the ticked categories'} : undefined;
}

/** Where the step is in "Step n of 7" (0-based), -1 for running and result. */
function stepPosition(step: CreateStep): number {
	return NUMBERED_STEPS.indexOf(step === 'categories' ? 'scope' : step.startsWith('passphrase') ? 'encryption' : step.startsWith('destination') ? 'destination' : step);
}

/** Everything a step's view reads. */
type StepContext = {
	state: CreateWizardState;
	dispatch: Dispatch<CreateAction>;
	columns: number;
	theme: Theme;
	picked: Set<string>;
	setPicked: (picked: Set<string>) => void;
	summary: AsyncState<GatewaySummary>;
	askWeak: boolean;
	backup: CreateBackupTask;
	verify: ReturnType<typeof useVerify>;
	stop: ReturnType<typeof useConfirmCancel>;
	nav: Navigation;
	destinations: DestinationStep;
	env: NodeJS.ProcessEnv;
};

type StepView = {commands: CommandName[]; body: ReactNode};

/** The current step's body and the commands its help line shows. */
function stepView(ctx: StepContext): StepView {
	const {state, dispatch, columns} = ctx;
	switch (state.step) {
		case 'scope':
			return scopeView(ctx);
		case 'categories':
			return categoriesView(ctx);
		case 'tenant':
			return tenantView(ctx);
		case 'format':
			return formatView(ctx);
		case 'encryption':
			return encryptionView(ctx);
		case 'passphrase':
		case 'passphrase-confirm':
			return passphraseView(ctx);
		case 'passphrase-file':
			return passphraseFileView(ctx);
		case 'destination':
			return destinationView(ctx);
		case 'destination-other':
			return destinationOtherView(ctx);
		case 'name':
			return {
				commands: ['select', 'back'],
				body: <TextField label="Backup name" initialValue={state.name} onChange={value => dispatch({type: 'edit', field: 'name', value})} onSubmit={() => dispatch({type: 'submit'})} />,
			};
		case 'review':
			return reviewView(ctx);
		case 'running': {
			const {backup, stop} = ctx;
			return {
				commands: stop.commands,
				body: (
					<Box flexDirection="column">
						<KeyValue label="Output">{fitPath(outputPath(state), columns - 16)}</KeyValue>
						<Box marginTop={1}>
							<RunningView progress={backup.state.status === 'running' ? backup.state.progress : undefined} width={columns} cancel={stop.phase} />
						</Box>
					</Box>
				),
			};
		}
		case 'result':
			return resultView(ctx);
	}
}

function scopeView({state, dispatch}: StepContext): StepView {
	return {
		commands: ['up', 'down', 'select', 'back'],
		body: (
			<BodyRows reserve={2}>
				{listHeight => (
					<SelectList
						items={[
							{key: 'all', label: 'Everything', value: 'all' as const, hint: 'every category'},
							{key: 'pick', label: 'Pick categories…', value: 'pick' as const},
						]}
						height={listHeight}
						initialIndex={state.scope === 'pick' ? 1 : 0}
						onSelect={item => dispatch({type: 'scope', scope: item.value})}
					/>
				)}
			</BodyRows>
		),
	};
}

function categoriesView({dispatch, picked, setPicked}: StepContext): StepView {
	return {
		commands: ['up', 'down', 'toggle', 'toggleAll', 'select', 'back'],
		body: (
			<BodyRows reserve={2}>
				{listHeight => (
					<MultiSelectList
						items={CATEGORIES.map(category => ({value: category.id, label: category.label, hint: category.scope === 'gateway' ? `${category.description} (gateway-wide)` : category.description}))}
						selected={picked}
						height={listHeight}
						onChange={setPicked}
						onSubmit={() => dispatch({type: 'categories', categories: CATEGORIES.map(category => category.id).filter(id => picked.has(id)) as CategoryId[]})}
					/>
				)}
			</BodyRows>
		),
	};
}

function tenantView({dispatch, summary}: StepContext): StepView {
	const tenants = summary.status === 'done' ? summary.value.tenants : [];
	const items: Array<ListItem<WizardTenant | null>> = [
		{key: '*', label: 'All tenants', value: null},
		...tenants.map(tenant => ({key: tenant.id, label: tenant.name, value: {id: tenant.id, slug: tenant.slug}, hint: tenant.slug})),
	];
	return {
		commands: ['up', 'down', 'select', 'back'],
		body:
			summary.status === 'loading' ? (
				<Busy label="Reading tenants…" />
			) : (
				<BodyRows reserve={2}>{listHeight => <SelectList items={items} height={listHeight} onSelect={item => dispatch({type: 'tenant', tenant: item.value})} />}</BodyRows>
			),
	};
}

function formatView({state, dispatch}: StepContext): StepView {
	// tar.zst stays listed without the zstd program, dimmed and not selectable (SelectList's disabled row).
	const zstd = zstdInstalled();
	return {
		commands: ['up', 'down', 'select', 'back'],
		body: (
			<BodyRows reserve={2}>
				{listHeight => (
					<SelectList
						items={ARCHIVE_FORMATS.map(format => (format === 'tar.zst' && !zstd ? {key: format, label: 'tar.zst (needs zstd)', value: format, disabled: true} : {key: format, label: FORMAT_LABELS[format], value: format}))}
						height={listHeight}
						initialIndex={ARCHIVE_FORMATS.indexOf(state.format)}
						onSelect={item => dispatch({type: 'format', format: item.value})}
					/>
				)}
			</BodyRows>
		),
	};
}

function encryptionView({dispatch}: StepContext): StepView {
	return {
		commands: ['up', 'down', 'select', 'back'],
		body: (
			<BodyRows reserve={2}>
				{listHeight => (
					<SelectList<Encryption>
						items={[
							{key: 'none', label: 'None', value: 'none', hint: 'secrets are still redacted; 2FA sealed with the gateway key'},
							{key: 'passphrase', label: 'Passphrase', value: 'passphrase', hint: 'typed twice, never stored'},
							{key: 'file', label: 'Passphrase file', value: 'file', hint: 'read from a file when the backup starts'},
						]}
						height={listHeight}
						onSelect={item => dispatch({type: 'encryption', encryption: item.value})}
					/>
				)}
			</BodyRows>
		),
	};
}

/** The passphrase and its confirmation; a weak one asks y/n before going on. */
function passphraseView({state, dispatch, theme, askWeak}: StepContext): StepView {
	const confirm = state.step === 'passphrase-confirm';
	const strength = `Strength: ${describeStrength(passphraseStrength(state.passphrase))}`;
	return {
		commands: askWeak ? ['yes', 'no'] : ['select', 'back'],
		body: (
			<Box flexDirection="column">
				<TextField
					key={state.step}
					label={confirm ? 'Type the passphrase again' : 'Passphrase (needed to restore; it cannot be recovered)'}
					initialValue={confirm ? state.passphraseConfirm : state.passphrase}
					mask="*"
					hint={confirm || state.passphrase === '' ? undefined : strength}
					isActive={!askWeak}
					onChange={value => dispatch({type: 'edit', field: confirm ? 'passphraseConfirm' : 'passphrase', value})}
					onSubmit={() => dispatch({type: 'submit'})}
				/>
				{askWeak ? (
					<Text bold color={theme.warn} wrap="wrap">
						Weak passphrase — press y to use it anyway, n to change it
					</Text>
				) : undefined}
			</Box>
		),
	};
}

function passphraseFileView({state, dispatch}: StepContext): StepView {
	return {
		commands: ['select', 'back'],
		body: (
			<TextField
				label="File holding the passphrase"
				initialValue={state.passphraseFile}
				hint="One line; a trailing newline is ignored."
				onChange={value => dispatch({type: 'edit', field: 'passphraseFile', value})}
				onSubmit={value => {
					if (value.trim() !== '' && !isReadableFile(value.trim())) {
						dispatch({type: 'error', error: `Cannot read ${value.trim()}; type another path`});
						return;
					}
					dispatch({type: 'submit'});
				}}
			/>
		),
	};
}

function reviewView({state, columns}: StepContext): StepView {
	return {
		commands: ['select', 'back'],
		body: (
			<Box flexDirection="column">
				{reviewLines(state).map(([label, value]) => (
					<KeyValue key={label} label={label}>
						{label === 'Output' ? fitPath(value, columns - 16) : value}
					</KeyValue>
				))}
				<Text> </Text>
				<Text bold>Enter start backup · Esc change something</Text>
			</Box>
		),
	};
}

/** The destinations list: the backup folder, the named ones, another path or URL; t tests the highlighted one. */
function destinationView({state, dispatch, theme, destinations}: StepContext): StepView {
	const {choices, named, test, tested, highlighted, setHighlighted} = destinations;
	const current = choices.find(choice => !choice.other && choice.where === state.destDir && choice.remote === state.destRemote);
	const showTest = test.state.status !== 'idle' && tested === (highlighted ?? choices[0])?.key;
	const testRows = showTest ? 6 : 0;
	return {
		commands: ['up', 'down', 'select', 'test', 'back'],
		body: (
			<Box flexDirection="column">
				<Text bold wrap="truncate">
					Folder to write the backup to, or a destination
				</Text>
				{named.problem ? (
					<Text color={theme.warn} wrap="truncate">
						{named.problem}
					</Text>
				) : undefined}
				<BodyRows reserve={3 + (named.problem ? 1 : 0) + testRows}>
					{listHeight => (
						<DestinationList
							choices={choices}
							height={Math.min(listHeight, choices.length)}
							format={state.format}
							initialKey={current?.key}
							onHighlight={setHighlighted}
							onSelect={choice => dispatch(choice.other ? {type: 'other'} : {type: 'destination', choice})}
						/>
					)}
				</BodyRows>
				{showTest ? <TestResults state={test.state} theme={theme} /> : undefined}
			</Box>
		),
	};
}

/** `destination test`'s steps as they end, then the verdict (one line each). */
function TestResults({state, theme}: {state: DestinationStep['test']['state']; theme: Theme}) {
	const steps = state.status === 'running' ? (state.progress ?? []) : state.status === 'done' ? state.result.steps : [];
	return (
		<Box flexDirection="column" marginTop={1}>
			{steps.map(step => (
				<Text key={step.step} color={step.ok ? undefined : theme.error} wrap="truncate">
					{step.ok ? '✓' : '✗'} {step.step} · {step.ms} ms · {step.detail}
				</Text>
			))}
			{state.status === 'running' ? <Busy label="Testing: write, list, read back, delete…" /> : undefined}
			{state.status === 'done' ? (
				<Text bold color={state.result.ok ? theme.ok : theme.error} wrap="truncate">
					{state.result.ok ? '✓ The destination works' : '✗ The destination test failed'}
				</Text>
			) : undefined}
			{state.status === 'error' ? (
				<Text color={theme.error} wrap="truncate">
					✗ {state.error}
				</Text>
			) : undefined}
		</Box>
	);
}

/** "Another path or URL…": a folder, a URL or a destination's name, checked by the core parser. */
function destinationOtherView({state, dispatch, destinations}: StepContext): StepView {
	return {
		commands: ['select', 'back'],
		body: (
			<TextField
				label="Folder to write the backup to, or a URL"
				initialValue={state.destTyped}
				hint="A local folder (created if missing), s3://BUCKET/PREFIX/, azblob://ACCOUNT/CONTAINER/PREFIX/, sftp://USER@HOST/PATH/, or a destination's name"
				onChange={value => dispatch({type: 'edit', field: 'destTyped', value})}
				onSubmit={value => {
					try {
						dispatch({type: 'destination', choice: typedDestination(value, destinations.named.named)});
					} catch (error) {
						dispatch({type: 'error', error: describeError(error)});
					}
				}}
			/>
		),
	};
}

function resultView({state, columns, backup, verify, nav, env}: StepContext): StepView {
	return {
		commands: ['up', 'down', 'select', 'back'],
		body:
			backup.state.status === 'done' ? (
				<ResultView
					result={backup.state.result}
					columns={columns}
					verify={<VerifyPanel state={verify.state} width={columns} />}
					onAction={action => {
						if (action === 'verify') void runVerify(state, backup, verify, env);
						else if (action === 'browse') nav.browse(state.destDir);
						else nav.home();
					}}
				/>
			) : undefined,
	};
}

function isReadableFile(file: string): boolean {
	try {
		fs.accessSync(file, fs.constants.R_OK);
		return fs.statSync(file).isFile();
	} catch {
		return false;
	}
}

/** The running backup: each phase's progress, and under it how to cancel (or the y/n question). */
function RunningView({progress, width, cancel}: {progress: CreateProgress | undefined; width: number; cancel: CancelPhase}) {
	let view: ReactNode;
	if (!progress) view = <Busy label="Opening the gateway…" />;
	else if (progress.phase === 'snapshot') view = <Busy label={`Snapshot · ${formatTableProgress(progress)}`} />;
	else if (progress.phase === 'finalize') view = <Busy label="Finishing the archive…" />;
	else if (progress.phase === 'read-back') view = <Busy label={`Reading the upload back to check it · ${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)}`} />;
	else if (progress.phase === 'retry') view = <Busy label={formatRetry(progress.note)} />;
	else {
		view = (
			<>
				<Busy label="Writing the archive" />
				<TransferProgress
					transfer={{bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal, filesDone: progress.filesDone, filesTotal: progress.filesTotal, elapsedMs: progress.archiveMs}}
					width={width}
					current={progress.current}
				/>
			</>
		);
	}
	return (
		<Box flexDirection="column">
			{view}
			<CancelPrompt phase={cancel} what="backup" hint="Esc cancels (nothing partial is left behind)" cancelling="Cancelling; removing the partial backup…" />
		</Box>
	);
}

type ResultAction = 'verify' | 'browse' | 'home';

function ResultView({
	result,
	columns,
	verify,
	onAction,
}: {
	result: BackupResult;
	columns: number;
	verify: ReactNode;
	onAction: (action: ResultAction) => void;
}) {
	const categories = result.metadata.categories.map(id => categorySpec(id).label);
	const secrets = result.metadata.redacted.reduce((sum, note) => sum + note.count, 0);
	return (
		<Box flexDirection="column">
			<Text bold>✓ Backup written</Text>
			<KeyValue label="Path">{fitPath(result.path, columns - 16)}</KeyValue>
			<KeyValue label="Size">
				{formatBytes(result.size)} ({formatCount(result.metadata.totalFiles)} files, {formatBytes(result.metadata.totalBytes)} uncompressed)
			</KeyValue>
			<KeyValue label="SHA-256">{result.sha256}</KeyValue>
			<KeyValue label="Duration">{formatDuration(result.durationMs)}</KeyValue>
			<KeyValue label="Categories">
				{categories.length} · {categories.join(', ')}
			</KeyValue>
			<KeyValue label="Secrets">{secrets > 0 ? `${formatCount(secrets)} redacted (re-enter after restore)` : 'none redacted'}</KeyValue>
			<KeyValue label="Encrypted">{result.metadata.encrypted ? 'yes (passphrase)' : 'no'}</KeyValue>
			<Box marginTop={1}>
				<Box width={22} flexShrink={0}>
					<SelectList<ResultAction>
						items={[
							{key: 'verify', label: 'Verify now', value: 'verify'},
							{key: 'browse', label: 'Browse backups', value: 'browse'},
							{key: 'home', label: 'Home', value: 'home'},
						]}
						height={3}
						onSelect={item => onAction(item.value)}
					/>
				</Box>
				<Box flexDirection="column" flexShrink={1}>
					{verify}
				</Box>
			</Box>
		</Box>
	);
}
