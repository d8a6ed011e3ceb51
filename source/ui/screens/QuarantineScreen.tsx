import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useEffect, useReducer, useState, type Dispatch, type ReactNode, type RefObject} from 'react';
import {formatCount} from '../../core/format.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import {acceptQuarantine, discardQuarantine, listQuarantine, listQuarantineEntries, showQuarantineEntry, type QuarantineEntry, type QuarantineRestore} from '../../core/quarantine/quarantine.js';
import {Busy} from '../components/Busy.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {SelectList, useListKeys, type ListKeys} from '../components/SelectList.js';
import {SideBySide} from '../components/SideBySide.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {useConsole} from '../console-context.js';
import {useAsync, type AsyncState} from '../hooks/use-async.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useCommands, type CommandHandlers, type CommandName} from '../keys.js';
import {shortAge} from '../state/browse.js';
import {initialQuarantineState, quarantineReducer, type QuarantineAction, type QuarantineState} from '../state/quarantine.js';
import {categoryLabel} from '../state/restore-wizard.js';
import {fit} from '../text-fit.js';
import {useTheme, type Theme} from '../theme.js';

/** Quarantined entries by restore; each viewed against the live entry, then accepted or discarded. */
export function QuarantineScreen() {
	const {gateway, nav} = useConsole();
	const {columns} = useTerminalSize();
	const theme = useTheme();
	const [state, dispatch] = useReducer(quarantineReducer, initialQuarantineState);
	const [message, setMessage] = useState<Status | undefined>(undefined);
	const [highlighted, setHighlighted] = useState<QuarantineEntry | undefined>(undefined);
	// A field shown in full: its own Esc closes it, so the screen's Esc and a/x wait.
	const [fieldExpanded, setFieldExpanded] = useState(false);
	const restores = useAsync(async () => listQuarantine(gateway.dataDir), [gateway.dataDir, state.revision]);
	const entries = useAsync(async () => (state.restoreId ? listQuarantineEntries(gateway.dataDir, state.restoreId) : []), [gateway.dataDir, state.restoreId, state.revision]);
	const entry = useAsync(async () => (state.restoreId && state.entryId && state.view === 'entry' ? showQuarantineEntry(gateway.dataDir, state.restoreId, state.entryId) : undefined), [gateway.dataDir, state.restoreId, state.entryId, state.view]);

	useEffect(() => {
		if (state.view !== 'entries') setHighlighted(undefined);
		if (state.view !== 'entry') setFieldExpanded(false);
	}, [state.view]);
	// The entries list's keys are read here, with a and x: they act on the row the last move reached.
	const list = useListKeys<QuarantineEntry>();
	const current = () => list.current() ?? highlighted;
	useQuarantineKeys({state, dispatch, current, listCommands: list.handlers, fieldExpanded, setMessage, onHome: nav.home, dataDir: gateway.dataDir});

	const view: ViewContext = {state, dispatch, theme, columns, setMessage, setHighlighted, fieldExpanded, setFieldExpanded, listKeys: list.ref};
	const shown = state.view === 'restores' ? restoresView(view, restores) : state.view === 'entries' ? entriesView(view, entries) : entryView(view, entry);
	const commands: CommandName[] = state.confirm ? ['yes', 'no'] : shown.commands;
	return (
		<Frame title={quarantineTitle(state)} commands={commands} status={confirmStatus(state) ?? message} meanings={{select: state.view === 'restores' ? 'open the highlighted restore' : 'show the entry against the live one'}}>
			<Box key={state.view} flexDirection="column">
				{shown.body}
			</Box>
		</Frame>
	);
}

/** Accepts or discards the entry asked about; the outcome goes on the status line. */
function actOnEntry(kind: 'accept' | 'discard', state: QuarantineState, dataDir: string, setMessage: (message: Status | undefined) => void, dispatch: Dispatch<QuarantineAction>): void {
	if (!state.restoreId || !state.entryId) return;
	try {
		const outcome = kind === 'accept' ? acceptQuarantine(dataDir, state.restoreId, [state.entryId]) : discardQuarantine(dataDir, state.restoreId, [state.entryId]);
		setMessage({kind: 'ok', text: `${kind === 'accept' ? 'Accepted: the backup version is now live' : 'Discarded: the live version stays'} (${state.entryId}; ${formatCount(outcome.remaining)} left in this restore)`});
		dispatch({type: 'done', remaining: outcome.remaining});
	} catch (error) {
		setMessage(errorStatus((error as Error).message, 'Esc to go back'));
		dispatch({type: 'cancel'});
	}
}

