/**
 * The extension host with a mocked `vscode` module and the real bundled worker: manifest,
 * commands, training-data association (quick pick, workspace state, sidecar), the report
 * panel and its CSP, export, cancellation and the panel serializer.
 */
import './setup';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extensionContext, mock, Uri, CancellationTokenSource } from './vscodeMock';
import { activate } from '../../src/extension/extension';
import { lastShown, reportPanel } from './panels';
import { COMMAND_IDS, type CommandDeps } from '../../src/extension/commands';
import { TRAINING_COMMAND_IDS } from '../../src/extension/trainingWatcher';
import type { HostToWebview, ViewState } from '../../src/shared/protocol';
import type { Report } from '../../src/shared/report';
import { WorkerClient } from '../../src/extension/workerClient';
import { AnalysisService } from '../../src/extension/analysisService';
import { localizedManifest } from './manifest';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'multi-index');
const manifest = localizedManifest<{
  activationEvents?: string[];
  main: string;
  engines: { vscode: string };
  capabilities: { untrustedWorkspaces: { supported: boolean } };
  contributes: {
    commands: { command: string; category: string }[];
    configuration: { properties: Record<string, unknown> };
    customEditors: { viewType: string; priority: string; selector: { filenamePattern: string }[] }[];
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string; contents: string }[];
  };
}>();

