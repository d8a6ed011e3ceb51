import {Box, Text} from 'ink';
import {useEffect, useReducer, useState, type ReactNode} from 'react';
import {formatCount} from '../../core/format.js';
import {acceptQuarantine, discardQuarantine, listQuarantine, listQuarantineEntries, showQuarantineEntry, type QuarantineEntry, type QuarantineRestore} from '../../core/quarantine/quarantine.js';
import {Busy} from '../components/Busy.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {SelectList} from '../components/SelectList.js';
import {SideBySide} from '../components/SideBySide.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {useConsole} from '../console-context.js';
import {useAsync} from '../hooks/use-async.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useCommands, type CommandName} from '../keys.js';
import {shortAge} from '../state/browse.js';
import {initialQuarantineState, quarantineReducer} from '../state/quarantine.js';
import {categoryLabel} from '../state/restore-wizard.js';
import {fit} from '../text-fit.js';
import {useTheme} from '../theme.js';

/** Quarantined entries by restore; each viewed against the live entry, then accepted or discarded. */
export function QuarantineScreen() {
	const {gateway, nav} = useConsole();
	const {columns} = useTerminalSize();
	const theme = useTheme();
	const [state, dispatch] = useReducer(quarantineReducer, initialQuarantineState);
	const [message, setMessage] = useState<Status | undefined>(undefined);
	const [highlighted, setHighlighted] = useState<QuarantineEntry | undefined>(undefined);
	const restores = useAsync(async () => listQuarantine(gateway.dataDir), [gateway.dataDir, state.revision]);
	const entries = useAsync(async () => (state.restoreId ? listQuarantineEntries(gateway.dataDir, state.restoreId) : []), [gateway.dataDir, state.restoreId, state.revision]);
	const entry = useAsync(async () => (state.restoreId && state.entryId && state.view === 'entry' ? showQuarantineEntry(gateway.dataDir, state.restoreId, state.entryId) : undefined), [gateway.dataDir, state.restoreId, state.entryId, state.view]);

	useEffect(() => {
		if (state.view !== 'entries') setHighlighted(undefined);
	}, [state.view]);

	const act = (kind: 'accept' | 'discard') => {
		if (!state.restoreId || !state.entryId) return;
		try {
			const outcome = kind === 'accept' ? acceptQuarantine(gateway.dataDir, state.restoreId, [state.entryId]) : discardQuarantine(gateway.dataDir, state.restoreId, [state.entryId]);
			setMessage({kind: 'ok', text: `${kind === 'accept' ? 'Accepted: the backup version is now live' : 'Discarded: the live version stays'} (${state.entryId}; ${formatCount(outcome.remaining)} left in this restore)`});
			dispatch({type: 'done', remaining: outcome.remaining});
		} catch (error) {
			setMessage(errorStatus((error as Error).message, 'Esc to go back'));
			dispatch({type: 'cancel'});
		}
	};

	const handlers: Partial<Record<CommandName, () => void>> = {};
	const target = state.view === 'entry' ? state.entryId : highlighted?.entryId;
	if (state.confirm) {
		handlers.yes = () => act(state.confirm!);
		handlers.no = () => dispatch({type: 'cancel'});
	} else {
		handlers.back = () => {
			setMessage(undefined);
			if (state.view === 'restores') nav.home();
			else dispatch({type: 'back'});
		};
		if (state.view !== 'restores' && target) {
			handlers.accept = () => dispatch({type: 'ask', confirm: 'accept', entryId: target});
			handlers.discard = () => dispatch({type: 'ask', confirm: 'discard', entryId: target});
		}
	}
	useCommands(handlers);

	let body: ReactNode;
	let commands: CommandName[] = ['up', 'down', 'select', 'back'];
	if (state.view === 'restores') {
		if (restores.status === 'loading') body = <Busy label="Reading quarantine…" />;
		else if (restores.status === 'error') body = <Text color={theme.error}>✗ {restores.error} — Esc to go back</Text>;
		else if (restores.value.length === 0) body = <Text>Nothing in quarantine: no additive restore has met a conflicting entry.</Text>;
		else
			body = (
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
			);
	} else if (state.view === 'entries') {
		commands = ['up', 'down', 'select', 'accept', 'discard', 'back'];
		if (entries.status === 'loading') body = <Busy label="Reading entries…" />;
		else if (entries.status === 'error') body = <Text color={theme.error}>✗ {entries.error} — Esc to go back</Text>;
		else
			body = (
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
			);
	} else {
		commands = ['accept', 'discard', 'back'];
		if (entry.status === 'loading') body = <Busy label="Reading the entry…" />;
		else if (entry.status === 'error') body = <Text color={theme.error}>✗ {entry.error} — Esc to go back</Text>;
		else if (entry.value) {
			const shown = entry.value;
			body = (
				<Box flexDirection="column">
					<Text wrap="truncate">
						{entry.value.table} {entry.value.id} · {entry.value.liveExists ? `${entry.value.changed.length} ${entry.value.changed.length === 1 ? 'field differs' : 'fields differ'} (≠)` : 'the live entry no longer exists (accept inserts it)'}
					</Text>
					<BodyRows reserve={1}>
						{height => <SideBySide backup={shown.backup} live={shown.live} changed={shown.changed} width={columns} height={height} leftTitle="Quarantined (backup)" rightTitle="Live" />}
					</BodyRows>
				</Box>
			);
		}
	}
	if (state.confirm) commands = ['yes', 'no'];

	const confirmStatus: Status | undefined = state.confirm
		? {
				kind: 'warn',
				text:
					state.confirm === 'accept'
						? `Accept ${state.entryId}? The backup version replaces the live one (live secrets kept). y yes · n no`
						: `Discard ${state.entryId}? The quarantined copy is deleted, the live one stays. y yes · n no`,
			}
		: undefined;
	const title = state.view === 'restores' ? 'Quarantine' : state.view === 'entries' ? `Quarantine · ${state.restoreId}` : `Quarantine · ${state.entryId}`;
	return (
		<Frame title={title} commands={commands} status={confirmStatus ?? message} meanings={{select: state.view === 'restores' ? 'open the highlighted restore' : 'show the entry against the live one'}}>
			<Box key={state.view} flexDirection="column">
				{body}
			</Box>
		</Frame>
	);
}