/** y/n answer the accept/discard question; else Esc goes back and a/d ask about the entry in view. */
function useQuarantineKeys({
	state,
	dispatch,
	current,
	listCommands,
	fieldExpanded,
	setMessage,
	onHome,
	dataDir,
}: {
	state: QuarantineState;
	dispatch: Dispatch<QuarantineAction>;
	/** The entry under the cursor as the last key left it (a move earlier in the same read included). */
	current: () => QuarantineEntry | undefined;
	listCommands: CommandHandlers;
	/** A field of the entry is shown in full: its own keys (Esc closes it) come first. */
	fieldExpanded: boolean;
	setMessage: (message: Status | undefined) => void;
	onHome: () => void;
	dataDir: string;
}): void {
	const handlers: Partial<Record<CommandName, () => void>> = {};
	const target = () => (state.view === 'entry' ? state.entryId : current()?.entryId);
	if (state.confirm) {
		handlers.yes = () => actOnEntry(state.confirm!, state, dataDir, setMessage, dispatch);
		handlers.no = () => dispatch({type: 'cancel'});
	} else if (!(state.view === 'entry' && fieldExpanded)) {
		handlers.back = () => {
			setMessage(undefined);
			if (state.view === 'restores') onHome();
			else dispatch({type: 'back'});
		};
		if (state.view === 'entries') Object.assign(handlers, listCommands);
		if (state.view !== 'restores') {
			const ask = (confirm: 'accept' | 'discard') => () => {
				const entryId = target();
				if (entryId) dispatch({type: 'ask', confirm, entryId});
			};
			handlers.accept = ask('accept');
			handlers.discard = ask('discard');
		}
	}
	useCommands(handlers);
}

function confirmStatus(state: QuarantineState): Status | undefined {
	if (!state.confirm) return undefined;
	return {
		kind: 'warn',
		text:
			state.confirm === 'accept'
				? `Accept ${state.entryId}? The backup version replaces the live one (live secrets kept). y yes · n no`
				: `Discard ${state.entryId}? The quarantined copy is deleted, the live one stays. y yes · n no`,
	};
}

function quarantineTitle(state: QuarantineState): string {
	return state.view === 'restores' ? 'Quarantine' : state.view === 'entries' ? `Quarantine · ${state.restoreId}` : `Quarantine · ${state.entryId}`;
}

/** What the three views read besides their own listing. */
type ViewContext = {
	state: QuarantineState;
	dispatch: Dispatch<QuarantineAction>;
	theme: Theme;
	columns: number;
	setMessage: (message: Status | undefined) => void;
	setHighlighted: (entry: QuarantineEntry | undefined) => void;
	fieldExpanded: boolean;
	setFieldExpanded: (expanded: boolean) => void;
	listKeys: RefObject<ListKeys<QuarantineEntry> | undefined>;
};

type ViewBody = {commands: CommandName[]; body: ReactNode};

/** The restores that left entries in quarantine. */
function restoresView({dispatch, theme, setMessage}: ViewContext, restores: AsyncState<QuarantineRestore[]>): ViewBody {
	const commands: CommandName[] = ['up', 'down', 'select', 'back'];
	if (restores.status === 'loading') return {commands, body: <Busy label="Reading quarantine…" />};
	if (restores.status === 'error') return {commands, body: <Text color={theme.error}>✗ {restores.error} — Esc to go back</Text>};
	if (restores.value.length === 0) return {commands, body: <Text>Nothing in quarantine: no additive restore has met a conflicting entry.</Text>};
	return {
		commands,
		body: (
			<Box flexDirection="column">
				<Text dimColor wrap="truncate">
					{'  '}
					{fit('Restore', 24)} {fit('Age', 4, 'right')} {fit('Backup', 24)} {fit('Into', 12)} {fit('Entries', 8, 'right')}
				</Text>
				<BodyRows reserve={1}>
					{listHeight => (
						<SelectList<QuarantineRestore>
							items={restores.value.map(restore => ({key: restore.restoreId, label: restore.restoreId, value: restore}))}
							height={listHeight}
							onSelect={item => {
								setMessage(undefined);
								dispatch({type: 'open-restore', restoreId: item.value.restoreId});
							}}
							renderRow={(item, selected) => (
								<Text color={selected ? theme.selected : undefined} bold={selected} inverse={selected && !theme.color} wrap="truncate">
									{selected ? '› ' : '  '}
									{fit(item.value.restoreId, 24)} {fit(shortAge(item.value.createdAt), 4, 'right')} {fit(item.value.backup.name, 24)} {fit(item.value.intoTenant ?? 'same', 12)}{' '}
									{fit(formatCount(item.value.entries), 8, 'right')}
								</Text>
							)}
						/>
					)}
				</BodyRows>
			</Box>
		),
	};
}