function decodeAttribute(text: string): string {
  return text.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

let workspace: string;
let deps: CommandDeps;
let subscriptions: { dispose(): unknown }[];

let storage: string;

function activateExtension(): void {
  subscriptions = [];
  storage = mkdtempSync(join(tmpdir(), 'flatness-storage-'));
  deps = activate(extensionContext(ROOT, storage, subscriptions)).deps;
}

function deactivateExtension(): void {
  for (const item of subscriptions) item.dispose();
}

describe('extension host (mocked vscode, real worker)', () => {
  before(() => {
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--only=worker'], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  });

  beforeEach(() => {
    mock.reset();
    workspace = mkdtempSync(join(tmpdir(), 'flatness-ws-'));
    for (const file of readdirSync(EXAMPLE, { withFileTypes: true })) if (file.isFile()) copyFileSync(join(EXAMPLE, file.name), join(workspace, file.name));
    mock.workspaceRoot = workspace;
    mock.workspaceFiles = readdirSync(workspace).map((file) => Uri.file(join(workspace, file)));
    activateExtension();
  });

  afterEach(() => {
    // Stops the worker even when an assertion failed half-way through a test.
    deactivateExtension();
  });

  it('declares a manifest that activates only on use (and on each restored panel type) and supports untrusted workspaces', () => {
    // Commands, views and custom editors activate implicitly; a restored webview panel does not:
    // each serializer's view type needs its onWebviewPanel event, and nothing activates at start-up.
    const serialized = [...mock.serializers.keys()].sort();
    assert.ok(serialized.length > 0);
    assert.deepEqual([...(manifest.activationEvents ?? [])].sort(), serialized.map((viewType) => `onWebviewPanel:${viewType}`));
    assert.equal(manifest.main, './dist/extension.js');
    assert.equal(manifest.engines.vscode, '^1.90.0');
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, true);
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(contributed, [...COMMAND_IDS, ...TRAINING_COMMAND_IDS].sort());
    for (const command of manifest.contributes.commands) assert.equal(command.category, 'Flatness Lens');
    for (const key of ['backend', 'loss', 'defaultActivation', 'interpolationTolerance', 'memoryLimitMb', 'modelGlobs']) {
      assert.ok(`flatnessLens.${key}` in manifest.contributes.configuration.properties, key);
    }
    const option = manifest.contributes.customEditors.find((e) => e.priority === 'option')!;
    assert.ok(option.selector.some((s) => s.filenamePattern === 'model.json'), 'TF.js model.json gets the editor as an option only');
    assert.ok(manifest.contributes.viewsWelcome.some((w) => w.view === 'flatnessLens.models' && w.contents.includes('command:flatnessLens.openExample')));
    deactivateExtension();
  });

  it('registers every command, both views, the serializer and the custom editors', () => {
    for (const id of [...COMMAND_IDS, ...TRAINING_COMMAND_IDS]) assert.ok(mock.commands.has(id), id);
    assert.ok(mock.treeProviders.has('flatnessLens.models'));
    assert.ok(mock.treeProviders.has('flatnessLens.reports'));
    assert.ok(mock.serializers.has('flatnessLens.report'));
    assert.ok(mock.customEditors.has('flatnessLens.modelSummary'));
    assert.ok(!deps.worker.running, 'activation does not start the worker');
    deactivateExtension();
  });

  it('asks for training data once, remembers it, analyses in the worker and shows the report', async () => {
    const model = Uri.file(join(workspace, 'memorizing.safetensors'));
    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    assert.equal(mock.quickPickCalls.length, 2, 'asked once for the training data, then once for the test data');
    const offered = mock.quickPickCalls[0]!.items.map((i) => i.label);
    assert.equal(mock.quickPickCalls[1]!.items[0]!.label, 'test.npz', 'the held-out file beside the training data is offered first as test data');
    assert.equal(offered[0], 'train.npz', 'training data ranks first');
    assert.ok(!offered.includes('memorizing.safetensors') && !offered.includes('generalizing.safetensors'), 'models are not offered as data');
    const state = lastShown(reportPanel());
    assert.equal(state.kind, 'report');
    const report = (state as Extract<ViewState, { kind: 'report' }>).report;
    assert.equal(report.data.path, join(workspace, 'train.npz'));
    assert.equal(report.model.path, join(workspace, 'memorizing.safetensors'));
    assert.equal((state as Extract<ViewState, { kind: 'report' }>).context.dataLabel, 'train.npz (test: test.npz)');
    assert.equal(report.test?.path, join(workspace, 'test.npz'), 'the test loss is measured');
    assert.ok(report.flatness.ratio.value !== null && report.flatness.ratio.value > 1);
    assert.ok(deps.worker.running, 'the worker was started on first use');

    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    assert.equal(mock.quickPickCalls.length, 2, 'the association is remembered');
    assert.equal(deps.store.list().length, 2, 'both analyses are in the Reports view');
    const reports = mock.treeProviders.get('flatnessLens.reports') as { getChildren(): { label: string }[] };
    assert.equal(reports.getChildren().length, 1, 'one row per model and data, the earlier run beneath it');
    const models = mock.treeProviders.get('flatnessLens.models') as { getChildren(): Promise<{ label: string; description: string }[]> };
    const items = await models.getChildren();
    const memorizing = items.find((i) => i.label === 'memorizing.safetensors')!;
    assert.match(memorizing.description, /^R = \d/);
    assert.match(items.find((i) => i.label === 'generalizing.safetensors')!.description, /not analyzed/);

    // Editing the model file marks its verdict as stale and refreshes the view.
    let refreshed = 0;
    (models as unknown as { onDidChangeTreeData(listener: () => void): unknown }).onDidChangeTreeData(() => refreshed++);
    mock.watchers.find((w) => w.glob === '**/*.safetensors')!.change.fire(model);
    assert.ok(refreshed > 0, 'the Models view refreshed on the file change');
    const after = (await models.getChildren()).find((i) => i.label === 'memorizing.safetensors')!;
    assert.match(after.description, /changed since analysis/);
    deactivateExtension();
  });

  it('reads the training data from a sidecar <model>.flatness.json without asking', async () => {
    writeFileSync(join(workspace, 'generalizing.safetensors.flatness.json'), JSON.stringify({ trainingData: 'train.npz', testData: 'test.npz' }));
    const model = Uri.file(join(workspace, 'generalizing.safetensors'));
    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    assert.equal(mock.quickPickCalls.length, 0);
    const state = lastShown(reportPanel()) as Extract<ViewState, { kind: 'report' }>;
    assert.equal(state.context.dataSource, 'sidecar');
    assert.equal(state.report.verdict.level, 'flat');
    deactivateExtension();
  });

  it('Choose Training Data changes the association and the next analysis uses it', async () => {
    const model = Uri.file(join(workspace, 'generalizing.safetensors'));
    mock.quickPick = (items) => items.find((i) => i.label === 'test.npz') ?? items[0];
    await mock.commands.get('flatnessLens.chooseTrainingData')!(model);
    mock.quickPick = (items) => items[0];
    const association = await deps.associations.get(model as never);
    assert.equal(association?.trainingData.path, join(workspace, 'test.npz'));
    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    const state = lastShown(reportPanel()) as Extract<ViewState, { kind: 'report' }>;
    assert.equal(state.report.data.path, join(workspace, 'test.npz'));
    deactivateExtension();
  });

  it('shows a bad data file as an error naming the file, and the worker keeps serving', async () => {
    writeFileSync(join(workspace, 'broken.npz'), 'not a zip');
    mock.workspaceFiles.push(Uri.file(join(workspace, 'broken.npz')));
    const model = Uri.file(join(workspace, 'generalizing.safetensors'));
    mock.quickPick = (items) => items.find((i) => i.label === 'broken.npz');
    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    const state = lastShown(reportPanel());
    assert.equal(state.kind, 'error');
    const error = (state as Extract<ViewState, { kind: 'error' }>).error;
    assert.equal(error.code, 'bad-input');
    assert.match(error.message, /broken\.npz/);
    assert.ok(mock.messages.some((m) => m.level === 'error' && /broken\.npz/.test(m.text)));
    deactivateExtension();
  });

  it('renders the webview with a strict nonce CSP and no retained context', async () => {
    await mock.commands.get('flatnessLens.openExample')!();
    const panel = reportPanel();
    const html = panel.webview.html;
    // The attribute as the browser reads it (the host escapes it as HTML).
    const csp = decodeAttribute(/http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9]+'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:\/\/(?!mock\.vscode-cdn\.net)/);
    const nonce = /'nonce-([A-Za-z0-9]+)'/.exec(csp)![1];
    assert.ok(html.includes(`<script nonce="${nonce}" src=`));
    assert.equal(panel.options.retainContextWhenHidden, undefined);
    panel.webview.fromWebview({ type: 'ready' });
    const state = lastShown(panel);
    assert.equal(state.kind, 'comparison');
    const levels = (state as Extract<ViewState, { kind: 'comparison' }>).reports.map((r) => r.report.verdict.level);
    assert.equal(levels[0], 'flat', 'the generalizing example is of the flattest order');
    assert.notEqual(levels[1], 'flat', 'the memorizing example is not');
    deactivateExtension();
  });

  it('exports the report as JSON, Markdown, CSV, HTML and PNG', async () => {
    await mock.commands.get('flatnessLens.analyzeModel')!(Uri.file(join(workspace, 'generalizing.safetensors')));
    const panel = reportPanel();
    const report = (lastShown(panel) as Extract<ViewState, { kind: 'report' }>).report;
    const out = join(workspace, 'out');
    mock.saveDialog = () => Uri.file(join(out, 'r.json'));
    await mock.commands.get('flatnessLens.exportReport')!('json');
    assert.deepEqual((JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as Report).flatness.trace, report.flatness.trace);
    mock.saveDialog = () => Uri.file(join(out, 'r.md'));
    await mock.commands.get('flatnessLens.exportReport')!('markdown');
    assert.match(readFileSync(join(out, 'r.md'), 'utf8'), new RegExp(report.verdict.headline.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    mock.saveDialog = () => Uri.file(join(out, 'r.csv'));
    await mock.commands.get('flatnessLens.exportReport')!('csv');
    const lines = readFileSync(join(out, 'r.csv'), 'utf8').trim().split('\n');
    assert.equal(lines.length, report.flatness.perNeuron.length + 1);
    mock.saveDialog = () => Uri.file(join(out, 'r.html'));
    await mock.commands.get('flatnessLens.exportReport')!('html');
    const html = readFileSync(join(out, 'r.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(html.includes(report.verdict.headline.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')));
    assert.doesNotMatch(html, /<script/);
    // PNG: the host asks the webview for its charts and writes one file per chart.
    mock.saveDialog = () => Uri.file(join(out, 'r.png'));
    const exporting = mock.commands.get('flatnessLens.exportReport')!('png') as Promise<void>;
    await new Promise((resolve) => setTimeout(resolve, 10));
    const capture = panel.webview.posted.find((m) => (m as HostToWebview).type === 'captureCharts') as { requestId: number };
    const png = 'data:image/png;base64,' + Buffer.from('\x89PNG fake').toString('base64');
    panel.webview.fromWebview({ type: 'chartImages', requestId: capture.requestId, images: [{ name: 'orbit', dataUrl: png }, { name: 'neurons', dataUrl: png }] });
    await exporting;
    assert.ok(existsSync(join(out, 'r-orbit.png')) && existsSync(join(out, 'r-neurons.png')));
    deactivateExtension();
  });

  it('the custom editor shows the model summary read by the worker and analyses on request', async () => {
    const provider = mock.customEditors.get('flatnessLens.modelSummary') as {
      openCustomDocument(uri: unknown): { uri: unknown };
      resolveCustomEditor(document: unknown, panel: unknown): Promise<void>;
    };
    const { MockWebviewPanel } = await import('./vscodeMock');
    const panel = new MockWebviewPanel('flatnessLens.modelSummary', 'memorizing.safetensors', {});
    const model = Uri.file(join(workspace, 'memorizing.safetensors'));
    await provider.resolveCustomEditor(provider.openCustomDocument(model), panel);
    assert.match(decodeAttribute(panel.webview.html), /script-src 'nonce-/);
    const state = lastShown(panel) as Extract<ViewState, { kind: 'summary' }>;
    assert.equal(state.kind, 'summary');
    assert.equal(state.error, null);
    assert.equal(state.summary?.hiddenDim, 64);
    assert.equal(state.summary?.inputDim, 10);
    assert.equal(state.summary?.activation, 'relu');
    panel.webview.fromWebview({ type: 'analyze', modelUri: model.toString() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(mock.quickPickCalls.length, 2, 'Analyze from the editor asks for the training data, then the test data');
  });
});

describe('analysis cancellation from the notification', () => {
  it('Cancel in the progress notification stops a running analysis and says so', async () => {
    mock.reset();
    activateExtension();
    const hanging = new WorkerClient(() => {
      const { fork } = require('node:child_process') as typeof import('node:child_process');
      return fork(join(__dirname, 'fixtures', 'misbehavingWorker.cjs'), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    }, () => ({ memoryLimitMb: 256 }), () => undefined, 200);
    const models = { setStatus() {} } as unknown as ConstructorParameters<typeof AnalysisService>[4];
    const service = new AnalysisService(hanging, deps.associations, deps.store, deps.panels, models, deps.log);
    let source: CancellationTokenSource | undefined;
    mock.onProgress = (s) => {
      source = s;
    };
    const trainingData = Uri.file(join(ROOT, 'examples/multi-index/train.npz'));
    // modelPath 'hang' makes the fixture worker ignore Cancel: the host must kill it.
    const originalBuild = service.buildRequest.bind(service);
    service.buildRequest = async (model, association, files) => ({ ...(await originalBuild(model, association, files)), modelPath: 'hang' });
    const running = service.analyze(Uri.file('/models/hang.safetensors') as never, { association: { trainingData: trainingData as never, source: 'picked' } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.ok(source, 'a cancellable progress notification was shown');
    assert.ok(service.isRunning);
    source!.cancel();
    const outcome = await running;
    assert.equal(outcome.error?.code, 'cancelled');
    assert.ok(mock.messages.some((m) => m.level === 'info' && /cancelled/.test(m.text)));
    assert.ok(!service.isRunning);
    hanging.dispose();
    service.dispose();
    deactivateExtension();
  });
});