/** One restore's quarantined entries. */
function entriesView({state, dispatch, theme, setHighlighted, listKeys}: ViewContext, entries: AsyncState<QuarantineEntry[]>): ViewBody {
	const commands: CommandName[] = ['up', 'down', 'select', 'accept', 'discard', 'back'];
	if (entries.status === 'loading') return {commands, body: <Busy label="Reading entries…" />};
	if (entries.status === 'error') return {commands, body: <Text color={theme.error}>✗ {entries.error} — Esc to go back</Text>};
	return {
		commands,
		body: (
			<Box flexDirection="column">
				<Text dimColor wrap="truncate">
					{'  '}
					{fit('Category', 14)} {fit('Table', 16)} {fit('Id', 24)} Differs
				</Text>
				<BodyRows reserve={1}>
					{listHeight => (
						<SelectList<QuarantineEntry>
							items={entries.value.map(item => ({key: item.entryId, label: item.entryId, value: item}))}
							height={listHeight}
							isActive={!state.confirm}
							keys={listKeys}
							onHighlight={item => setHighlighted(item.value)}
							onSelect={item => dispatch({type: 'open-entry', entryId: item.value.entryId})}
							renderRow={(item, selected) => (
								<Text color={selected ? theme.selected : undefined} bold={selected} inverse={selected && !theme.color} wrap="truncate">
									{selected ? '› ' : '  '}
									{fit(categoryLabel(item.value.category), 14)} {fit(item.value.table, 16)} {fit(item.value.id, 24)}{' '}
									{item.value.liveExists ? item.value.changed.join(', ') || 'nothing now' : 'live entry gone'}
								</Text>
							)}
						/>
					)}
				</BodyRows>
			</Box>
		),
	};
}

type ShownEntry = Awaited<ReturnType<typeof showQuarantineEntry>>;

/** One quarantined entry beside the live one. */
function entryView({state, theme, columns, fieldExpanded, setFieldExpanded}: ViewContext, entry: AsyncState<ShownEntry | undefined>): ViewBody {
	const commands: CommandName[] = fieldExpanded ? ['up', 'down', 'pageUp', 'pageDown', 'back'] : ['up', 'down', 'expand', 'accept', 'discard', 'back'];
	if (entry.status === 'loading') return {commands, body: <Busy label="Reading the entry…" />};
	if (entry.status === 'error') return {commands, body: <Text color={theme.error}>✗ {entry.error} — Esc to go back</Text>};
	if (!entry.value) return {commands, body: undefined};
	const shown = entry.value;
	return {
		commands,
		body: (
			<Box flexDirection="column">
				<Text wrap="truncate">
					{terminalSafe(shown.table)} {terminalSafe(shown.id)} · {shown.liveExists ? `${shown.changed.length} ${shown.changed.length === 1 ? 'field differs' : 'fields differ'} (≠)` : 'the live entry no longer exists (accept inserts it)'}
				</Text>
				<BodyRows reserve={1}>
					{height => <SideBySide backup={shown.backup} live={shown.live} changed={shown.changed} width={columns} height={height} leftTitle="Quarantined (backup)" rightTitle="Live" isActive={!state.confirm} onExpandedChange={setFieldExpanded} />}
				</BodyRows>
			</Box>
		),
	};
}
